"""意见采纳情况 (the feedback report) in the API: read it once published (staff: before, as
a preview), and publish it (staff), optionally writing its texts in the same request.
The numbers are ``participation.tally.report``'s: those of the report page and the tally."""
from __future__ import annotations

from flask import request
from flask_babel import gettext as _

from participation import clock, labels, policies
from participation.api import openapi
from participation.api.auth import current_api_user, require, token_required
from participation.api.blueprint import api
from participation.api.errors import json_response
from participation.api.params import json_body
from participation.api.serializers import CATEGORY_KEYS, DISPOSITION_KEYS, _counts, timestamp
from participation.errors import NotFound, ValidationFailed
from participation.extensions import db
from participation.models import Draft, WHOLE_DRAFT_KEY
from participation.services import feedback as feedback_service
from participation.tally.report import build_report, section_keys
from participation.unit_of_work import reads, writes
from participation.views import load_visible

CHANNEL_KEYS = tuple(labels.CHANNEL)


def _numbers(clause) -> dict:
    return {"total": clause.total, "by_disposition": _counts(clause.by_disposition, DISPOSITION_KEYS)}


def report_document(draft: Draft, now) -> dict:
    """The report as JSON: never an opinion's text, its submitter or an internal note."""
    report = build_report(draft)
    overall = report.overall
    return {
        "draft_id": draft.id,
        "title": draft.title,
        "status": draft.status_at(now).value,
        "published_at": timestamp(draft.feedback_published_at),
        "introduction": report.introduction,
        "total": overall.total,
        "submitters": overall.submitters,
        "represented": overall.represented,
        "by_channel": _counts(overall.by_channel, CHANNEL_KEYS),
        "by_category": _counts(overall.by_category, CATEGORY_KEYS),
        "by_disposition": _counts(overall.by_disposition, DISPOSITION_KEYS),
        "sections": [{
            "key": section.key, "label": section.label, "heading": section.heading, "kind": section.kind,
            **_numbers(section.numbers), "main_opinions": section.main_opinions, "handling": section.handling,
            "clauses": [{"key": clause.key, "label": clause.label, **_numbers(clause)} for clause in section.clauses],
        } for section in report.sections],
    }


def _load(draft_id: int, now, can_see) -> Draft:
    return load_visible(Draft, draft_id, lambda draft: draft.current_version is not None
                        and policies.can_view_draft(current_api_user(), draft, now) and can_see(draft),
                        message=_("草案不存在，或意见采纳情况尚未发布。"))


@api.get("/drafts/<int:draft_id>/feedback")
@reads
def get_feedback(draft_id: int):
    now = clock.now()
    draft = _load(draft_id, now, lambda draft: policies.can_view_feedback_report(current_api_user(), draft))
    return json_response(report_document(draft, now))


def _sections(body: dict, known_keys: set[str]) -> tuple[str | None, list[feedback_service.SectionText]]:
    """The optional texts of a publish request: 422 naming the fields at fault, 404 for a
    key that names no chapter or article of the draft (as for an opinion's clause). A
    key given twice: the last one counts."""
    errors: dict[str, list[str]] = {}
    unknown = sorted(set(body) - {"introduction", "sections"})
    for name in unknown:
        errors[name] = [_("未知字段。")]
    introduction = body.get("introduction")
    if "introduction" in body and not isinstance(introduction, str):
        errors["introduction"] = [_("必须是字符串。")]
    raw = body.get("sections", [])
    if not isinstance(raw, list):
        errors["sections"] = [_("必须是数组。")]
        raw = []
    sections: dict[str, feedback_service.SectionText] = {}
    unknown_keys: dict[str, list[str]] = {}
    for index, item in enumerate(raw):
        fields = {"provision_key", "main_opinions", "handling"}
        if not isinstance(item, dict) or not isinstance(item.get("provision_key"), str) or set(item) - fields \
                or any(not isinstance(item.get(name, ""), str) for name in fields):
            errors[f"sections[{index}]"] = [_("应为 {provision_key, main_opinions, handling}，值均为字符串。")]
            continue
        if item["provision_key"] not in known_keys:
            unknown_keys[f"sections[{index}].provision_key"] = [_("草案当前版本中没有这一章或这一条。")]
        sections[item["provision_key"]] = feedback_service.SectionText(
            item["provision_key"], item.get("main_opinions", "").strip(), item.get("handling", "").strip())
    if errors:
        raise ValidationFailed(_("请求有误，请检查标出的字段。"), fields=errors)
    if unknown_keys:
        raise NotFound(_("草案当前版本中没有这一章或这一条。"), fields=unknown_keys)
    return (introduction.strip() if isinstance(introduction, str) else None), list(sections.values())


@api.post("/drafts/<int:draft_id>/feedback/publish")
@token_required
@writes
def publish_feedback(draft_id: int):
    require(policies.can_publish_feedback(current_api_user()))
    now = clock.now()
    draft = _load(draft_id, now, lambda draft: True)
    introduction, sections = _sections(json_body(), section_keys(draft)) \
        if request.content_length or request.data else (None, [])
    if introduction is not None or sections:
        feedback_service.save_report(draft, introduction=introduction, sections=sections, by=current_api_user(),
                                     now=now)
    feedback_service.publish_feedback(draft, by=current_api_user(), now=now)
    db.session.commit()
    return json_response(report_document(draft, now))


# --- documentation -----------------------------------------------------------------

_DRAFT_ID = openapi.path_parameter("draft_id", {"type": "integer", "minimum": 1}, "草案编号。")
_COUNTS = {"type": "object", "additionalProperties": {"type": "integer", "minimum": 0}}
_BY_DISPOSITION = {**_COUNTS, "description": "按处理情况分列的意见数（不含已屏蔽的），每种都列出（可为 0）："
                                              "pending、adopted、partly_adopted、not_adopted、already_provided、"
                                              "out_of_scope、for_study。"}
openapi.add_schema("FeedbackClause", openapi.obj({
    "key": {"type": "string", "description": "条文键，例如 art.12。"},
    "label": {"type": "string"},
    "total": {"type": "integer", "minimum": 0, "description": "意见数（含其款、项；不含已屏蔽的）。"},
    "by_disposition": _BY_DISPOSITION,
}, description="报告一部分中的一条。"))
openapi.add_schema("FeedbackSection", openapi.obj({
    "key": {"type": "string", "description": f"{WHOLE_DRAFT_KEY} 表示总体意见，否则为章或条的条文键。"},
    "label": {"type": "string"},
    "heading": {"type": "string"},
    "kind": {"type": "string", "description": "draft（总体意见）、chapter、article 等。"},
    "total": {"type": "integer", "minimum": 0, "description": "本部分的意见数（章含其中各条）。"},
    "by_disposition": _BY_DISPOSITION,
    "main_opinions": {"type": "string", "description": "主要意见（工作人员撰写）。"},
    "handling": {"type": "string", "description": "处理情况（工作人员撰写）。"},
    "clauses": {"type": "array", "items": openapi.ref("FeedbackClause"), "description": "本部分中的各条。"},
}, description="意见采纳情况的一部分：总体意见、一章或一条。"))
openapi.add_schema("FeedbackReport", openapi.obj({
    "draft_id": {"type": "integer", "minimum": 1},
    "title": {"type": "string"},
    "status": openapi.ref("DraftStatus"),
    "published_at": {**openapi.nullable({"type": "string", "format": "date-time"}),
                     "description": "发布时间；尚未发布（工作人员预览）时为 null。"},
    "introduction": {"type": "string", "description": "说明。"},
    "total": {"type": "integer", "minimum": 0, "description": "收到的意见数（不含已屏蔽的）。"},
    "submitters": {"type": "integer", "minimum": 0, "description": "不同提出人的人数。"},
    "represented": {"type": "integer", "minimum": 0, "description": "意见所代表的人数。"},
    "by_channel": {**_COUNTS, "description": "按渠道：web 网站、api 接口、batch 联系点汇总表。"},
    "by_category": {**_COUNTS, "description": "按提出人类别（SubmitterCategory）。"},
    "by_disposition": _BY_DISPOSITION,
    "sections": {"type": "array", "items": openapi.ref("FeedbackSection"),
                 "description": "总体意见在前，然后按原文顺序的各章（没有章时为各条）及单独撰写的条。"},
}, description="意见采纳情况。数字与网页上的报告、意见统计相同；不含意见原文、提出人信息和内部备注。"))
_TEXT = {"type": "string", "maxLength": feedback_service.MAX_SECTION_TEXT_LENGTH, "pattern": "^[^\\u0000]*$"}
openapi.add_schema("FeedbackPublication", openapi.obj({
    "introduction": {"type": "string", "maxLength": feedback_service.MAX_INTRODUCTION_LENGTH,
                     "pattern": "^[^\\u0000]*$", "description": "说明（省略则保留已写的）。"},
    "sections": {"type": "array", "items": openapi.obj({
        "provision_key": {"type": "string", "pattern": "^[A-Za-z0-9._~-]{1,80}$",
                          "description": f"{WHOLE_DRAFT_KEY}（总体意见）或章、条的条文键；草案中没有的返回 404。"},
        "main_opinions": _TEXT,
        "handling": _TEXT,
    }, optional=("main_opinions", "handling")), "description": "发布前写入的各部分文字（省略的部分保留已写的）。"},
}, optional=("introduction", "sections"), description="发布前一并写入的文字（可省略）。"))

openapi.add_operation("/drafts/{draft_id}/feedback", "get", openapi.operation(
    "意见采纳情况",
    description="草案的意见采纳情况：说明、按渠道、提出人类别、处理情况统计的意见数，以及总体意见和各章（或各条）"
                "的主要意见与处理情况。发布后公开；发布前只有工作人员可以预览，对其他人返回 404。",
    tag="opinions", operation_id="getFeedbackReport", security=openapi.TOKEN_OPTIONAL,
    parameters=[_DRAFT_ID],
    responses={200: openapi.response("意见采纳情况。", openapi.ref("FeedbackReport"))},
    errors=(404,),
))
_publish = openapi.operation(
    "发布意见采纳情况",
    description="（工作人员）发布已截止草案的意见采纳情况，草案进入“已反馈”状态，意见的处理情况对提出人可见，"
                "有账户的提出人收到站内消息。请求体可同时写入说明和各部分文字（与网页上的编辑相同）。"
                "未截止或已发布的草案返回 409；任何字段有误则什么也不保存（422）。",
    tag="opinions", operation_id="publishFeedbackReport", security=openapi.TOKEN_REQUIRED,
    parameters=[_DRAFT_ID], request_body=openapi.ref("FeedbackPublication"),
    responses={200: openapi.response("已发布的意见采纳情况。", openapi.ref("FeedbackReport"))},
    errors=(400, 403, 404, 409, 415, 422),
)
_publish["requestBody"]["required"] = False
openapi.add_operation("/drafts/{draft_id}/feedback/publish", "post", _publish)
