"""Liaison-point batches over the API: ``POST /liaison-points/<id>/batches``.

Two forms of the same request:

* ``multipart/form-data``: ``draft`` (the draft id), ``file`` (an .xlsx or CSV laid out
  like the platform's template) and the activity fields ``kind``, ``date``, ``place``,
  ``participants``, ``notes``, ``late_reason``;
* ``application/json``: ``{draft, activity: {…}, rows: [{provision, body, stance,
  proposed_text, reason, category, name, region, represented}, …]}``.

Answers: 201 with the new batch; 200 with the existing one when the same file (or the
same JSON rows) was already stored for this point and draft, or the same
``Idempotency-Key`` was already used by this account; 422 listing every error as
``errors: [{row, column, value, message}]`` (nothing stored); 409 when the draft does
not take opinions now. Everything is stored in one transaction.
"""
from __future__ import annotations

import re

from flask import current_app, request, url_for
from flask_babel import gettext as _

from participation import batches, clock, policies, queries
from participation.batches import proposal_rows, vocabulary
from participation.batches.checking import Activity
from participation.batches.rows import RowError
from participation.api import openapi
from participation.api.blueprint import api, token_limited_routes
from participation.api.auth import current_api_user, require, token_required
from participation.api.errors import ApiError, error_response, json_response
from participation.api.params import IDEMPOTENCY_KEY_PARAMETER, idempotency_key, json_body
from participation.errors import ValidationFailed
from participation.extensions import db
from participation.models import Batch, BatchSource, Draft, LiaisonPoint, PlanCall
from participation.web.request_boundary import refusal_shape
from participation.clock import utc_to_local
from participation.unit_of_work import writes
from participation.views import load_visible

MAX_ID = 2**31 - 1
ACTIVITY_FIELDS = ("kind", "date", "place", "participants", "notes", "late_reason")
_ACTIVITY_LIMITS = {"place": vocabulary.MAX_PLACE_LENGTH, "notes": vocabulary.MAX_NOTES_LENGTH,
                    "late_reason": vocabulary.MAX_LATE_REASON_LENGTH}
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_DIGITS = re.compile(r"[0-9]{1,9}")
JSON_FIELDS = ("kind", "draft", "call_id", "activity", "rows")
MULTIPART_FIELDS = ("kind", "draft", "call_id", "file", *ACTIVITY_FIELDS)
KINDS = ("opinions", "proposals")


def batch_rate_limit() -> str:
    """Per token (BATCH_API_RATE_LIMIT): a batch can be thousands of rows."""
    return current_app.config["BATCH_API_RATE_LIMIT"]


class _Problems:
    """Field errors gathered over the whole request, reported together."""

    def __init__(self):
        self.fields: dict[str, list[str]] = {}

    def add(self, name: str, message: str) -> None:
        self.fields.setdefault(name, []).append(message)

    def merge(self, fields: dict[str, list[str]], prefix: str = "") -> None:
        for name, messages in fields.items():
            for message in messages:
                self.add(prefix + name, message)

    def raise_if_any(self) -> None:
        if self.fields:
            raise ValidationFailed(_("请求有误，请检查标出的字段。"), fields=self.fields)


def _rejected(errors: list[RowError], message: str, fields: dict | None = None, more: int = 0, *,
              code: str = "validation_failed"):
    body_errors = [error.as_dict() for error in errors]
    response = error_response(422, code, message, fields=fields or {})
    data = response.get_json()
    data["errors"] = body_errors
    if more:
        data["more_errors"] = more
    return json_response(data, 422)


def _field_errors(fields: dict[str, list[str]]) -> list[RowError]:
    return [RowError(None, name, "", message) for name, messages in fields.items() for message in messages]


batch_submissions = token_limited_routes("batch_submissions", batch_rate_limit)


@batch_submissions.post("/liaison-points/<int:point_id>/batches")
@refusal_shape(lambda message, fields: _rejected(_field_errors(fields), message, fields))
@token_required
@writes
def create_batch(point_id: int):
    user = current_api_user()
    now = clock.now()
    # By role first (403 for every id alike), then 404 for a point the account may not
    # see (another point's operator), exactly as for a point that does not exist.
    require(policies.can_open_batches(user))
    point = load_visible(LiaisonPoint, point_id, lambda point: policies.can_view_batches(user, point),
                         message=_("联系点不存在。"))
    if not policies.point_takes_batches(point):
        # 409 rather than can_submit_batch's 403: the account may, the point no longer.
        raise batches.refusal_error(policies.BatchRefusal.POINT_INACTIVE)
    require(policies.can_submit_batch(user, point))
    try:
        key = idempotency_key()
        target, activity, source = _request_batch(now)
        result = batches.check(source, target, point)
        batch, created = batches.store(result, activity, user, now,
                                       idempotency_key=f"{user.id}:{key}" if key else None)
    except batches.BatchRejected as exc:
        db.session.rollback()
        return _rejected(exc.errors, exc.message, exc.fields, exc.more_errors)
    except ValidationFailed as exc:
        db.session.rollback()
        return _rejected(_field_errors(exc.fields), exc.message, exc.fields,
                         code=getattr(exc, "code", "validation_failed"))
    receipts = proposal_rows.receipts_of(batch) if batch.plan_call_id else queries.receipts_of(batch)
    body = batch_body(batch, receipts)
    db.session.commit()
    return json_response(body, 201 if created else 200,
                         headers={"Location": url_for("batches.batch", batch_id=batch.id)})


def _request_batch(now) -> tuple[Draft, Activity, batches.FileSource | batches.JsonSource]:
    if request.mimetype == "multipart/form-data":
        return _from_multipart(now)
    if request.is_json:
        return _from_json(now)
    raise ApiError(415, "unsupported_media_type",
                   _("请求体必须是 multipart/form-data（上传文件）或 application/json（逐行提交）。"))


def _draft(value, problems: _Problems, now, *, from_text: bool = False) -> Draft | None:
    if from_text and isinstance(value, str) and _DIGITS.fullmatch(value):
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        problems.add("draft", _("请填写草案编号（整数）。") if value in (None, "") else _("草案编号必须是整数。"))
        return None
    draft = queries.get_draft(value)
    if draft is None or not policies.can_view_draft(current_api_user(), draft, now):
        problems.add("draft", _("草案不存在，或尚未发布。"))
        return None
    return draft


def _call(value, problems: _Problems, now, *, from_text: bool = False) -> PlanCall | None:
    if from_text and isinstance(value, str) and _DIGITS.fullmatch(value):
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        problems.add("call_id", _("请填写征集编号（整数）。") if value in (None, "") else _("征集编号必须是整数。"))
        return None
    call = queries.get_call(value) if 0 < value <= MAX_ID else None
    if call is None or not policies.can_view_plan_call(current_api_user(), call, now):
        problems.add("call_id", _("征集不存在，或尚未发布。"))
        return None
    return call


def _target(values, problems: _Problems, now, *, kind, from_text: bool = False) -> Draft | PlanCall | None:
    """The draft (``kind`` opinions, the default) or the call (``kind`` proposals) the
    batch answers; the other target's field is refused."""
    if kind in (None, ""):
        kind = "opinions"
    if kind not in KINDS:
        problems.add("kind", _("只能是以下取值之一：%(choices)s。", choices="、".join(KINDS)))
        return None
    wanted, other = ("call_id", "draft") if kind == "proposals" else ("draft", "call_id")
    if values.get(other) is not None:
        problems.add(other, _("kind 为 %(kind)s 时不接受此字段。", kind=kind))
    if kind == "proposals":
        return _call(values.get("call_id"), problems, now, from_text=from_text)
    return _draft(values.get("draft"), problems, now, from_text=from_text)


def _activity(raw: dict, problems: _Problems, now, prefix: str, *, from_text: bool = False) -> Activity | None:
    """The activity, read exactly as documented (the web form is more forgiving): the
    kind one of the listed words, the date YYYY-MM-DD, texts within their lengths,
    participants an integer (digits, in a multipart form)."""
    before = len(problems.fields)
    kind = raw.get("kind")
    if kind not in vocabulary.ACTIVITY_WORDS:
        problems.add(prefix + "kind", _("活动形式只能是：%(choices)s。", choices="、".join(vocabulary.ACTIVITY_WORDS)))
    day = raw.get("date")
    if not isinstance(day, str) or not _DATE.fullmatch(day):
        problems.add(prefix + "date", _("请按“年-月-日”填写活动日期，例如 2026-03-15。"))
    for name, limit in _ACTIVITY_LIMITS.items():
        value = raw.get(name)
        if value is not None and (not isinstance(value, str) or len(value) > limit):
            problems.add(prefix + name, _("必须是不超过 %(limit)d 个字的文字。", limit=limit))
    participants = raw.get("participants")
    if from_text and isinstance(participants, str):
        participants = int(participants) if _DIGITS.fullmatch(participants) else participants
        raw = {**raw, "participants": participants}
    if participants is not None and (isinstance(participants, bool) or not isinstance(participants, int)):
        problems.add(prefix + "participants", _("参加人数必须是整数。"))
    if len(problems.fields) > before:
        return None
    try:
        return batches.parse_activity(raw, today=utc_to_local(now).date())
    except ValidationFailed as exc:
        problems.merge(exc.fields, prefix)
        return None


def _from_multipart(now):
    problems = _Problems()
    for name in list(request.form) + list(request.files):
        if name not in MULTIPART_FIELDS:
            problems.add(name[:50], _("不接受此字段。"))
    # The form's ``kind`` is the activity's: a file of proposals is told by its call_id.
    kind = "proposals" if request.form.get("call_id") not in (None, "") else "opinions"
    target = _target(request.form, problems, now, kind=kind, from_text=True)
    activity = _activity({name: request.form.get(name) for name in ACTIVITY_FIELDS}, problems, now, "",
                         from_text=True)
    storage = request.files.get("file")
    if storage is None:
        if "file" in request.form:
            problems.add("file", _("file 必须以文件方式上传。"))
        else:
            problems.add("file", _("请上传意见汇总表文件（字段 file）。"))
    problems.raise_if_any()
    return target, activity, batches.FileSource(storage.read(), storage.filename or "")


def _from_json(now):
    payload = json_body()
    problems = _Problems()
    for name in payload:
        if name not in JSON_FIELDS:
            problems.add(str(name)[:50], _("不接受此字段。"))
    target = _target(payload, problems, now, kind=payload.get("kind"))
    raw_activity = payload.get("activity")
    activity = None
    if not isinstance(raw_activity, dict):
        problems.add("activity", _("请提供活动信息（对象）：kind、date，可选 place、participants、notes、late_reason。"))
    else:
        for name in raw_activity:
            if name not in ACTIVITY_FIELDS:
                problems.add(f"activity.{str(name)[:50]}", _("不接受此字段。"))
        activity = _activity(raw_activity, problems, now, "activity.")
    if "rows" not in payload:
        problems.add("rows", _("请提供 rows（意见行或建议行的数组）。"))
    problems.raise_if_any()
    return target, activity, batches.JsonSource(payload["rows"])


def batch_body(batch: Batch, receipts: list[tuple[int, str]]) -> dict:
    return {
        "id": batch.id,
        "liaison_point": batch.liaison_point_id,
        "kind": batch.kind,
        "draft": batch.draft_id,
        "call_id": batch.plan_call_id,
        "rows": batch.row_count,
        "represented": batch.represented_total,
        "entered_by_staff": batch.is_entered_by_staff,
        "late_reason": batch.late_reason,
        "source": {"format": batch.source_format, "encoding": batch.source_encoding, "digest": batch.source_digest},
        "created_at": batch.created_at.isoformat(),
        "receipts": [{"row": row, "receipt": receipt} for row, receipt in receipts],
    }


# --- OpenAPI -----------------------------------------------------------------------------

openapi.add_tag("batches", "基层立法联系点报送的意见汇总表（批次）：整批导入，逐行校验，不重复导入。")

_TEXT = {"type": "string"}
_VISIBLE = "[^\\s\\u0000-\\u001f\\u007f-\\u009f]"
_EXAMPLE_ACTIVITY = {"kind": "forum", "date": "2026-03-15", "place": "社区活动室", "participants": 30}
_EXAMPLE_ROWS = [
    {"provision": "第一条", "body": "建议明确适用范围。", "stance": "修改", "category": "居民", "name": "王芳",
     "represented": 3},
    {"provision": None, "body": "总体赞成。", "stance": "赞成", "category": "律师"},
]


def _limited(limit: int, description: str = "") -> dict:
    schema = {**openapi.nullable(_TEXT), "maxLength": limit}
    if description:
        schema["description"] = description
    return schema


openapi.add_schema("BatchActivity", {
    "type": "object",
    "required": ["kind", "date"],
    "additionalProperties": False,
    "properties": {
        "kind": {"type": "string", "enum": list(vocabulary.ACTIVITY_WORDS),
                 "description": "活动形式：forum 座谈会、visit 走访、survey 问卷、other 其他（也可写中文）。"},
        "date": {"type": "string", "format": "date", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
                 "description": "活动日期（不晚于今天）。"},
        "place": _limited(vocabulary.MAX_PLACE_LENGTH, "地点。"),
        "participants": {**openapi.nullable({"type": "integer", "minimum": 1, "maximum": vocabulary.MAX_PARTICIPANTS}),
                         "description": "参加人数。"},
        "notes": _limited(vocabulary.MAX_NOTES_LENGTH, "备注。"),
        "late_reason": _limited(vocabulary.MAX_LATE_REASON_LENGTH,
                                "逾期原因：征求意见期结束后由工作人员代为录入时必填。"),
    },
    "description": "收集这批意见的活动。",
    "examples": [_EXAMPLE_ACTIVITY],
})
openapi.add_schema("BatchRowInput", {
    "type": "object",
    "required": ["body"],
    "additionalProperties": False,
    "properties": {
        "provision": _limited(vocabulary.MAX_PROVISION_LENGTH,
                              "条款：条款键（art.11.1.3），或写法同表格（第十一条、第11条第2款、第十一条第（三）项）；"
                              "null、空字符串、“总体意见”表示对草案整体的意见。必须是该草案当前版本中的条款，否则 422。"),
        "body": {"type": "string", "minLength": 1, "maxLength": vocabulary.MAX_BODY_LENGTH, "pattern": _VISIBLE,
                 "description": "意见内容（必填）。"},
        "stance": {**openapi.nullable(_TEXT), "enum": [*vocabulary.STANCE_WORDS, "", None],
                   "description": "态度：support/oppose/amend/add/delete/other，或 赞成、反对、修改、新增、删除、其他 等；"
                                  "null 或空记为“其他”。"},
        "proposed_text": _limited(vocabulary.MAX_PROPOSED_TEXT_LENGTH, "修改建议条文。"),
        "reason": _limited(vocabulary.MAX_REASON_LENGTH, "理由。"),
        "category": {**openapi.nullable(_TEXT), "enum": [*vocabulary.CATEGORY_WORDS, "", None],
                     "description": "提出人类别：SubmitterCategory 的值，或 公民（居民）、人大代表、企业、律师、专家、"
                                    "单位、基层立法联系点、其他 等；null 或空记为“公民”。"},
        "name": _limited(vocabulary.MAX_NAME_LENGTH, "提出人姓名（不公开；同一联系点同名按同一人统计）。"),
        "region": _limited(vocabulary.MAX_REGION_LENGTH, "地区。"),
        "represented": {**openapi.nullable({"type": "integer", "minimum": 1, "maximum": vocabulary.MAX_REPRESENTED}),
                        "description": "反映群众人数：持这条意见的群众人数；null 记为 1。"},
    },
    "description": "一行意见（与表格的一行相同）。",
})
_P = proposal_rows
openapi.add_schema("ProposalBatchRowInput", {
    "type": "object",
    "required": ["title", "necessity"],
    "additionalProperties": False,
    "properties": {
        "title": {"type": "string", "minLength": 1, "maxLength": _P._TEXT_LIMITS["title"], "pattern": _VISIBLE,
                  "description": "项目名称（必填）/ the proposed regulation."},
        "necessity": {"type": "string", "minLength": 1, "maxLength": _P._TEXT_LIMITS["necessity"], "pattern": _VISIBLE,
                      "description": "立法的必要性和可行性（必填）。"},
        "problems": _limited(_P._TEXT_LIMITS["problems"], "需要解决的主要问题。"),
        "measures": _limited(_P._TEXT_LIMITS["measures"], "拟规定的主要制度和措施。"),
        "area": _limited(_P._TEXT_LIMITS["area"], "重点领域，须为该征集的重点领域之一。"),
        "category": {**openapi.nullable(_TEXT), "enum": [*_P.CATEGORY_WORDS, "", None],
                     "description": "提出人类别：ProposerCategory 的值，或 公民、人大代表、基层立法联系点、单位、政府部门、专家 等；"
                                    "null 或空记为“公民”。单位、政府部门须填 unit。"},
        "name": _limited(_P._TEXT_LIMITS["name"], "姓名。"),
        "unit": _limited(_P._TEXT_LIMITS["unit"], "单位。"),
        "region": _limited(_P._TEXT_LIMITS["region"], "地区。"),
        "contact": _limited(_P._TEXT_LIMITS["contact"], "联系方式，仅工作人员可见 / staff only."),
        "publish_name": {"type": ["boolean", "null"], "description": "是否公开姓名（须有姓名或单位）。"},
        "represented": {**openapi.nullable({"type": "integer", "minimum": 1, "maximum": vocabulary.MAX_REPRESENTED}),
                        "description": "反映群众人数；null 记为 1。"},
    },
    "description": "一行立法项目建议（与立法项目建议汇总表的一行相同）/ one proposal row.",
})
openapi.add_schema("BatchInput", {
    "type": "object",
    "required": ["activity", "rows"],
    "additionalProperties": False,
    "properties": {
        "kind": {"type": ["string", "null"], "enum": ["opinions", "proposals", None], "default": "opinions",
                 "description": "opinions 意见（默认，对草案）；proposals 立法项目建议（对征集，给出 call_id，"
                                "rows 为 ProposalBatchRowInput）/ what the rows are."},
        "draft": {"type": ["integer", "null"], "minimum": 1, "maximum": MAX_ID,
                  "description": "草案编号（kind 为 opinions 时必填）。"},
        "call_id": {"type": ["integer", "null"], "minimum": 1, "maximum": MAX_ID,
                    "description": "征集编号（kind 为 proposals）/ the call, for proposals."},
        "activity": openapi.ref("BatchActivity"),
        "rows": {"type": "array", "items": {"anyOf": [openapi.ref("BatchRowInput"),
                                                      openapi.ref("ProposalBatchRowInput")]}, "minItems": 1,
                 "description": "意见行或建议行；行号从 1 起按数组顺序。"},
    },
    "examples": [{"draft": 1, "activity": _EXAMPLE_ACTIVITY, "rows": _EXAMPLE_ROWS}],
})
openapi.add_schema("BatchUpload", {
    "type": "object",
    "required": ["file", "kind", "date"],
    "additionalProperties": False,
    "properties": {
        "draft": {"type": "integer", "minimum": 1, "maximum": MAX_ID, "description": "草案编号。"},
        "call_id": {"type": "integer", "minimum": 1, "maximum": MAX_ID,
                    "description": "征集编号：上传立法项目建议汇总表时给出（代替 draft；表单的 kind 是活动形式）"
                                   " / the call, for a table of proposals (instead of draft)."},
        "file": {"type": "string", "format": "binary", "contentMediaType": "application/octet-stream",
                 "description": "意见汇总表：.xlsx 工作簿，或 CSV（UTF-8、带 BOM 的 UTF-8、GBK/GB18030）、"
                                "Unicode 文本（UTF-16，制表符分隔）。按内容识别，不看文件名。"},
        "kind": {"type": "string", "enum": list(vocabulary.ACTIVITY_WORDS), "description": "活动形式，见 BatchActivity。"},
        "date": {"type": "string", "format": "date", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"},
        "place": {"type": "string", "maxLength": vocabulary.MAX_PLACE_LENGTH},
        "participants": {"type": "integer", "minimum": 1, "maximum": vocabulary.MAX_PARTICIPANTS},
        "notes": {"type": "string", "maxLength": vocabulary.MAX_NOTES_LENGTH},
        "late_reason": {"type": "string", "maxLength": vocabulary.MAX_LATE_REASON_LENGTH},
    },
})
openapi.add_schema("BatchCreated", openapi.obj(
    {
        "id": {"type": "integer", "minimum": 1, "description": "批次编号。"},
        "liaison_point": {"type": "integer", "minimum": 1},
        "kind": {"type": "string", "enum": ["opinions", "proposals"], "description": "意见或立法项目建议。"},
        "draft": {"type": ["integer", "null"], "minimum": 1, "description": "草案编号（意见批次）。"},
        "call_id": {"type": ["integer", "null"], "minimum": 1, "description": "征集编号（建议批次）。"},
        "rows": {"type": "integer", "minimum": 1, "description": "导入的意见条数。"},
        "represented": {"type": "integer", "minimum": 1, "description": "反映群众人数合计。"},
        "entered_by_staff": {"type": "boolean", "description": "是否由工作人员代为录入。"},
        "late_reason": {"type": "string", "description": "逾期原因（按期报送时为空）。"},
        "source": openapi.obj({
            "format": {"type": "string", "enum": [source.value for source in BatchSource]},
            "encoding": {"type": "string", "description": "文本文件的编码（utf-8、utf-8-sig、gb18030、utf-16）。"},
            "digest": {"type": "string", "description": "文件（或 JSON 行）的 SHA-256。"},
        }),
        "created_at": {"type": "string", "format": "date-time"},
        "receipts": {"type": "array", "items": openapi.obj({
            "row": {"type": "integer", "minimum": 1, "description": "表格中的行号（JSON 为数组序号，从 1 起）。"},
            "receipt": {"type": "string", "description": "该行意见的回执码。"},
        }), "description": "每一行的回执码，可转交给提出人查询处理情况。"},
    },
    description="已保存的批次。",
))
openapi.add_schema("BatchRowError", openapi.obj(
    {
        "row": {**openapi.nullable({"type": "integer", "minimum": 1}),
                "description": "表格中的行号（JSON 为数组序号）；关于整个请求或文件的错误为 null。"},
        "column": {"type": "string", "description": "列（表头）或字段名。"},
        "value": {"type": "string", "description": "填写的内容（过长时截断）。"},
        "message": {"type": "string", "description": "中文说明。"},
    },
))
openapi.add_schema("BatchValidationError", openapi.obj(
    {
        "error": openapi.VALIDATION_ERROR_CODES,
        "message": {"type": "string"},
        "fields": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}},
        "errors": {"type": "array", "items": openapi.ref("BatchRowError"),
                   "description": "找到的每一处错误（最多 1000 处）。"},
        "more_errors": {"type": "integer", "minimum": 1, "description": "未列出的错误数。"},
    },
    optional=("more_errors",),
    description="整批未保存：errors 列出每一处错误。",
))

_operation = openapi.operation(
    "报送意见汇总表（批次）",
    description=(
        "联系点信息员为本联系点、工作人员代任一联系点报送一批意见。两种请求体：multipart/form-data 上传文件"
        "（字段 draft、file 及活动字段），或 JSON 逐行提交。每一行校验，任何一行有错误时整批不保存，422 的 errors "
        "列出全部错误（行号、列、内容、说明）。全部行在一个事务中保存。\n\n"
        "不重复导入：同一联系点、同一草案的同一文件（或同样的 JSON 行），或同一账户的同一 `Idempotency-Key`，"
        "返回 200 和第一次保存的批次。同一个键用于别的内容（别的文件或 JSON 行、别的联系点或草案）返回 422，"
        "error 为 `idempotency_key_conflict`，errors 和 fields 中为 `Idempotency-Key`。\n\n"
        "草案须在征求意见期内（按服务器时间），否则 409；期满后工作人员可填写 late_reason 代为录入。"
        "请求体超过上传上限（MAX_UPLOAD_BYTES）时在读取前返回 413。宏工作簿、旧版 .xls、非表格文件、"
        "解压后过大的工作簿一律 422；公式只读取文件中保存的计算结果，从不计算。\n\n"
        "立法项目建议 / proposals：JSON 请求体 `kind` 为 `proposals` 并给出 `call_id`（不给 draft），rows 为 "
        "ProposalBatchRowInput；上传文件时给出 `call_id` 代替 `draft`，文件为立法项目建议汇总表（表头：项目名称、"
        "立法的必要性和可行性、需要解决的主要问题、拟规定的主要制度和措施、重点领域、提出人类别、姓名、单位、地区、"
        "联系方式、是否公开姓名、反映群众人数）。校验、整批保存、不重复导入与意见相同；征集须在征集期内，否则 409。"
    ),
    tag="batches", operation_id="createLiaisonBatch", security=openapi.TOKEN_REQUIRED,
    parameters=[
        {**openapi.path_parameter("point_id", {"type": "integer", "minimum": 1, "maximum": MAX_ID}, "联系点编号。"),
         "example": 1},
        IDEMPOTENCY_KEY_PARAMETER,
    ],
    request_body=openapi.ref("BatchInput"),
    responses={
        201: openapi.response("已保存。", openapi.ref("BatchCreated"), headers={
            "Location": {"description": "批次页面。", "schema": {"type": "string"}}}),
        200: openapi.response("这批意见已经保存过，返回第一次保存的批次。", openapi.ref("BatchCreated"), headers={
            "Location": {"description": "批次页面。", "schema": {"type": "string"}}}),
    },
    errors=(400, 403, 404, 409, 413, 415, 422),
)
_operation["requestBody"]["content"]["multipart/form-data"] = {
    "schema": openapi.ref("BatchUpload"),
    "encoding": {"file": {"contentType": "application/octet-stream"}},
}
_operation["responses"]["422"] = openapi.response("校验失败，整批未保存。", openapi.ref("BatchValidationError"))
openapi.add_operation("/liaison-points/{point_id}/batches", "post", _operation)
