"""统计概览 in the API (staff and admins): the figures of the overview page for a period,
``participation.queries.overview``'s, as JSON."""
from __future__ import annotations

from flask import request
from flask_babel import gettext as _

from participation import clock, labels, policies
from participation.api import openapi
from participation.api.auth import current_api_user, require, token_required
from participation.api.blueprint import api
from participation.api.errors import json_response
from participation.errors import ValidationFailed
from participation.queries.overview import Overview, PeriodError, overview_figures, parse_period
from participation.unit_of_work import reads


def overview_document(overview: Overview) -> dict:
    point = lambda p: {"id": p.id, "name": p.name, "opinions": p.opinions, "represented": p.represented,  # noqa: E731
                       "batches": p.batches, "participants": p.participants}
    return {
        "from": overview.period.start.isoformat(),
        "to": overview.period.end.isoformat(),
        "time_zone": clock.local_zone().key,
        "summary": overview.summary,
        "total": overview.total,
        "represented": overview.represented,
        "from_liaison_points": overview.from_points,
        "disposed": overview.disposed,
        "adopted": overview.adopted,
        "disposed_share": overview.share(overview.disposed),
        "adopted_share": overview.share(overview.adopted),
        "by_month": [{"month": month, "opinions": count} for month, count in overview.by_month],
        "by_channel": overview.by_channel,
        "by_category": overview.by_category,
        "by_disposition": overview.by_disposition,
        "liaison_points": [point(p) for p in overview.points],
        "silent_liaison_points": [{"id": p.id, "name": p.name} for p in overview.silent_points],
        "by_delegation": [{"delegation": row.delegation, "opinions": row.opinions, "deputies": row.deputies}
                          for row in overview.by_delegation],
        "top_drafts": [{"id": row.id, "title": row.title, "opinions": row.opinions, "disposed": row.disposed,
                        "adopted": row.adopted} for row in overview.top_drafts],
        "drafts": {"opened": overview.drafts.opened, "closed": overview.drafts.closed,
                   "feedback_published": overview.drafts.feedback_published},
        "proposals": {
            "total": overview.proposals.total,
            "by_call": [{"id": row.id, "title": row.title, "year": row.year, "proposals": row.proposals}
                        for row in overview.proposals.by_call],
            "by_category": overview.proposals.by_category,
            "by_classification": overview.proposals.by_classification,
            "by_channel": overview.proposals.by_channel,
        },
    }


@api.get("/overview")
@token_required
@reads
def get_overview():
    require(policies.can_view_overview(current_api_user()))
    today = clock.utc_to_local(clock.now()).date()
    try:
        period = parse_period(request.args.get("from"), request.args.get("to"), today, blank_is_default=False)
    except PeriodError as exc:
        raise ValidationFailed(_("请求参数有误，请检查标出的参数。"), fields=exc.fields) from None
    return json_response(overview_document(overview_figures(period, clock.now())))


# --- documentation -----------------------------------------------------------------

_COUNT = {"type": "integer", "minimum": 0}
_SHARE = {**openapi.nullable({"type": "number", "minimum": 0, "maximum": 100}),
          "description": "占收到意见的百分比（一位小数）；没有收到意见时为 null。"}


def _counts(names: dict, what: str, counted: str = "意见数") -> dict:
    keys = "、".join(names)
    return {"type": "object", "properties": {key: _COUNT for key in names}, "required": list(names),
            "additionalProperties": _COUNT, "description": f"按{what}分列的{counted}，每种都列出（可为 0）：{keys}。"}


openapi.add_tag("overview", "统计概览（工作人员和管理员）。")
openapi.add_schema("Overview", openapi.obj({
    "from": {"type": "string", "format": "date", "description": "统计期间的第一天（含）。"},
    "to": {"type": "string", "format": "date", "description": "统计期间的最后一天（含）。"},
    "time_zone": {"type": "string", "description": "划分日期和月份所用的时区，例如 Asia/Shanghai。"},
    "summary": {"type": "string", "description": "概述（委员会报告式的一句话）。"},
    "total": {**_COUNT, "description": "期间内收到的意见数（按收到时间；不含已屏蔽的）。"},
    "represented": {**_COUNT, "description": "这些意见所代表的人数。"},
    "from_liaison_points": {**_COUNT, "description": "其中基层立法联系点报送的意见数。"},
    "disposed": {**_COUNT, "description": "其中已处理（处理情况不是“待处理”）的意见数。"},
    "adopted": {**_COUNT, "description": "其中采纳和部分采纳的意见数。"},
    "disposed_share": _SHARE,
    "adopted_share": _SHARE,
    "by_month": {"type": "array", "description": "按月份（期间内的每个月，含没有意见的月份）。", "items": openapi.obj({
        "month": {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}$"}, "opinions": _COUNT})},
    "by_channel": _counts(labels.CHANNEL, "渠道"),
    "by_category": _counts(labels.SUBMITTER_CATEGORY, "提出人类别"),
    "by_disposition": _counts(labels.DISPOSITION, "处理情况"),
    "liaison_points": {"type": "array", "description": "期间内报送过意见或批次的联系点，报送意见多的在前。",
                       "items": openapi.obj({
                           "id": {"type": "integer", "minimum": 1}, "name": {"type": "string"},
                           "opinions": _COUNT, "represented": _COUNT, "batches": _COUNT,
                           "participants": {**_COUNT, "description": "各批次活动的参加人数之和。"}})},
    "silent_liaison_points": {"type": "array", "description": "期间内什么也没有报送的在用联系点。",
                              "items": openapi.obj({"id": {"type": "integer", "minimum": 1},
                                                    "name": {"type": "string"}})},
    "by_delegation": {"type": "array", "description": "人大代表的意见，按提出时所属代表团。", "items": openapi.obj({
        "delegation": {"type": "string"}, "opinions": _COUNT,
        "deputies": {**_COUNT, "description": "提出意见的人大代表人数。"}})},
    "top_drafts": {"type": "array", "description": "期间内收到意见最多的草案（至多 10 部）。", "items": openapi.obj({
        "id": {"type": "integer", "minimum": 1}, "title": {"type": "string"}, "opinions": _COUNT,
        "disposed": _COUNT, "adopted": _COUNT})},
    "drafts": openapi.obj({
        "opened": {**_COUNT, "description": "期间内开始公开征求意见的草案数。"},
        "closed": {**_COUNT, "description": "期间内征求意见期结束的草案数。"},
        "feedback_published": {**_COUNT, "description": "期间内发布意见采纳情况反馈的草案数。"},
    }),
    "proposals": openapi.obj({
        "total": {**_COUNT, "description": "期间内收到的立法项目建议数（按收到时间；不含已屏蔽的）。"},
        "by_call": {"type": "array", "description": "按征集公告，建议多的在前（只列有建议的征集）。",
                    "items": openapi.obj({"id": {"type": "integer", "minimum": 1}, "title": {"type": "string"},
                                          "year": {"type": "integer"}, "proposals": _COUNT})},
        "by_category": _counts(labels.PROPOSER_CATEGORY, "提出人类别", "建议数"),
        "by_classification": _counts(labels.CLASSIFICATION, "处理情况", "建议数"),
        "by_channel": _counts(labels.CHANNEL, "渠道", "建议数"),
    }, description="立法计划项目建议征集收到的立法项目建议。"),
}, description="统计概览：与网页 /staff/overview 上的数字相同。"))

_DATE = {"type": "string", "format": "date", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"}
openapi.add_operation("/overview", "get", openapi.operation(
    "统计概览",
    description="（工作人员、管理员）全部草案在一段期间内的意见统计：按月份、渠道、提出人类别、联系点、代表团，"
                "意见最多的草案，处理和采纳的比例，草案情况，以及收到的立法项目建议（按征集、提出人类别、处理情况、渠道）。日期按平台配置的时区理解，两端都包含；"
                "省略时为本年度的开始或结束。日期格式有误、年份不在 1900–9998 之间、开始晚于结束或期间超过十年时"
                "返回 422（fields 中为 from 或 to）。",
    tag="overview", operation_id="getOverview", security=openapi.TOKEN_REQUIRED,
    parameters=[openapi.query_parameter("from", _DATE, "开始日期 YYYY-MM-DD（含）。"),
                openapi.query_parameter("to", _DATE, "结束日期 YYYY-MM-DD（含）。")],
    responses={200: openapi.response("统计概览。", openapi.ref("Overview"))},
    errors=(403, 422),
))
