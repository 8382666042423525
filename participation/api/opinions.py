"""Opinions (意见建议): submission, the per-clause tally, the published opinions on a
clause, and receipt lookup.

Submission (``POST /drafts/<id>/comments``) needs a bearer token: the API offers no
anonymous submissions. Retries are made safe by an optional ``Idempotency-Key``
header: the same key from the same account stores one opinion, and the retry is
answered 200 with it instead of 201.

The body is read strictly. Fields the API does not take (status, moderation_state,
author, receipt, draft …) are refused with a 422 naming them rather than ignored, so a
client that believes it sets them learns at once that it does not.
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from flask import current_app, request, url_for
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from participation import clock, policies, queries
from participation.api import openapi, serializers
from participation.api.blueprint import api, token_limited_routes
from participation.api.auth import current_api_holder, current_api_user, token_required
from participation.api.errors import ApiError, json_response
from participation.api.params import IDEMPOTENCY_KEY_PARAMETER, QueryArgs, idempotency_key, json_body
from participation.errors import Conflict, Forbidden, NotFound, ValidationFailed
from participation.extensions import db
from participation.models import Draft, ModerationState, Provision, Stance
from participation.models.provisions import COMMENTABLE_KINDS
from participation.services import feedback
from participation.services import opinions as service
from participation.tally.compute import compute_tally
from participation.text import is_storable_text
from participation.unit_of_work import reading, reads, writing
from participation.views import load_visible

# Larger ids cannot exist (32-bit primary keys on PostgreSQL).
MAX_ID = 2**31 - 1
DEFAULT_SUBMISSION_RATE_LIMIT = "60 per minute"
# Enough for every field at its length limit even with every character written as a
# JSON \\u escape of a surrogate pair (12 bytes); anything larger is refused unread.
MAX_SUBMISSION_BYTES = 256 * 1024
PROVISION_KEY_PATTERN = re.compile(r"[A-Za-z0-9._~-]{1,80}")
MAX_PER_PAGE = 50

# Cursor of the clause listing: microseconds since the epoch and the opinion id of the
# last item shown. Every string of this shape is a valid position.
_CURSOR = re.compile(r"([0-9]{1,17})-([0-9]{1,10})")
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_MICROSECOND = timedelta(microseconds=1)

SUBMISSION_FIELDS = ("provision", "stance", "body", "proposed_text", "reason", "submitter", "publish_name")
SUBMITTER_FIELDS = ("category", "name", "region", "contact")
# The service's field names → the names of the API body (JSON-pointer-ish).
_API_FIELD_NAMES = {
    "submitter_name": "submitter.name",
    "region": "submitter.region",
    "contact": "submitter.contact",
    "category": "submitter.category",
    "idempotency_key": "Idempotency-Key",
}
# What a receipt lookup says about the opinion's moderation state.
RECEIPT_STATUS = {
    ModerationState.PENDING.value: "received",
    ModerationState.PUBLISHED.value: "published",
    ModerationState.HIDDEN.value: "hidden",
}


def submission_rate_limit() -> str:
    """Per token, on top of the API's per-address limit (``API_RATE_LIMIT``)."""
    return current_app.config.get("OPINION_API_RATE_LIMIT") or DEFAULT_SUBMISSION_RATE_LIMIT


def _visible_draft(draft_id: int, now: datetime) -> Draft:
    # The draft with its versions in one query. Unpublished drafts are "not found" to
    # those who may not see them, as in /drafts.
    return load_visible(
        lambda draft_id: db.session.scalar(select(Draft).where(Draft.id == draft_id).options(joinedload(Draft.versions))),
        draft_id, lambda draft: policies.can_view_draft(current_api_user(), draft, now),
        message=_("草案不存在，或尚未发布。"))


# --- POST /drafts/<id>/comments ----------------------------------------------------------

submissions = token_limited_routes("submissions", submission_rate_limit)


@submissions.post("/drafts/<int:draft_id>/comments")
@token_required
def create_comment(draft_id: int):
    # The hot path of the platform: it reads the token, the draft and the clause as
    # plain columns (one statement each) and stores the opinion with one INSERT; no
    # ORM object is built (see bench/README.md, "Opinion submission").
    # Set before the body is read: a larger body is refused with 413 unread.
    request.max_content_length = min(MAX_SUBMISSION_BYTES, current_app.config.get("MAX_CONTENT_LENGTH")
                                     or MAX_SUBMISSION_BYTES)
    holder = current_api_holder()
    now = clock.now()
    key = idempotency_key()
    data, refusal = _parsed_submission()
    # A read unit first: a refusal (no such draft, a bad body) never waits for the
    # write lock, which one submission at a time holds (SQLite).
    with reading():
        target = service.submission_target(draft_id, data.provision_key if data else None) \
            if 0 < draft_id <= MAX_ID else None
        # Unpublished drafts are "not found" to those who may not see them, as in
        # /drafts; that comes before anything about the body.
        if target is None or not policies.can_view_draft(holder, target, now):
            raise NotFound(_("草案不存在，或尚未发布。"))
        if refusal is not None:
            raise refusal
    submission_token = f"api:{holder.id}:{key}" if key else None
    try:
        with writing():
            stored = service.submit_opinion(
                target, data, author=holder, now=now, submission_token=submission_token,
                fingerprint=service.request_fingerprint(draft_id, data) if submission_token else None,
                channel="api")
            db.session.commit()
    except (ValidationFailed, Conflict, NotFound, Forbidden) as exc:  # IdempotencyKeyConflict included
        exc.fields = {_API_FIELD_NAMES.get(name, name): messages for name, messages in exc.fields.items()}
        raise
    body = {"id": stored.id, "receipt": stored.receipt_code, "status": RECEIPT_STATUS[stored.moderation_state]}
    location = url_for("api.get_receipt", code=stored.receipt_code)
    return json_response(body, 201 if stored.created else 200, headers={"Location": location})


def _parsed_submission() -> tuple[service.OpinionInput | None, Exception | None]:
    """(the parsed body, None), or (None, the refusal to answer with once the draft is
    known to be visible to the caller)."""
    try:
        return parse_submission(json_body()), None
    except (ApiError, HTTPException, ValidationFailed, NotFound) as exc:
        return None, exc


def parse_submission(payload: dict) -> service.OpinionInput:
    """The JSON body → the service's input, or ValidationFailed naming every field at
    fault: unknown fields (refused, never ignored), missing fields and wrong types.
    Lengths and choices are checked by the service, which the web form shares."""
    errors: dict[str, list[str]] = {}

    def fail(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    for name in payload:
        if name not in SUBMISSION_FIELDS:
            fail(name, _("不接受此字段。"))

    def text(container: dict, name: str, path: str, *, required: bool = False) -> str:
        value = container.get(name)
        if value is None:
            if required:
                fail(path, _("缺少此字段。") if name not in container else _("不能为 null。"))
            return ""
        if not isinstance(value, str):
            fail(path, _("必须是字符串。"))
            return ""
        if not is_storable_text(value):
            fail(path, _("含有无效的字符（不成对的代理项）。"))
            return ""
        return value

    provision = None
    if "provision" not in payload:
        fail("provision", _("缺少此字段；对草案整体提意见时请填 null。"))
    elif payload["provision"] is not None:
        provision = text(payload, "provision", "provision")
        if provision == "":
            fail("provision", _("条款键不能为空；对草案整体提意见时请填 null。"))
    stance = text(payload, "stance", "stance", required=True)
    body = text(payload, "body", "body", required=True)
    proposed_text = text(payload, "proposed_text", "proposed_text")
    reason = text(payload, "reason", "reason")

    submitter = payload.get("submitter")
    if submitter is None:
        submitter = {}
    elif not isinstance(submitter, dict):
        fail("submitter", _("必须是对象。"))
        submitter = {}
    for name in submitter:
        if name not in SUBMITTER_FIELDS:
            fail(f"submitter.{name}", _("不接受此字段。"))
    category = text(submitter, "category", "submitter.category") or None
    name = text(submitter, "name", "submitter.name")
    region = text(submitter, "region", "submitter.region")
    contact = text(submitter, "contact", "submitter.contact")

    publish_name = payload.get("publish_name", False)
    if publish_name is None:
        publish_name = False
    if not isinstance(publish_name, bool):
        fail("publish_name", _("必须是 true 或 false。"))
        publish_name = False

    if errors:
        raise ValidationFailed(_("请求有误，请检查标出的字段。"), fields=errors)
    # A malformed key names no clause of any draft: "not found", like an unknown one.
    if provision is not None and not PROVISION_KEY_PATTERN.fullmatch(provision):
        raise NotFound(_("草案中没有这个条款：%(key)s", key=provision[:80]), fields={"provision": [_("条款不存在。")]})
    return service.OpinionInput(
        body=body, stance=stance, provision_key=provision, proposed_text=proposed_text, reason=reason,
        category=category, region=region, submitter_name=name, is_name_public=publish_name, contact=contact,
    )


# --- GET /drafts/<id>/tally --------------------------------------------------------------

@api.get("/drafts/<int:draft_id>/tally")
@reads
def get_tally(draft_id: int):
    now = clock.now()
    draft = _visible_draft(draft_id, now)
    if not policies.can_view_tally(current_api_user(), draft, now):
        raise NotFound(_("草案不存在，或尚未发布。"))
    version = draft.current_version
    if version is None:
        raise NotFound(_("草案没有可统计的版本。"))
    details = policies.can_view_tally_details(current_api_user())
    tally = compute_tally(draft.id, version.id, published_only=not details)
    dispositions = policies.can_view_tally_dispositions(current_api_user(), draft)
    return json_response(serializers.draft_tally(draft, version, tally, details=details, dispositions=dispositions,
                                                 point_names=queries.liaison_point_names(tally.overall.by_liaison_point)))


# --- GET /drafts/<id>/provisions/<key>/opinions ----------------------------------------------

@api.get("/drafts/<int:draft_id>/provisions/<key>/opinions")
@reads
def list_clause_opinions(draft_id: int, key: str):
    args = QueryArgs()
    per_page = args.integer("per_page", default=20, minimum=1, maximum=MAX_PER_PAGE)
    after = decode_cursor(args)
    args.check()
    now = clock.now()
    draft = _visible_draft(draft_id, now)
    provision = _clause(draft, key)
    # Like the page: a listing the caller may not read is "not found", not forbidden.
    if not policies.can_list_published_opinions(current_api_user(), draft, now):
        raise NotFound(_("该草案的意见不公开。"))
    version_id = provision.version_id
    provision_ids = queries.subtree_ids(provision)
    page = queries.published_opinions_page(draft.id, version_id, provision_ids=provision_ids,
                                           after=after, limit=per_page)
    total = queries.published_opinion_total(draft.id, version_id, provision_ids)
    return json_response({
        "provision": {"key": provision.key, "kind": provision.kind,
                      "label": queries.clause_citation(version_id, provision.key)},
        "items": [serializers.public_opinion(opinion, page.citations) for opinion in page.items],
        "total": total,
        "per_page": per_page,
        "next_cursor": encode_cursor(page.next_cursor) if page.next_cursor else None,
    })


def _clause(draft: Draft, key: str) -> Provision:
    version = draft.current_version
    provision = (queries.find_provision(version.id, key)
                 if version is not None and PROVISION_KEY_PATTERN.fullmatch(key) else None)
    if provision is None or provision.kind not in COMMENTABLE_KINDS:
        raise NotFound(_("草案中没有这个条款：%(key)s", key=key[:80]))
    return provision


def encode_cursor(cursor: queries.OpinionCursor) -> str:
    return f"{(cursor.created_at - _EPOCH) // _MICROSECOND}-{cursor.id}"


def decode_cursor(args: QueryArgs) -> queries.OpinionCursor | None:
    raw = args.values.get("cursor")
    if raw is None:
        return None
    match = _CURSOR.fullmatch(raw)
    if match is None:
        args.add_error("cursor", _("cursor 无效：请原样使用上一页返回的 next_cursor。"))
        return None
    # 17 digits of microseconds stay well inside datetime's range; no id exceeds MAX_ID
    # (and PostgreSQL would refuse to compare an integer column with a larger number).
    return queries.OpinionCursor(_EPOCH + int(match.group(1)) * _MICROSECOND, min(int(match.group(2)), MAX_ID))


# --- GET /receipts/<code> ------------------------------------------------------------------

#: Lookups of other kinds of receipt, each ``code → answer or None``, registered by their
#: modules (so that this one imports none of them).
RECEIPT_LOOKUPS: list = []


@api.get("/receipts/<code>")
@reads
def get_receipt(code: str):
    # A malformed code is just a code that matches no opinion.
    opinion = service.find_by_receipt(code)
    if opinion is None:
        # Receipts of other kinds share the code space (立法项目建议: participation.api.plans).
        for lookup in RECEIPT_LOOKUPS:
            answer = lookup(code)
            if answer is not None:
                return json_response(answer)
        raise NotFound(_("没有找到这个回执码对应的意见。回执码是 12 位字母和数字，例如 ABCD-2345-WXYZ，请核对后重试。"))
    draft = db.session.get(Draft, opinion.draft_id)
    return json_response(serializers.receipt(opinion, draft, RECEIPT_STATUS[opinion.moderation_state],
                                             feedback.released_disposition(opinion, draft)))


# --- documentation ---------------------------------------------------------------------------

# Printable, not blank once control characters and surrounding spaces are removed (the
# service stores text cleaned that way and refuses what is left empty).
_VISIBLE = "[^\\s\\u0000-\\u001f\\u007f-\\u009f]"
_STANCES = [stance.value for stance in Stance]
_SELF_CHOSEN = [category.value for category in service.SELF_CHOSEN_CATEGORIES]
_DRAFT_ID = {**openapi.path_parameter("draft_id", {"type": "integer", "minimum": 1}, "草案编号。"), "example": 1}
_COUNTS = {"type": "object", "additionalProperties": {"type": "integer", "minimum": 0}}


def _text(limit: int, description: str, *, nullable: bool = True) -> dict:
    schema = {"type": "string", "maxLength": limit, "description": description}
    return openapi.nullable(schema) if nullable else schema


openapi.add_tag("opinions", "意见建议：提交、意见统计、条款下公开的意见、回执查询。")
openapi.add_schema("Stance", {
    "type": "string", "enum": _STANCES,
    "description": "态度：support 赞成、oppose 反对、amend 修改、add 新增、delete 删除、other 其他。",
})
openapi.add_schema("SubmitterCategory", {
    "type": "string", "enum": [category.value for category in type(service.SubmitterCategory.CITIZEN)],
    "description": "提出人类别：citizen 公民、deputy 人大代表、liaison_point 基层立法联系点、organisation 单位、"
                   "expert 专家、enterprise 企业、lawyer 律师、other 其他。",
})
openapi.add_schema("OpinionSubmitter", {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "category": {
            **openapi.nullable({"type": "string", "enum": _SELF_CHOSEN}),
            "description": "提出人类别，可选 citizen 公民（默认）、organisation 单位、enterprise 企业、lawyer 律师、"
                           "expert 专家。人大代表和联系点信息员的类别由账户决定（deputy、liaison_point），"
                           "省略或填 null 即可，也可填写本账户的类别；填写其他类别返回 422。",
        },
        "name": _text(service.MAX_NAME_LENGTH, "姓名或单位名称（可选）。只有 publish_name 为 true 时才公开。"),
        "region": _text(service.MAX_REGION_LENGTH, "所在地区（可选），例如 某某区某某街道。"),
        "contact": _text(service.MAX_CONTACT_LENGTH,
                         "联系方式（可选）。只有工作人员可见，任何公开页面和公开接口都不会返回。"),
    },
    "description": "提出人信息。",
})
openapi.add_schema("OpinionSubmission", {
    "type": "object",
    "required": ["provision", "stance", "body"],
    "additionalProperties": False,
    "properties": {
        "provision": {
            **openapi.nullable({"type": "string", "pattern": "^[A-Za-z0-9._~-]{1,80}$"}),
            "description": "意见针对的条款键（条、款、项、目、序言、附件），例如 art.12、art.12.2、art.12.2.3；"
                           "对草案整体提意见（总体意见）时为 null。必须是该草案当前版本中的条款，否则返回 404。",
            "examples": ["art.12.2"],
        },
        "stance": openapi.ref("Stance"),
        "body": {"type": "string", "minLength": 1, "maxLength": service.MAX_BODY_LENGTH,
                 "pattern": _VISIBLE, "description": "意见内容（必填）。按原样保存（NFC 规范化、去掉控制字符）。"},
        "proposed_text": _text(service.MAX_PROPOSED_TEXT_LENGTH, "修改建议条文（可选）。"),
        "reason": _text(service.MAX_REASON_LENGTH, "理由（可选）。"),
        "submitter": openapi.nullable(openapi.ref("OpinionSubmitter")),
        "publish_name": {"type": "boolean", "default": False,
                         "description": "是否公开姓名；为 true 时 submitter.name 必填。"},
    },
    # Publishing a name needs a name.
    "if": {"properties": {"publish_name": {"const": True}}, "required": ["publish_name"]},
    "then": {
        "required": ["submitter"],
        "properties": {"submitter": {
            "type": "object", "required": ["name"],
            "properties": {"name": {"type": "string", "minLength": 1, "pattern": _VISIBLE}},
        }},
    },
    "description": "一条意见。未列出的字段（例如 status、moderation_state、author、receipt、draft）一律拒绝（422），"
                   "不会被静默忽略。",
})
openapi.add_schema("OpinionCreated", openapi.obj(
    {
        "id": {"type": "integer", "minimum": 1, "description": "意见编号。"},
        "receipt": {"type": "string", "pattern": "^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$",
                    "description": "回执码（不可猜测），用于查询处理状态。"},
        "status": {"type": "string", "enum": ["received", "published"],
                   "description": "received 已收到、待审核（先审核后公开的草案）；published 已公开。"},
    },
    description="已保存的意见。",
))
_CLAUSE_TALLY_PROPERTIES = {
    "key": {**openapi.nullable({"type": "string"}), "description": "条文键；总体意见为 null。"},
    "kind": {"type": "string", "description": "节点类型（ProvisionKind）；总体意见为 draft。"},
    "label": {"type": "string", "description": "中文标号，例如 第十二条。"},
    "heading": {"type": "string", "description": "章节标题；条款为空字符串。"},
    "total": {"type": "integer", "minimum": 0,
              "description": "本节点及其下级节点的意见数：工作人员看到收到的全部意见（含待审核的，不含已屏蔽的）；"
                             "其他人只看到已公开的意见（见 DraftTally.counted）。各项分类和提出人数同样。"},
    "own_total": {"type": "integer", "minimum": 0, "description": "直接针对本节点的意见数（计数范围同 total）。"},
    "pending": {**openapi.nullable({"type": "integer", "minimum": 0}),
                "description": "其中待审核的意见数（仅工作人员可见，其他人为 null）。"},
    "hidden": {**openapi.nullable({"type": "integer", "minimum": 0}),
               "description": "已屏蔽的意见数，不计入 total 和各项分类（仅工作人员可见，其他人为 null）。"},
    "represented": {"type": "integer", "minimum": 0, "description": "意见所代表的人数（联系点汇总的意见可代表多人）。"},
    "submitters": {"type": "integer", "minimum": 0, "description": "不同提出人的人数。"},
    "by_stance": {**_COUNTS, "description": "按态度（Stance）分列的意见数，每种态度都列出（可为 0）。"},
    "by_category": {**_COUNTS, "description": "按提出人类别（SubmitterCategory）分列的意见数，每个类别都列出（可为 0）。"},
    "by_disposition": {**openapi.nullable(_COUNTS),
                       "description": "按处理情况（pending 待处理、adopted 采纳、partly_adopted 部分采纳、not_adopted 未采纳、"
                                      "already_provided 已有规定、out_of_scope 不属于本法规调整范围、for_study 留作研究）"
                                      "分列的意见数（不含已屏蔽的），每种都列出（可为 0）。工作人员可见；"
                                      "意见采纳情况发布后所有人可见，此前对其他人为 null。"},
    "by_liaison_point": {"type": "object", "additionalProperties": {"type": "integer", "minimum": 1},
                         "description": "按基层立法联系点：联系点编号 → 该联系点报送的意见数（不含已屏蔽的）；"
                                        "没有报送的联系点不列出。联系点名称见 DraftTally.liaison_points。"},
}
openapi.add_schema("ClauseTally", openapi.obj(_CLAUSE_TALLY_PROPERTIES, description="一个条文节点的意见统计（含下级节点的汇总）。"))
openapi.add_schema("DraftTally", openapi.obj(
    {
        "draft_id": {"type": "integer", "minimum": 1},
        "version": openapi.ref("DraftVersionInfo"),
        "counted": {"type": "string", "enum": ["published", "received"],
                    "description": "统计的范围：published 只计已公开的意见（公众看到的统计，待审核的意见审核通过后才计入）；"
                                   "received 计收到的全部意见，含待审核的、不含已屏蔽的（工作人员）。"},
        "total": {"type": "integer", "minimum": 0, "description": "全部意见数（含总体意见；不含已屏蔽的；范围见 counted）。"},
        "pending": _CLAUSE_TALLY_PROPERTIES["pending"],
        "hidden": _CLAUSE_TALLY_PROPERTIES["hidden"],
        "represented": _CLAUSE_TALLY_PROPERTIES["represented"],
        "submitters": _CLAUSE_TALLY_PROPERTIES["submitters"],
        "by_stance": _CLAUSE_TALLY_PROPERTIES["by_stance"],
        "by_category": _CLAUSE_TALLY_PROPERTIES["by_category"],
        "by_disposition": _CLAUSE_TALLY_PROPERTIES["by_disposition"],
        "by_liaison_point": _CLAUSE_TALLY_PROPERTIES["by_liaison_point"],
        "liaison_points": {"type": "object", "additionalProperties": {"type": "string"},
                           "description": "报送了意见的联系点：编号 → 名称。"},
        "whole_draft": {**openapi.ref("ClauseTally"), "description": "总体意见（针对草案整体的意见）。"},
        "provisions": {"type": "array", "items": openapi.ref("ClauseTally"),
                       "description": "当前版本的每个条文节点（编、章、节、条、款、项、目……），按原文顺序。"},
    },
    description="一部草案当前版本的意见统计。与网页上的统计、导出的统计是同一组数字。",
))
openapi.add_schema("PublicOpinion", openapi.obj(
    {
        "id": {"type": "integer", "minimum": 1},
        "provision": {"type": "string", "description": "意见针对的条款键。"},
        "provision_label": {"type": "string", "description": "意见针对的条款，例如 第十二条第二款。"},
        "stance": openapi.ref("Stance"),
        "body": {"type": "string", "description": "意见内容，按提交时的原文返回（未转义，显示时请自行转义）。"},
        "proposed_text": {"type": "string", "description": "修改建议条文。"},
        "reason": {"type": "string", "description": "理由。"},
        "category": openapi.ref("SubmitterCategory"),
        "region": {"type": "string", "description": "提出人所在地区。"},
        "name": {**openapi.nullable({"type": "string"}), "description": "提出人选择公开时的姓名，否则为 null。"},
        "submitted_at": {"type": "string", "format": "date-time"},
    },
    description="一条已公开的意见。从不包含联系方式；姓名仅在提出人选择公开时返回。",
))
openapi.add_schema("ClauseOpinionPage", openapi.obj(
    {
        "provision": openapi.obj({"key": {"type": "string"}, "kind": openapi.ref("ProvisionKind"),
                                  "label": {"type": "string"}}),
        "items": {"type": "array", "items": openapi.ref("PublicOpinion")},
        "total": {"type": "integer", "minimum": 0, "description": "该条款（含下级条款）已公开的意见总数。"},
        "per_page": {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE},
        "next_cursor": {**openapi.nullable({"type": "string"}),
                        "description": "下一页的 cursor 参数；没有更多时为 null。"},
    },
    description="条款下已公开的意见，新的在前。",
))
openapi.add_schema("Receipt", openapi.obj(
    {
        "receipt": {"type": "string", "description": "规范写法的回执码。"},
        "status": {"type": "string", "enum": list(RECEIPT_STATUS.values()),
                   "description": "received 已收到（待审核）、published 已公开、hidden 已屏蔽。"},
        "status_label": {"type": "string", "description": "状态的中文说明。"},
        "draft": openapi.obj({"id": {"type": "integer", "minimum": 1}, "title": {"type": "string"}}),
        "provision": {**openapi.nullable({"type": "string"}), "description": "意见针对的条款键；总体意见为 null。"},
        "submitted_at": {"type": "string", "format": "date-time"},
        **openapi.DISPOSITION_FIELDS,
    },
    description="回执查询结果：处理状态，以及意见采纳情况发布后的处理结果和理由；不含任何个人信息、意见内容和内部备注。",
))

openapi.add_operation("/drafts/{draft_id}/comments", "post", openapi.operation(
    "提交意见",
    description=(
        "对草案的一个条款（条、款、项、目）或草案整体提交一条意见。需要 API 令牌（不提供匿名提交）。"
        "只在征求意见期内（按服务器时间）接受，否则返回 409。条款不属于该草案（包括其他草案的条款）返回 404。"
        "未发布的草案对非工作人员返回 404。\n\n"
        "人大代表、联系点信息员的提出人类别由账户决定。请求体中不认识的字段一律 422。请求体超过 256 KiB 返回 413。\n\n"
        "幂等：请求头 `Idempotency-Key`（1–100 个可见 ASCII 字符）相同的重试（同一账户）只保存一条意见，"
        "重试返回 200 和第一次保存的意见。同一个键用于内容不同的请求（别的草案、条款或任何字段不同）返回 422，"
        "error 为 `idempotency_key_conflict`，fields 中为 `Idempotency-Key`：键与请求一一对应，"
        "新的意见请换一个键。\n\n"
        "每个令牌另有提交频率限制（默认每分钟 60 次，OPINION_API_RATE_LIMIT）。"
    ),
    tag="opinions", operation_id="createComment", security=openapi.TOKEN_REQUIRED,
    parameters=[
        _DRAFT_ID,
        IDEMPOTENCY_KEY_PARAMETER,
    ],
    request_body=openapi.ref("OpinionSubmission"),
    responses={
        201: openapi.response("已保存。", openapi.ref("OpinionCreated"), headers={
            "Location": {"description": "回执查询地址。", "schema": {"type": "string"}}}),
        200: openapi.response("同一 Idempotency-Key 的重试：返回第一次保存的意见。", openapi.ref("OpinionCreated"),
                              headers={"Location": {"description": "回执查询地址。", "schema": {"type": "string"}}}),
    },
    errors=(400, 404, 409, 413, 415, 422),
))
openapi.add_operation("/drafts/{draft_id}/tally", "get", openapi.operation(
    "意见统计",
    description="草案当前版本每个条文节点的意见数：按态度、按提出人类别，不同提出人数，以及汇总"
                "（条含其款、项；章含其条；全草案含一切，包括总体意见）。已屏蔽的意见只计入 hidden。"
                "公众（未登录或非工作人员）看到的统计只计已公开的意见（counted 为 published），"
                "先审核、后公开的草案中待审核的意见在审核通过后才计入；工作人员看到收到的全部意见（received）。"
                "与网页上的统计是同一组数字。已发布草案公开；未发布的只对工作人员可见，对其他人返回 404。",
    tag="opinions", operation_id="getDraftTally", security=openapi.TOKEN_OPTIONAL,
    parameters=[_DRAFT_ID],
    responses={200: openapi.response("统计。", openapi.ref("DraftTally"))},
    errors=(404,),
))
openapi.add_operation("/drafts/{draft_id}/provisions/{key}/opinions", "get", openapi.operation(
    "条款下已公开的意见",
    description="一个条款（条包括其款、项、目）下已公开的意见，新的在前，按 cursor 分页（每页至多 50 条）。"
                "只有草案设置为公开意见时才可查看（工作人员除外），否则返回 404。从不返回联系方式；"
                "姓名只在提出人选择公开时返回。文字按原文返回，显示时请转义。",
    tag="opinions", operation_id="listClauseOpinions", security=openapi.TOKEN_OPTIONAL,
    parameters=[
        _DRAFT_ID,
        {**openapi.path_parameter("key", {"type": "string"}, "条款键，例如 art.12、art.12.2。"), "example": "art.1"},
        openapi.query_parameter("per_page", {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE, "default": 20},
                                "每页条数。"),
        openapi.query_parameter("cursor", {"type": "string", "pattern": "^[0-9]{1,17}-[0-9]{1,10}$"},
                                "上一页返回的 next_cursor（原样传回）。"),
    ],
    responses={200: openapi.response("一页意见。", openapi.ref("ClauseOpinionPage"))},
    errors=(404, 422),
))
openapi.add_operation("/receipts/{code}", "get", openapi.operation(
    "回执查询",
    description="按回执码查询意见或立法项目建议（type 为 proposal）的处理状态。不返回意见内容和任何个人信息。回执码不区分大小写，"
                "可省略连字符和空格（O 视为 0，I、L 视为 1）；查无此码（包括格式不对的）返回 404。",
    tag="opinions", operation_id="getReceipt", security=openapi.TOKEN_OPTIONAL,
    parameters=[{**openapi.path_parameter("code", {"type": "string"}, "回执码，例如 ABCD-2345-WXYZ。"),
                 "example": "ABCD-2345-WXYZ"}],
    # A proposal's receipt (立法项目建议) answers with ProposalReceipt (participation.api.plan_docs).
    responses={200: openapi.response("处理状态。", {"oneOf": [openapi.ref("Receipt"), openapi.ref("ProposalReceipt")]})},
    errors=(404,),
))
