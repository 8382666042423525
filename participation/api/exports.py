"""Staff exports through the API (staff and admin tokens only): ask for an export of a
draft's opinions (``POST /drafts/<id>/exports``), follow it (``GET /exports/<id>``) and
download the file with the same token (``GET /exports/<id>/download``); and read the
same rows as JSON, paged by cursor (``GET /drafts/<id>/opinions``).

The filter is the staff list's (``api.dispositions`` reads it, with the same messages);
a job is seen only by the account that asked for it and by administrators: anyone
else's token gets 404, as for an unknown id."""
from __future__ import annotations

from flask import send_file, url_for
from flask_babel import gettext as _

from participation import jobs, policies
from participation.api import openapi
from participation.api.auth import current_api_user, require, token_required
from participation.api.blueprint import api
from participation.api.dispositions import FILTER_FIELDS, FieldErrors, opinion_filters, refuse_unknown_fields
from participation.api.errors import ApiError, json_response
from participation.api.opinions import decode_cursor, encode_cursor
from participation.api.params import MAX_PER_PAGE, QueryArgs, json_body
from participation.api.serializers import timestamp
from participation.errors import NotFound
from participation.exports import files
from participation.exports import rows as export_rows
from participation.exports.documents import DOCX_MIMETYPE
from participation.exports.jobs import FORMATS
from participation.extensions import db
from participation.models import Draft, JobState
from participation.spreadsheets import XLSX_MIMETYPE
from participation.unit_of_work import reads, writes
from participation.views import MAX_ID, load_visible

EXPORT_FIELDS = ("format", "filter")
_ID_FILTERS = ("liaison_point", "batch")


def _job_or_404(public_id: str):
    job = files.find_job(public_id)
    if job is None or not policies.can_download_job(current_api_user(), job):
        raise NotFound(_("导出任务不存在。"))
    return job


def _status(job) -> dict:
    done = job.state == JobState.DONE.value
    expired = files.is_expired(job)
    return {
        "id": job.public_id,
        "state": job.state,
        "progress": {"done": job.progress_done, "total": job.progress_total, "percent": job.progress_percent},
        "format": (job.params or {}).get("format") or ("docx" if job.kind == FORMATS["docx"] else "xlsx"),
        "file_name": job.file_name or None,
        "expires_at": timestamp(job.expires_at),
        "expired": expired,
        "download_url": url_for("api.download_export", public_id=job.public_id) if done and not expired else None,
        "error": files.failure_message(job) if job.state == JobState.FAILED.value else None,
        "created_at": timestamp(job.created_at),
    }


@api.post("/drafts/<int:draft_id>/exports")
@token_required
@writes
def create_export(draft_id: int):
    user = current_api_user()
    require(policies.can_export_opinions(user))
    draft = load_visible(Draft, draft_id, message=_("草案不存在。"))
    payload, errors = json_body(), FieldErrors()
    refuse_unknown_fields(payload, EXPORT_FIELDS, errors)
    kind = payload.get("format")
    if not isinstance(kind, str) or kind not in FORMATS:
        errors.add("format", _("只能是以下取值之一：%(choices)s。", choices="、".join(FORMATS)))
    filters = opinion_filters(payload["filter"], errors) if payload.get("filter") is not None else None
    errors.raise_if_any()
    job = jobs.enqueue(FORMATS[kind], params={"filter": filters.describe() if filters else {}, "format": kind},
                       draft_id=draft.id, by=user)
    db.session.commit()
    status_url = url_for("api.export_status", public_id=job.public_id)
    return json_response({"id": job.public_id, "status_url": status_url}, 202, headers={"Location": status_url})


@api.get("/exports/<public_id>")
@token_required
@reads
def export_status(public_id: str):
    require(policies.can_export_opinions(current_api_user()))
    return json_response(_status(_job_or_404(public_id)))


@api.get("/exports/<public_id>/download")
@token_required
@reads
def download_export(public_id: str):
    require(policies.can_export_opinions(current_api_user()))
    job = _job_or_404(public_id)
    if job.state != JobState.DONE.value:
        raise ApiError(409, "not_ready", _("文件尚未生成，请稍后再试（查看任务状态）。"))
    path = files.file_of(job)
    if path is None:
        raise ApiError(410, "expired", _("文件已过期，请重新导出。"))
    return send_file(path, mimetype=files.mimetype_of(job), as_attachment=True, download_name=job.file_name,
                     max_age=0)


def _query_filters(args: QueryArgs, errors: FieldErrors):
    """The filter from query parameters: the names of the request body's ``filter``."""
    raw = {}
    for name in FILTER_FIELDS:
        value = args.values.get(name)
        if value is None:
            continue
        if name in _ID_FILTERS:
            raw[name] = int(value) if value.isascii() and value.isdigit() and len(value) <= 10 else value
        else:
            raw[name] = value
    filters = opinion_filters(raw, errors)
    for name, messages in list(errors.items()):
        # Query parameters are named as sent (``stance``, not ``filter.stance``).
        if name.startswith("filter."):
            errors[name.removeprefix("filter.")] = errors.pop(name)
    return filters


def _row(row, context) -> dict:
    batch = context.batches.get(row.batch_id) if row.batch_id else None
    return {
        "id": row.id, "receipt": row.receipt_code, "provision": row.provision_key,
        "provision_label": context.citation(row), "stance": row.stance, "body": row.body,
        "proposed_text": row.proposed_text, "reason": row.reason, "category": row.category,
        "name": row.submitter_name, "region": row.region, "contact": row.contact, "delegation": row.delegation,
        "channel": row.channel, "liaison_point": context.points.get(row.liaison_point_id) if row.liaison_point_id
        else None,
        "activity": {"kind": batch.kind, "date": batch.date.isoformat(), "place": batch.place} if batch else None,
        "represented": row.represented_count, "moderation_state": row.moderation_state,
        "hidden_reason": row.hidden_reason, "disposition": row.disposition, "reason_for_disposition":
        row.disposition_reason, "assignee": context.assignee(row) or None,
        "submitted_at": timestamp(row.created_at), "moderated_at": timestamp(row.moderated_at),
        "disposed_at": timestamp(row.disposed_at),
    }


@api.get("/drafts/<int:draft_id>/opinions")
@token_required
@reads
def list_draft_opinions(draft_id: int):
    user = current_api_user()
    require(policies.can_export_opinions(user))
    args, errors = QueryArgs(), FieldErrors()
    per_page = args.integer("per_page", default=50, minimum=1, maximum=MAX_PER_PAGE)
    after = decode_cursor(args)
    filters = _query_filters(args, errors)
    for name, messages in errors.items():
        for message in messages:
            args.add_error(name, message)
    args.check()
    draft = load_visible(Draft, draft_id, message=_("草案不存在。"))
    rows, next_cursor, context = export_rows.page(draft.id, filters, after=after, limit=per_page)
    return json_response({
        "items": [_row(row, context) for row in rows],
        "total": export_rows.count(draft.id, filters),
        "per_page": per_page,
        "next_cursor": encode_cursor(next_cursor) if next_cursor else None,
    })


# --- documentation ---------------------------------------------------------------------------

_DRAFT_ID = {**openapi.path_parameter("draft_id", {"type": "integer", "minimum": 1, "maximum": MAX_ID}, "草案编号。"),
             "example": 1}
_PUBLIC_ID = {**openapi.path_parameter("public_id", {"type": "string", "pattern": "^[A-Za-z0-9_-]{43}$"},
                                       "导出任务编号（创建时返回的 id）。"),
              "example": "exampleExportJob0000000000000000000000000000"[:43]}
_TEXT = {"type": "string"}
_NULLABLE_TEXT = {"type": ["string", "null"]}
_TIME = {"type": ["string", "null"], "format": "date-time"}

openapi.add_tag("exports", "导出（仅工作人员和管理员）：意见 Excel、Word 意见汇总表，以及意见的完整字段。")
openapi.add_schema("ExportRequest", {
    "type": "object", "required": ["format"], "additionalProperties": False,
    "properties": {
        "format": {"type": "string", "enum": list(FORMATS),
                   "description": "xlsx：意见明细（含联系方式）及统计；docx：Word 意见汇总表（逐条，相同意见合并）。"},
        "filter": {"oneOf": [{"$ref": "#/components/schemas/OpinionFilter"}, {"type": "null"}]},
    },
    "description": "导出请求。未列出的字段一律拒绝（422）。",
})
openapi.add_schema("OpinionFilter", {
    "type": "object", "additionalProperties": False,
    "properties": {
        "clause": {"type": ["string", "null"], "maxLength": 80,
                   "description": "条款键或写法（art.12、第十二条、12），含其下级条款；general 或 总体 为总体意见。"},
        "stance": openapi.nullable(openapi.ref("Stance")),
        "category": openapi.nullable(openapi.ref("SubmitterCategory")),
        "liaison_point": {"type": ["integer", "null"], "minimum": 1, "maximum": MAX_ID, "description": "联系点编号。"},
        "batch": {"type": ["integer", "null"], "minimum": 1, "maximum": MAX_ID, "description": "批次编号。"},
        "disposition": openapi.nullable(openapi.ref("Disposition")),
        "text": {"type": ["string", "null"], "maxLength": 100, "description": "包含的文字。"},
        "state": {"type": ["string", "null"], "enum": ["pending", "published", "hidden", None],
                  "description": "审核状态：pending 待审核、published 已公开、hidden 已屏蔽。"},
    },
    "description": "与工作人员意见列表相同的筛选条件；省略的条件不筛选。",
})
openapi.add_schema("ExportCreated", openapi.obj({
    "id": {"type": "string", "description": "导出任务编号（不可猜测）。"},
    "status_url": {"type": "string", "description": "任务状态的地址。"},
}, description="已接受的导出任务。"))
openapi.add_schema("ExportStatus", openapi.obj({
    "id": _TEXT,
    "state": {"type": "string", "enum": [state.value for state in JobState],
              "description": "queued 排队中、running 生成中、done 已完成、failed 失败。"},
    "progress": openapi.obj({"done": {"type": "integer", "minimum": 0}, "total": {"type": "integer", "minimum": 0},
                             "percent": {"type": "integer", "minimum": 0, "maximum": 100}}),
    "format": {"type": "string", "enum": list(FORMATS)},
    "file_name": {**_NULLABLE_TEXT, "description": "下载时的文件名。"},
    "expires_at": {**_TIME, "description": "文件删除的时间。"},
    "expired": {"type": "boolean"},
    "download_url": {**_NULLABLE_TEXT, "description": "完成且未过期时为下载地址（用同一令牌下载），否则为 null。"},
    "error": {**_NULLABLE_TEXT, "description": "失败时的原因。"},
    "created_at": {"type": "string", "format": "date-time"},
}, description="导出任务的状态。"))
openapi.add_schema("ExportedOpinion", openapi.obj({
    "id": {"type": "integer", "minimum": 1},
    "receipt": _TEXT,
    "provision": {**_NULLABLE_TEXT, "description": "条款键；总体意见为 null。"},
    "provision_label": {**_TEXT, "description": "条款的中文写法；总体意见为空字符串。"},
    "stance": openapi.ref("Stance"),
    "body": _TEXT, "proposed_text": _TEXT, "reason": _TEXT,
    "category": openapi.ref("SubmitterCategory"),
    "name": _TEXT, "region": _TEXT,
    "contact": {**_TEXT, "description": "联系方式（仅工作人员可见）。"},
    "delegation": _NULLABLE_TEXT,
    "channel": {"type": "string", "enum": ["web", "api", "batch"]},
    "liaison_point": {**_NULLABLE_TEXT, "description": "联系点名称（联系点汇总的意见）。"},
    "activity": {"oneOf": [openapi.obj({"kind": _TEXT, "date": {"type": "string", "format": "date"},
                                        "place": _TEXT}), {"type": "null"}], "description": "联系点活动。"},
    "represented": {"type": "integer", "minimum": 0, "description": "反映群众人数：这条意见代表多少群众（联系点汇总时填写，网站提交为 1）。"},
    "moderation_state": {"type": "string", "enum": ["pending", "published", "hidden"]},
    "hidden_reason": _TEXT,
    "disposition": openapi.ref("Disposition"),
    "reason_for_disposition": {**_TEXT, "description": "处理理由。"},
    "assignee": {**_NULLABLE_TEXT, "description": "承办人。"},
    "submitted_at": {"type": "string", "format": "date-time"},
    "moderated_at": _TIME, "disposed_at": _TIME,
}, description="工作人员导出的一条意见（与 Excel 导出的字段相同）。"))
openapi.add_schema("ExportedOpinionPage", openapi.obj({
    "items": {"type": "array", "items": openapi.ref("ExportedOpinion")},
    "total": {"type": "integer", "minimum": 0, "description": "符合筛选条件的总条数（与工作人员意见列表相同）。"},
    "per_page": {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE},
    "next_cursor": {**_NULLABLE_TEXT, "description": "下一页的 cursor；没有下一页时为 null。"},
}, description="一页意见，新的在前。"))

openapi.add_operation("/drafts/{draft_id}/exports", "post", openapi.operation(
    "导出草案的意见",
    description="按筛选条件导出草案的意见：xlsx 为意见明细（每个字段，含联系方式）及统计表，docx 为 Word 意见汇总表。"
                "导出在后台进行：返回 202 及任务状态地址。仅工作人员和管理员的令牌。",
    tag="exports", operation_id="createExport", security=openapi.TOKEN_REQUIRED,
    parameters=[_DRAFT_ID], request_body=openapi.ref("ExportRequest"),
    responses={202: openapi.response("任务已接受。", openapi.ref("ExportCreated"),
                                     headers={"Location": {"description": "任务状态的地址。",
                                                           "schema": {"type": "string"}}})},
    errors=(400, 403, 404, 415, 422),
))
openapi.add_operation("/exports/{public_id}", "get", openapi.operation(
    "导出任务的状态",
    description="状态、进度，完成后的下载地址。只有创建任务的账户和管理员可以查看，其他账户 404。",
    tag="exports", operation_id="getExport", security=openapi.TOKEN_REQUIRED, parameters=[_PUBLIC_ID],
    responses={200: openapi.response("任务状态。", openapi.ref("ExportStatus"))},
    errors=(403, 404),
))
openapi.add_operation("/exports/{public_id}/download", "get", openapi.operation(
    "下载导出的文件",
    description="用创建任务的同一令牌（或管理员令牌）下载。尚未完成 409；文件过期已删除 410。",
    tag="exports", operation_id="downloadExport", security=openapi.TOKEN_REQUIRED, parameters=[_PUBLIC_ID],
    responses={200: {"description": "文件（Content-Disposition 给出文件名）。", "content": {
        XLSX_MIMETYPE: {"schema": {"type": "string", "format": "binary"}},
        DOCX_MIMETYPE: {"schema": {"type": "string", "format": "binary"}}}}},
    errors=(403, 404, 409, 410),
))
openapi.add_operation("/drafts/{draft_id}/opinions", "get", openapi.operation(
    "草案的全部意见（工作人员）",
    description="与工作人员意见列表相同的筛选和顺序（新的在前），字段与 Excel 导出相同，含联系方式和已屏蔽的意见；"
                "按 cursor 分页。筛选参数有误时 422 并指出参数。仅工作人员和管理员的令牌。",
    tag="exports", operation_id="listDraftOpinions", security=openapi.TOKEN_REQUIRED,
    parameters=[
        _DRAFT_ID,
        openapi.query_parameter("per_page", {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE, "default": 50},
                                "每页条数。"),
        openapi.query_parameter("cursor", {"type": "string", "pattern": "^[0-9]{1,17}-[0-9]{1,10}$"},
                                "上一页返回的 next_cursor（原样传回）。"),
        # No NUL: the request boundary refuses it in any parameter (422).
        openapi.query_parameter("clause", {"type": "string", "maxLength": 80, "pattern": "^[^\\u0000]*$"},
                                "条款键或写法；general 为总体意见。"),
        openapi.query_parameter("stance", openapi.ref("Stance"), "态度。"),
        openapi.query_parameter("category", openapi.ref("SubmitterCategory"), "提出人类别。"),
        openapi.query_parameter("disposition", openapi.ref("Disposition"), "处理情况。"),
        openapi.query_parameter("state", {"type": "string", "enum": ["pending", "published", "hidden"]}, "审核状态。"),
        openapi.query_parameter("liaison_point", {"type": "integer", "minimum": 1, "maximum": MAX_ID}, "联系点编号。"),
        openapi.query_parameter("batch", {"type": "integer", "minimum": 1, "maximum": MAX_ID}, "批次编号。"),
        openapi.query_parameter("text", {"type": "string", "maxLength": 100, "pattern": "^[^\\u0000]*$"},
                                "包含的文字。"),
    ],
    responses={200: openapi.response("一页意见。", openapi.ref("ExportedOpinionPage"))},
    errors=(403, 404, 422),
))
