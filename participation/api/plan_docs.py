"""The OpenAPI documentation of the legislative-plan endpoints
(``participation.api.plan_calls``, ``participation.api.plans``), and the receipt
lookup's answer for a proposal. Kept apart from the views only for length."""
from __future__ import annotations

from participation.api import openapi
from participation.api.params import IDEMPOTENCY_KEY_PARAMETER
from participation.api.plan_calls import LIST_FILTERS, MAX_PER_PAGE, RECEIPT_STATUS
from participation.models import CLASSIFICATIONS_NEEDING_REASON, PROJECT_CLASSES, Classification, ModerationState, ProposerCategory
from participation.services import attachments as attachment_files
from participation.services import classifications
from participation.services import proposals as service

MAX_ID = 2**31 - 1
_VISIBLE = "[^\\s\\u0000-\\u001f\\u007f-\\u009f]"
_COUNTS = {"type": "object", "additionalProperties": {"type": "integer", "minimum": 0}}
_STRING = {"type": "string"}
_TIME = {"type": ["string", "null"], "format": "date-time"}
_CALL_ID = {**openapi.path_parameter("call_id", {"type": "integer", "minimum": 1, "maximum": MAX_ID},
                                     "征集编号 / call id."), "example": 1}
_CATEGORIES = "citizen 公民、deputy 人大代表、liaison_point 基层立法联系点、organisation 单位、government 政府部门、expert 专家"
_CLASSIFICATIONS = ("pending 待处理、formal 列入正式项目（审议项目）、preparatory 列入预备项目、research 列入调研项目、"
                    "not_included 不予列入、already_covered 已有相关法规、merged 合并处理")


def _text(limit: int, description: str) -> dict:
    return {"type": ["string", "null"], "maxLength": limit, "description": description}


openapi.add_tag("plan-calls", "立法计划项目建议征集：征集公告、提出建议、工作人员的建议列表和处理情况、年度立法计划。"
                              " / Calls for legislative-plan proposals, proposals, classification, annual plans.")
openapi.add_schema("ProposerCategory", {
    "type": "string", "enum": [c.value for c in ProposerCategory],
    "description": f"提出人类别 / proposer category：{_CATEGORIES}。",
})
openapi.add_schema("Classification", {
    "type": "string", "enum": [c.value for c in Classification],
    "description": f"处理情况 / classification：{_CLASSIFICATIONS}。",
})
_SUMMARY = {
    "id": {"type": "integer", "minimum": 1},
    "title": _STRING,
    "year": {"type": "integer", "description": "计划年度 / the plan's year."},
    "status": {"type": "string", "enum": ["draft", "scheduled", "open", "closed"],
               "description": "由服务器时钟计算 / computed by the server clock：draft 未发布（仅工作人员可见）、"
                              "scheduled 即将开始、open 征集中、closed 已截止。"},
    "focus_areas": {"type": "array", "items": _STRING,
                    "description": "重点领域；为空时 area 可自由填写 / focus areas (empty: area is free text)."},
    "opens_at": _TIME, "closes_at": _TIME,
    "period": {"type": ["string", "null"],
               "description": "征集期，ISO 8601 时间段（开始/截止）/ the period as an ISO 8601 interval."},
    "allows_anonymous_proposals": {"type": "boolean", "description": "网页上是否允许未登录提出建议。"},
    "moderation_mode": {"type": "string", "enum": ["pre", "post"],
                        "description": "pre 先审后发、post 先发后审 / moderation before or after publication."},
    "published_at": _TIME,
}
openapi.add_schema("PlanCallSummary", openapi.obj(_SUMMARY, description="一次征集 / a call."))
openapi.add_schema("PlanCallList", openapi.obj({
    "items": {"type": "array", "items": openapi.ref("PlanCallSummary")},
    "total": {"type": "integer", "minimum": 0},
}, description="已发布的征集（工作人员可见全部），新的在前 / published calls, newest first."))
openapi.add_schema("PlanCallDetail", openapi.obj({
    **_SUMMARY,
    "announcement": {"type": "string", "description": "公告正文 / the announcement."},
    "tally": openapi.obj({
        "total": {"type": "integer", "minimum": 0},
        "by_area": {**_COUNTS, "description": "按重点领域 / by focus area."},
        "by_category": {**_COUNTS, "description": "按提出人类别 / by proposer category."},
        "by_channel": {**_COUNTS, "description": "按渠道 web、api、batch / by channel."},
        "by_classification": {**openapi.nullable(_COUNTS),
                              "description": "按处理情况；年度立法计划发布前只对工作人员可见，其他人为 null。"},
    }, description="公开统计只计已公开的建议；工作人员的统计含全部 / public counts cover published proposals."),
}, description="一次征集及其统计 / a call with its tally."))
openapi.add_schema("ProposerInput", {
    "type": "object", "additionalProperties": False,
    "properties": {
        "category": {**openapi.nullable({"type": "string", "enum": [c.value for c in service.SELF_CHOSEN_CATEGORIES]}),
                     "description": "可选 citizen（默认）、organisation、government、expert；人大代表、联系点信息员的类别"
                                    "由账户决定。/ Deputies' and operators' categories come from their account."},
        "name": _text(service.MAX_NAME_LENGTH, "姓名；publish_name 为 true 时公开 / name, public only with publish_name."),
        "unit": _text(service.MAX_UNIT_LENGTH, "单位；organisation、government 必填 / unit, required for bodies."),
        "region": _text(service.MAX_REGION_LENGTH, "地区 / region."),
        "contact": _text(service.MAX_CONTACT_LENGTH, "联系方式，仅工作人员可见，从不公开 / contact, staff only."),
    },
    "description": "提出人 / the proposer.",
})
openapi.add_schema("ProposalSubmission", {
    "type": "object", "required": ["title", "necessity"], "additionalProperties": False,
    "properties": {
        "title": {"type": "string", "minLength": 1, "maxLength": service.MAX_TITLE_LENGTH, "pattern": _VISIBLE,
                  "description": "项目名称（建议制定的法规名称）/ the proposed regulation's title."},
        "necessity": {"type": "string", "minLength": 1, "maxLength": service.MAX_TEXT_LENGTH, "pattern": _VISIBLE,
                      "description": "立法的必要性和可行性 / why the regulation is needed and feasible."},
        "problems": _text(service.MAX_TEXT_LENGTH, "需要解决的主要问题 / the main problems."),
        "measures": _text(service.MAX_TEXT_LENGTH, "拟规定的主要制度和措施 / the main measures."),
        "area": _text(50, "重点领域，须为该征集的 focus_areas 之一（为空时自由填写）/ one of the call's focus areas."),
        "proposer": openapi.nullable(openapi.ref("ProposerInput")),
        "publish_name": {"type": ["boolean", "null"], "default": False,
                         "description": "是否公开姓名；null 同 false / publish the name."},
        "motion_number": _text(service.MAX_MOTION_NUMBER_LENGTH,
                               "人大代表的建议所依据的议案或建议编号 / a deputy's motion number (deputies only)."),
        "attachments": {"type": ["array", "null"], "maxItems": attachment_files.MAX_FILES_PER_PROPOSAL,
                        "items": {"type": "object", "required": ["filename", "content_base64"],
                                  "additionalProperties": False, "properties": {
                                      "filename": {"type": "string", "maxLength": 255},
                                      "content_base64": {"type": "string", "contentEncoding": "base64"}}},
                        "description": "法规草案建议稿（.docx、.pdf、.txt，按内容识别类型，每个有大小上限），"
                                       "base64 编码 / draft text attachments, base64."},
    },
    "description": "一件立法项目建议。未列出的字段一律 422 / a proposal; unknown fields are refused (422).",
})
openapi.add_schema("ProposalCreated", openapi.obj({
    "id": {"type": "integer", "minimum": 1},
    "receipt": {"type": "string", "pattern": "^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$",
                "description": "回执码 / receipt code."},
    "status": {"type": "string", "enum": ["received", "published"],
               "description": "received 待审核、published 已公开 / held for moderation or published."},
}, description="已保存的建议 / the stored proposal."))
openapi.add_schema("StaffProposal", openapi.obj({
    "id": {"type": "integer", "minimum": 1}, "call_id": {"type": "integer", "minimum": 1},
    "title": _STRING, "necessity": _STRING, "problems": _STRING, "measures": _STRING, "area": _STRING,
    "proposer": openapi.obj({"category": openapi.ref("ProposerCategory"), "name": _STRING, "unit": _STRING,
                             "region": _STRING, "contact": {"type": "string", "description": "联系方式（仅工作人员）。"}}),
    "publish_name": {"type": "boolean"}, "motion_number": _STRING,
    "channel": {"type": "string", "enum": LIST_FILTERS["channel"]},
    "author_id": {"type": ["integer", "null"]}, "liaison_point_id": {"type": ["integer", "null"]},
    "batch_id": {"type": ["integer", "null"]}, "batch_row": {"type": ["integer", "null"]},
    "represented_count": {"type": "integer", "minimum": 1},
    "moderation_state": {"type": "string", "enum": [s.value for s in ModerationState]},
    "hidden_reason": _STRING, "assignee_id": {"type": ["integer", "null"]},
    "group_id": {"type": ["integer", "null"], "description": "合并处理的组 / merge group."},
    "project_id": {"type": ["integer", "null"], "description": "列入的计划项目 / the plan project."},
    "classification": openapi.ref("Classification"),
    "reason": {"type": "string", "description": "处理理由（写给提出人）/ the reason, for the proposer."},
    "note": {"type": "string", "description": "内部备注（仅工作人员）/ internal note, staff only."},
    "classified_at": _TIME, "receipt": _STRING, "submitted_at": {"type": "string", "format": "date-time"},
    "attachments": {"type": "array", "items": openapi.obj({
        "id": {"type": "integer"}, "filename": _STRING, "format": {"type": "string", "enum": ["docx", "pdf", "txt"]},
        "size": {"type": "integer", "minimum": 0}})},
}, description="工作人员看到的一件建议：全部字段，含联系方式和内部备注 / a proposal with every field."))
openapi.add_schema("StaffProposalPage", openapi.obj({
    "items": {"type": "array", "items": openapi.ref("StaffProposal")},
    "total": {"type": "integer", "minimum": 0, "description": "符合筛选条件的总数 / matching proposals."},
    "per_page": {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE},
    "next_cursor": {"type": ["string", "null"], "description": "下一页的 cursor；没有更多时为 null。"},
}, description="一页建议，先提交的在前 / one page, oldest first."))
_NEEDING_REASON = sorted(CLASSIFICATIONS_NEEDING_REASON)
openapi.add_schema("ProposalClassification", {
    "type": "object", "required": ["classification"], "additionalProperties": False,
    "properties": {
        "classification": openapi.ref("Classification"),
        "reason": _text(classifications.MAX_REASON_LENGTH,
                        "处理理由，写给提出人；not_included、already_covered、merged 必填 / required when not included."),
        "note": _text(classifications.MAX_NOTE_LENGTH, "内部备注（仅工作人员）；省略时保留原有备注 / kept when omitted."),
    },
    "if": {"properties": {"classification": {"enum": _NEEDING_REASON}}, "required": ["classification"]},
    "then": {"required": ["reason"], "properties": {"reason": {"type": "string", "minLength": 1, "pattern": _VISIBLE}}},
    "description": "一件建议的处理情况 / a proposal's classification.",
})
_PROJECT = openapi.obj({
    "id": {"type": "integer"}, "title": _STRING, "drafting_body": {"type": "string", "description": "起草单位。"},
    "planned_month": {"type": ["integer", "null"], "minimum": 1, "maximum": 12, "description": "提请审议时间（月）。"},
    "notes": _STRING,
    "proposal_count": {"type": "integer", "minimum": 0, "description": "源自的建议件数 / proposals behind it."},
    "proposals": {"type": "array", "items": openapi.obj({
        "id": {"type": "integer"}, "title": _STRING,
        "name": {"type": ["string", "null"], "description": "提出人选择公开时的姓名或单位，否则 null。"}}),
        "description": "源自的建议（公开接口只列已公开的）/ published proposals behind it."},
    "draft": {"oneOf": [openapi.obj({"id": {"type": "integer"}, "title": _STRING, "url": _STRING}), {"type": "null"}],
              "description": "实施该项目的草案（已发布时）/ the draft implementing it."},
})
openapi.add_schema("LegislativePlan", openapi.obj({
    "year": {"type": "integer"}, "title": _STRING, "introduction": _STRING,
    "published": {"type": "boolean"}, "published_at": _TIME,
    "projects": openapi.obj({name: {"type": "array", "items": _PROJECT} for name in PROJECT_CLASSES},
                            description="按类别：formal 正式项目、preparatory 预备项目、research 调研项目。"),
}, description="年度立法计划 / the annual legislative plan."))
openapi.add_schema("ProposalReceipt", openapi.obj({
    "type": {"type": "string", "const": "proposal"},
    "receipt": _STRING,
    "status": {"type": "string", "enum": list(RECEIPT_STATUS.values())},
    "status_label": _STRING,
    "call": openapi.obj({"id": {"type": "integer"}, "title": _STRING, "year": {"type": "integer"}}),
    "submitted_at": {"type": "string", "format": "date-time"},
    "plan_published": {"type": "boolean", "description": "该年度立法计划是否已发布。"},
    "classification": {**openapi.nullable(openapi.ref("Classification")), "description": "计划发布前为 null。"},
    "classification_label": {"type": ["string", "null"]},
    "reason": {"type": ["string", "null"], "description": "处理理由；计划发布前为 null。"},
    "group": {"oneOf": [openapi.obj({"title": _STRING}), {"type": "null"}], "description": "合并处理的组。"},
    "project": {"oneOf": [openapi.obj({
        "year": {"type": "integer"}, "project_class": {"type": "string", "enum": list(PROJECT_CLASSES)},
        "project_class_label": _STRING, "title": _STRING,
        "draft": {"oneOf": [openapi.obj({"id": {"type": "integer"}, "title": _STRING, "url": _STRING}),
                            {"type": "null"}]}}), {"type": "null"}],
        "description": "列入的计划项目（计划发布后）/ the plan project, once the plan is published."},
}, description="立法项目建议的回执查询结果：不含个人信息和建议内容 / a proposal's receipt."))

_op = openapi.operation
openapi.add_operation("/plan-calls", "get", _op(
    "征集列表 / calls", description="已发布的征集；工作人员令牌另见未发布的。",
    tag="plan-calls", operation_id="listPlanCalls", security=openapi.TOKEN_OPTIONAL,
    responses={200: openapi.response("征集。", openapi.ref("PlanCallList"))},
))
openapi.add_operation("/plan-calls/{call_id}", "get", _op(
    "一次征集 / a call", description="征集公告、重点领域、状态、征集期和统计。未发布的对非工作人员 404。",
    tag="plan-calls", operation_id="getPlanCall", security=openapi.TOKEN_OPTIONAL, parameters=[_CALL_ID],
    responses={200: openapi.response("征集。", openapi.ref("PlanCallDetail"))}, errors=(404,),
))
_created_headers = {"Location": {"description": "回执查询地址 / the receipt lookup.", "schema": _STRING}}
openapi.add_operation("/plan-calls/{call_id}/proposals", "post", _op(
    "提出立法项目建议 / send a proposal",
    description=(
        "需要 API 令牌。只在征集期内接受，否则 409；未知或未发布的征集 404。字段校验失败 422，fields 指明字段"
        "（提出人字段为 proposer.category 等）。人大代表、联系点信息员的提出人类别由账户决定。\n\n"
        "幂等 / idempotency：相同 `Idempotency-Key`（同一账户）的重试只保存一件，返回 200 和第一次的结果；"
        "同一键用于不同内容返回 422 `idempotency_key_conflict`。"
    ),
    tag="plan-calls", operation_id="createProposal", security=openapi.TOKEN_REQUIRED,
    parameters=[_CALL_ID, IDEMPOTENCY_KEY_PARAMETER], request_body=openapi.ref("ProposalSubmission"),
    responses={201: openapi.response("已保存。", openapi.ref("ProposalCreated"), headers=_created_headers),
               200: openapi.response("同一 Idempotency-Key 的重试。", openapi.ref("ProposalCreated"),
                                     headers=_created_headers)},
    errors=(400, 403, 404, 409, 413, 415, 422),
))
_filters = [openapi.query_parameter(name, {"type": "string", "enum": choices}, f"按 {name} 筛选 / filter.")
            for name, choices in LIST_FILTERS.items()]
openapi.add_operation("/plan-calls/{call_id}/proposals", "get", _op(
    "征集的全部建议（工作人员）/ a call's proposals (staff)",
    description="全部字段（含联系方式、内部备注），先提交的在前，按 cursor 分页。仅工作人员令牌，其他账户 403。",
    tag="plan-calls", operation_id="listCallProposals", security=openapi.TOKEN_REQUIRED,
    parameters=[_CALL_ID, *_filters,
                openapi.query_parameter("area", {"type": "string", "maxLength": 50}, "重点领域 / focus area."),
                openapi.query_parameter("per_page", {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE,
                                                     "default": 20}, "每页条数。"),
                openapi.query_parameter("cursor", {"type": "string", "pattern": "^[0-9]{1,17}-[0-9]{1,10}$"},
                                        "上一页的 next_cursor。")],
    responses={200: openapi.response("一页建议。", openapi.ref("StaffProposalPage"))}, errors=(403, 404, 422),
))
openapi.add_operation("/proposals/{proposal_id}", "patch", _op(
    "记录建议的处理情况（工作人员）/ classify a proposal (staff)",
    description="与网页相同的规则：不予列入、已有相关法规、合并处理须有理由（422）。每次改动记入操作记录。"
                "仅工作人员令牌，其他账户 403。",
    tag="plan-calls", operation_id="classifyProposal", security=openapi.TOKEN_REQUIRED,
    parameters=[{**openapi.path_parameter("proposal_id", {"type": "integer", "minimum": 1, "maximum": MAX_ID},
                                          "建议编号。"), "example": 1}],
    request_body=openapi.ref("ProposalClassification"),
    responses={200: openapi.response("建议。", openapi.ref("StaffProposal"))}, errors=(400, 403, 404, 415, 422),
))
openapi.add_operation("/plans/{year}", "get", _op(
    "年度立法计划 / the annual plan",
    description="按类别列出项目：名称、起草单位、提请审议时间、源自的建议（只列已公开的，姓名仅在公开时给出）和实施的草案。"
                "未发布的计划只对工作人员可见，对其他人 404。",
    tag="plan-calls", operation_id="getPlan", security=openapi.TOKEN_OPTIONAL,
    parameters=[{**openapi.path_parameter("year", {"type": "integer", "minimum": 2000, "maximum": 2100}, "年度。"),
                 "example": 2027}],
    responses={200: openapi.response("计划。", openapi.ref("LegislativePlan"))}, errors=(404,),
))
