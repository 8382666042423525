"""处理情况 through the API (staff tokens only): one opinion (``PATCH /opinions/<id>``)
and a bulk selection of a draft's opinions, by filter or by ids (``POST
/drafts/<id>/dispositions``), with an optional ``Idempotency-Key``.

Both call ``participation.services.dispositions``, as the staff pages do: the same checks,
the same messages, one audit entry per change (one for a whole bulk change). Bodies are
read strictly: a field the endpoint does not take is refused with a 422 naming it."""
from __future__ import annotations

from flask_babel import gettext as _

from participation import clock, policies, queries
from participation.api import openapi
from participation.api.auth import current_api_user, require, token_required
from participation.api.blueprint import api
from participation.api.errors import json_response
from participation.api.params import IDEMPOTENCY_KEY_PARAMETER, idempotency_key, json_body
from participation.api.serializers import timestamp
from participation.errors import ValidationFailed
from participation.extensions import db
from participation.models import Disposition, Draft, ModerationState, Opinion, Stance, SubmitterCategory
from participation.services import dispositions as service
from participation.services.dispositions import MAX_DISPOSITION_NOTE_LENGTH, MAX_DISPOSITION_REASON_LENGTH
from participation.text import clean_text, is_storable_text
from participation.unit_of_work import writes
from participation.views import MAX_ID, load_visible
from participation.views.moderation import MAX_FILTER_TEXT, parse_clause_filter

MAX_IDS = 10_000
PATCH_FIELDS = ("disposition", "reason", "note")
BULK_FIELDS = ("filter", "ids", "disposition", "reason")
_CHOICE_FILTERS = {
    "stance": [s.value for s in Stance],
    "category": [c.value for c in SubmitterCategory],
    "disposition": [d.value for d in Disposition],
    "state": [s.value for s in ModerationState],
}
_ID_FILTERS = ("liaison_point", "batch")
_TEXT_FILTERS = {"clause": 80, "text": MAX_FILTER_TEXT}
FILTER_FIELDS = ("clause", "stance", "category", "liaison_point", "batch", "disposition", "text", "state")


def _whole_number(value) -> int | None:
    """A JSON integer (2 and 2.0 alike, as JSON Schema has it) from 1 to MAX_ID, else None."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_ID:
        return None
    return value


class FieldErrors(dict):
    """The fields at fault in a JSON body, each with its messages; the 422 names them.
    Shared by the API modules that read a staff opinion filter (dispositions, exports)."""

    def add(self, name: str, message: str) -> None:
        self.setdefault(name, []).append(message)

    def raise_if_any(self) -> None:
        if self:
            raise ValidationFailed(_("请求有误，请检查标出的字段。"), fields=dict(self))


def _text(payload: dict, name: str, errors: FieldErrors, path: str | None = None) -> str:
    value = payload.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        errors.add(path or name, _("必须是字符串。"))
        return ""
    if not is_storable_text(value):
        errors.add(path or name, _("含有无效的字符（不成对的代理项）。"))
        return ""
    return value


def refuse_unknown_fields(payload: dict, allowed, errors: FieldErrors, prefix: str = "") -> None:
    for name in payload:
        if name not in allowed:
            errors.add(prefix + name, _("不接受此字段。"))


def _disposition(payload: dict, errors: FieldErrors) -> str:
    if payload.get("disposition") is None:
        errors.add("disposition", _("缺少此字段。"))
        return ""
    return _text(payload, "disposition", errors)


def staff_opinion(opinion: Opinion) -> dict:
    """An opinion as staff see it, with its disposition and internal note (never given
    to anyone else; the public serializers leave them out)."""
    return {
        "id": opinion.id, "draft_id": opinion.draft_id, "provision": opinion.provision_key,
        "provision_label": queries.clause_citation(opinion.version_id, opinion.provision_key),
        "stance": opinion.stance, "body": opinion.body, "category": opinion.category,
        "moderation_state": opinion.moderation_state, "receipt": opinion.receipt_code,
        "submitted_at": timestamp(opinion.created_at),
        "disposition": opinion.disposition, "reason": opinion.disposition_reason, "note": opinion.disposition_note,
        "disposed_at": timestamp(opinion.disposed_at), "disposed_by": opinion.disposed_by_id,
    }


@api.patch("/opinions/<int:opinion_id>")
@token_required
@writes
def dispose_opinion(opinion_id: int):
    user = current_api_user()
    require(policies.can_dispose_opinions(user))
    opinion = load_visible(Opinion, opinion_id, message=_("意见不存在。"))
    payload, errors = json_body(), FieldErrors()
    refuse_unknown_fields(payload, PATCH_FIELDS, errors)
    # An omitted note keeps the one staff wrote before; the reason goes with the disposition.
    note = _text(payload, "note", errors) if "note" in payload else opinion.disposition_note
    data = service.DispositionInput(_disposition(payload, errors), _text(payload, "reason", errors), note)
    errors.raise_if_any()
    service.record_disposition(opinion, data, by=user, now=clock.now())
    db.session.commit()
    return json_response(staff_opinion(opinion))


def opinion_filters(raw, errors: FieldErrors) -> queries.StaffOpinionFilters:
    """A ``filter`` object of a JSON body as the staff list's filters (the one reading of it
    for bulk dispositions and exports); what is wrong goes to ``errors``."""
    if not isinstance(raw, dict):
        errors.add("filter", _("必须是对象。"))
        return queries.StaffOpinionFilters()
    refuse_unknown_fields(raw, FILTER_FIELDS, errors, "filter.")
    values: dict = {}
    for name, allowed in _CHOICE_FILTERS.items():
        value = _text(raw, name, errors, f"filter.{name}")
        if value and value not in allowed:
            errors.add(f"filter.{name}", _("只能是以下取值之一：%(choices)s。", choices="、".join(allowed)))
        values[name] = value
    for name in _ID_FILTERS:
        value = raw.get(name)
        if value is not None and _whole_number(value) is None:
            errors.add(f"filter.{name}", _("必须是正整数。"))
        values[name] = _whole_number(value) if value is not None else None
    for name, limit in _TEXT_FILTERS.items():
        value = clean_text(_text(raw, name, errors, f"filter.{name}"), multiline=False)
        if len(value) > limit:
            errors.add(f"filter.{name}", _("不能超过 %(limit)d 个字。", limit=limit))
        values[name] = value
    values["clause"] = parse_clause_filter(values["clause"])
    return queries.StaffOpinionFilters(**values)


def _ids(raw, errors: FieldErrors) -> list[int]:
    if not isinstance(raw, list) or not raw or len(raw) > MAX_IDS:
        errors.add("ids", _("必须是 1 到 %(max)d 个意见编号的数组。", max=MAX_IDS))
        return []
    ids = [_whole_number(value) for value in raw]
    if None in ids:
        errors.add("ids", _("意见编号必须是正整数。"))
        return []
    return sorted(set(ids))


def _selection(payload: dict, draft: Draft, errors: FieldErrors):
    """(SELECT of the chosen ids, its description for the audit log)."""
    if ("filter" in payload) == ("ids" in payload):
        errors.add("filter", _("请给出 filter 或 ids 之一（不能同时给出）。"))
        return None, {}
    if "filter" in payload:
        filters = opinion_filters(payload["filter"], errors)
        return queries.staff_opinion_ids(draft.id, filters), {"filter": filters.describe()}
    ids = _ids(payload["ids"], errors)
    return queries.staff_opinion_ids(draft.id, queries.StaffOpinionFilters()).where(Opinion.id.in_(ids)), {"ids": ids}


@api.post("/drafts/<int:draft_id>/dispositions")
@token_required
@writes
def dispose_opinions(draft_id: int):
    user = current_api_user()
    require(policies.can_dispose_opinions(user))
    key = idempotency_key()
    draft = load_visible(Draft, draft_id, message=_("草案不存在。"))
    payload, errors = json_body(), FieldErrors()
    refuse_unknown_fields(payload, BULK_FIELDS, errors)
    disposition = _disposition(payload, errors)
    reason = _text(payload, "reason", errors)
    selection, described = _selection(payload, draft, errors)
    errors.raise_if_any()
    result = service.dispose_selection(
        draft, selection, service.DispositionInput(disposition, reason), by=user, now=clock.now(),
        selection=described, idempotency_key=f"api:{user.id}:{key}" if key else None)
    db.session.commit()
    return json_response({"updated": result.updated, "selected": result.selected})


# --- documentation ---------------------------------------------------------------------------

_VISIBLE = "[^\\s\\u0000-\\u001f\\u007f-\\u009f]"
_NEEDING_REASON = sorted(service.DISPOSITIONS_NEEDING_REASON)
_REASON = {"type": ["string", "null"], "maxLength": MAX_DISPOSITION_REASON_LENGTH,
           "description": "处理理由，写给提出人，反馈公布后提出人可见。not_adopted、partly_adopted 必填。"}
# A refusal needs a reason with something visible in it.
_REASON_RULE = {
    "if": {"properties": {"disposition": {"enum": _NEEDING_REASON}}, "required": ["disposition"]},
    "then": {"required": ["reason"], "properties": {"reason": {"type": "string", "minLength": 1, "pattern": _VISIBLE}}},
}

openapi.add_tag("dispositions", "处理情况：工作人员记录每条意见的处理情况和处理理由，逐条或批量。")
openapi.add_schema("DispositionChange", {
    "type": "object", "required": ["disposition"], "additionalProperties": False,
    "properties": {
        "disposition": openapi.ref("Disposition"),
        "reason": _REASON,
        "note": {"type": ["string", "null"], "maxLength": MAX_DISPOSITION_NOTE_LENGTH,
                 "description": "内部备注，仅工作人员可见，从不出现在公开页面、公开接口和回执中。"
                                "省略时保留原有的备注；null 或空字符串清除备注。"},
    },
    **_REASON_RULE,
    "description": "一条意见的处理情况。未列出的字段一律拒绝（422）。",
})
_FILTER = {
    "type": "object", "additionalProperties": False,
    "properties": {
        "clause": {"type": ["string", "null"], "maxLength": 80,
                   "description": "条款键或写法（art.12、第十二条、12），含其下级条款；general 或 总体 为总体意见。"},
        "stance": openapi.nullable(openapi.ref("Stance")),
        "category": openapi.nullable(openapi.ref("SubmitterCategory")),
        "liaison_point": {"type": ["integer", "null"], "minimum": 1, "maximum": MAX_ID, "description": "联系点编号。"},
        "batch": {"type": ["integer", "null"], "minimum": 1, "maximum": MAX_ID, "description": "批次编号。"},
        "disposition": openapi.nullable(openapi.ref("Disposition")),
        "text": {"type": ["string", "null"], "maxLength": MAX_FILTER_TEXT, "description": "包含的文字。"},
        "state": {"type": ["string", "null"], "enum": [s.value for s in ModerationState] + [None],
                  "description": "审核状态：pending 待审核、published 已公开、hidden 已屏蔽。"},
    },
    "description": "与工作人员意见列表相同的筛选条件；省略的条件不筛选。",
}
openapi.add_schema("BulkDisposition", {
    "type": "object", "required": ["disposition"], "additionalProperties": False,
    "properties": {
        "filter": _FILTER,
        "ids": {"type": "array", "minItems": 1, "maxItems": MAX_IDS,
                "items": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
                "description": "意见编号；不属于该草案的编号不受影响。"},
        "disposition": openapi.ref("Disposition"),
        "reason": _REASON,
    },
    # One of the two (not a oneOf of schemas: this object's properties hold either way).
    "anyOf": [{"required": ["filter"]}, {"required": ["ids"]}],
    "not": {"required": ["filter", "ids"]},
    **_REASON_RULE,
    "description": "批量处理：filter 与 ids 二者给出其一。",
})
openapi.add_schema("StaffOpinion", openapi.obj({
    "id": {"type": "integer", "minimum": 1},
    "draft_id": {"type": "integer", "minimum": 1},
    "provision": {"type": ["string", "null"], "description": "条款键；总体意见为 null。"},
    "provision_label": {"type": "string", "description": "条款的中文写法；总体意见为空字符串。"},
    "stance": openapi.ref("Stance"),
    "body": {"type": "string"},
    "category": openapi.ref("SubmitterCategory"),
    "moderation_state": {"type": "string", "enum": [s.value for s in ModerationState]},
    "receipt": {"type": "string"},
    "submitted_at": {"type": "string", "format": "date-time"},
    "disposition": openapi.ref("Disposition"),
    "reason": {"type": "string", "description": "处理理由。"},
    "note": {"type": "string", "description": "内部备注（仅工作人员可见）。"},
    "disposed_at": {"type": ["string", "null"], "format": "date-time"},
    "disposed_by": {"type": ["integer", "null"], "description": "最后记录处理情况的账户编号。"},
}, description="工作人员看到的一条意见，含处理情况和内部备注。"))
openapi.add_schema("BulkDispositionResult", openapi.obj({
    "updated": {"type": "integer", "minimum": 0, "description": "处理情况有变化的意见数。"},
    "selected": {"type": "integer", "minimum": 0, "description": "选中的意见数（已是这一处理情况和理由的不再改动）。"},
}, description="批量处理的结果。"))

openapi.add_operation("/opinions/{opinion_id}", "patch", openapi.operation(
    "记录一条意见的处理情况",
    description="仅工作人员和管理员的令牌；其他账户 403。未采纳、部分采纳须有处理理由（422）。"
                "与当前完全相同时不作改动。每次改动记入操作记录。",
    tag="dispositions", operation_id="disposeOpinion", security=openapi.TOKEN_REQUIRED,
    parameters=[{**openapi.path_parameter("opinion_id", {"type": "integer", "minimum": 1}, "意见编号。"),
                 "example": 1}],
    request_body=openapi.ref("DispositionChange"),
    responses={200: openapi.response("意见及其处理情况。", openapi.ref("StaffOpinion"))},
    errors=(400, 403, 404, 415, 422),
))
openapi.add_operation("/drafts/{draft_id}/dispositions", "post", openapi.operation(
    "批量记录处理情况",
    description="把草案中按 filter 筛选出的或 ids 列出的意见设为同一处理情况和理由，一条语句、一个事务完成，"
                "记入一条操作记录（含选择条件和数量）。各条意见的内部备注保留；已是这一处理情况和理由的意见不变。"
                "仅工作人员和管理员的令牌。\n\n"
                "幂等：带 `Idempotency-Key` 的请求重发时返回第一次的结果，不再改动任何意见。",
    tag="dispositions", operation_id="disposeOpinions", security=openapi.TOKEN_REQUIRED,
    parameters=[{**openapi.path_parameter("draft_id", {"type": "integer", "minimum": 1}, "草案编号。"), "example": 1},
                IDEMPOTENCY_KEY_PARAMETER],
    request_body=openapi.ref("BulkDisposition"),
    responses={200: openapi.response("改动的数量。", openapi.ref("BulkDispositionResult"))},
    errors=(400, 403, 404, 415, 422),
))
