"""GET /api/v1/search, on a blueprint of its own with the API's conventions (bearer
tokens, JSON errors, rate limit), documented in the API's OpenAPI document."""
from __future__ import annotations

from flask import Blueprint, url_for
from flask_babel import gettext as _

from participation import policies
from participation.api import configure_api_blueprint, openapi
from participation.api.auth import current_api_user, require
from participation.api.errors import json_response
from participation.errors import ValidationFailed
from participation.unit_of_work import reads
from search.service import (
    CATEGORIES,
    DEFAULT_PER_PAGE,
    FACET_PARAMETERS,
    MAX_ID,
    MAX_PER_PAGE,
    SORTS,
    STANCES,
    STATES,
    TYPES,
    read_params,
    run_search,
)
from search.query import MAX_RESULT_WINDOW

bp = Blueprint("search_api", __name__, url_prefix="/api/v1")
configure_api_blueprint(bp)


def _hit(hit) -> dict:
    return {
        "type": hit.type,
        "id": hit.id,
        "draft": {"id": hit.draft_id, "title": hit.draft_title} if hit.draft_id is not None else None,
        "call": {"id": hit.call_id, "title": hit.call_title} if hit.call_id is not None else None,
        "title": hit.title,
        "provision": {"key": hit.provision_key, "label": hit.provision_label} if hit.provision_key else None,
        "snippet": hit.snippet,
        "highlights": [[start, end] for start, end in hit.highlights],
        "url": _absolute(hit.url),
        "stance": hit.stance,
        "category": hit.category,
        "state": hit.state,
        "created_at": hit.created_at.isoformat() if hit.created_at else None,
        "score": round(hit.score, 4),
    }


def _absolute(path: str) -> str:
    return url_for("public.home", _external=True).rstrip("/") + path


@bp.get("/search")
@reads
def search():
    params, errors, warnings = read_params(request_args(), strict=True)
    if errors:
        raise ValidationFailed(_("请求参数有误，请检查标出的参数。"), fields=errors)
    user = current_api_user()
    if params.state:
        require(policies.can_search_all_opinions(user))
    outcome = run_search(params, user)
    return json_response({
        "total": outcome.total,
        "page": params.page,
        "per_page": params.per_page,
        "complete": outcome.complete,
        "message": outcome.prompt,
        "notices": [*warnings, *outcome.notices],
        "hits": [_hit(hit) for hit in outcome.hits],
        "facets": {
            FACET_PARAMETERS[name]: [{"value": f.value, "label": f.label, "count": f.count} for f in values]
            for name, values in outcome.facets.items()
        },
    })


def request_args():
    from flask import request

    return request.args


# --- documentation -----------------------------------------------------------------------

openapi.add_tag("search", "意见建议、条文与立法项目建议的全文搜索。")
_FACET_VALUE = openapi.add_schema("SearchFacetValue", openapi.obj(
    {
        "value": {"type": "string", "description": "作为同名筛选参数使用的取值（草案、联系点为编号）。"},
        "label": {"type": "string", "description": "给人看的名称。"},
        "count": {"type": "integer", "minimum": 0, "description": "在当前结果中的数量。"},
    },
    description="一个筛选取值及其结果数。",
))
openapi.add_schema("SearchHit", openapi.obj(
    {
        "type": {"type": "string", "enum": list(TYPES),
                 "description": "opinion 意见建议、provision 条文、proposal 立法项目建议。"},
        "id": {"type": "integer", "minimum": 1, "description": "意见、条文或立法项目建议的编号。"},
        "draft": openapi.nullable(openapi.obj({"id": {"type": "integer", "minimum": 1}, "title": {"type": "string"}},
                                              description="所属草案；立法项目建议为 null。")),
        "call": openapi.nullable(openapi.obj({"id": {"type": "integer", "minimum": 1}, "title": {"type": "string"}},
                                             description="立法项目建议所答的征集公告；其他类型为 null。")),
        "title": openapi.nullable({"type": "string", "description": "立法项目建议的项目名称；其他类型为 null。"}),
        "provision": openapi.nullable(openapi.obj(
            {"key": {"type": "string", "examples": ["art.12.2"]},
             "label": {"type": "string", "description": "引用标号，例如 第十二条第二款。"}},
            description="所针对的条文；总体意见为 null。",
        )),
        "snippet": {"type": "string", "description": "匹配处附近的原文片段（纯文本）。"},
        "highlights": {
            "type": "array",
            "items": {"type": "array", "items": {"type": "integer", "minimum": 0}, "minItems": 2, "maxItems": 2},
            "description": "snippet 中命中部分的 [起, 止) 字符位置。",
        },
        "url": {"type": "string", "format": "uri",
                "description": "条文在公开阅读页面上的地址；立法项目建议为其页面（工作人员为管理页面）。"},
        "stance": openapi.nullable({"type": "string", "enum": list(STANCES)}),
        "category": openapi.nullable({"type": "string", "enum": list(CATEGORIES)}),
        "state": openapi.nullable({"type": "string", "enum": list(STATES),
                                   "description": "审核状态，仅对工作人员返回，其他情况为 null。"}),
        "created_at": openapi.nullable({"type": "string", "format": "date-time"}),
        "score": {"type": "number", "description": "相关度得分（按时间排序时为 0）。"},
    },
    description="一条搜索结果。",
))
openapi.add_schema("SearchResults", openapi.obj(
    {
        "total": {"type": "integer", "minimum": 0, "description": "符合条件的结果总数。"},
        "page": {"type": "integer", "minimum": 1},
        "per_page": {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE},
        "complete": {"type": "boolean",
                     "description": "false 表示结果可能不完整：索引暂不可用、正在重建、尚有变更未进入索引，或结果过多只统计了一部分。"},
        "message": openapi.nullable({"type": "string",
                                     "description": "未执行搜索时的说明，例如没有输入可搜索的文字。"}),
        "notices": {"type": "array", "items": {"type": "string"}, "description": "给读者的提示，例如搜索词过长已截断。"},
        "hits": {"type": "array", "items": openapi.ref("SearchHit")},
        "facets": {
            "type": "object",
            "description": "各筛选参数（type、draft、call、clause、stance、category、liaison_point，工作人员另有 state）"
                           "在当前结果中的取值与数量。clause 只在指定 draft 时给出。",
            "propertyNames": {"enum": sorted(set(FACET_PARAMETERS.values()))},
            "additionalProperties": {"type": "array", "items": _FACET_VALUE},
        },
    },
    description="一页搜索结果。",
))
openapi.add_operation("/search", "get", openapi.operation(
    "搜索意见建议、条文与立法项目建议",
    description=(
        "中文全文搜索（结巴分词，并以相邻两字匹配保证原文中任意连续文字都能找到）。q 的写法：空格分隔的词须同时出现；"
        "\"…\" 为连续原文；-词 排除；词之间写 OR 表示任一。任何 q 都不会出错：无可搜索文字时 message 说明原因。"
        "匿名或普通账户只能搜到已公开的意见、已发布草案的条文和已发布征集中已公开的立法项目建议；"
        "工作人员令牌可搜到全部，并可按 state 筛选。联系方式从不进入索引。"
        "结果的文字、标题均取自数据库的当前内容；complete 为 false 时结果可能不完整。"
    ),
    tag="search", operation_id="search", security=openapi.TOKEN_OPTIONAL,
    parameters=[
        openapi.query_parameter("q", {"type": "string"}, "搜索内容。过长时只使用前 500 个字符。"),
        openapi.query_parameter("type", {"type": "string", "enum": list(TYPES)},
                                "只搜意见（opinion）、条文（provision）或立法项目建议（proposal）。"),
        openapi.query_parameter("draft", {"type": "integer", "minimum": 1, "maximum": MAX_ID}, "草案编号。"),
        openapi.query_parameter("call", {"type": "integer", "minimum": 1, "maximum": MAX_ID},
                                "立法计划项目建议征集的编号（只搜其建议）。"),
        openapi.query_parameter("clause", {"type": "string", "maxLength": 80},
                                "条款：条文键（例如 art.12）或人们书写的引用（第十二条、第12条第2款、第十二条第（三）项）；"
                                "条包括其各款、项。指定 draft 时，草案中没有的条款返回 422。"),
        openapi.query_parameter("stance", {"type": "string", "enum": list(STANCES)}, "态度。"),
        openapi.query_parameter("category", {"type": "string", "enum": list(CATEGORIES)}, "提出人类别。"),
        openapi.query_parameter("liaison_point", {"type": "integer", "minimum": 1, "maximum": MAX_ID}, "基层立法联系点编号。"),
        openapi.query_parameter("from", {"type": "string", "format": "date"}, "提交日期不早于（本地日期，含当日）。"),
        openapi.query_parameter("to", {"type": "string", "format": "date"}, "提交日期不晚于（本地日期，含当日）。"),
        openapi.query_parameter("state", {"type": "string", "enum": list(STATES)},
                                "审核状态（仅工作人员；其他账户 403，匿名 401）。"),
        openapi.query_parameter("sort", {"type": "string", "enum": list(SORTS), "default": "relevance"},
                                "relevance 按相关度，newest 按时间从新到旧。"),
        openapi.query_parameter("page", {"type": "integer", "minimum": 1, "maximum": MAX_RESULT_WINDOW, "default": 1},
                                f"页码。最多可翻到第 {MAX_RESULT_WINDOW} 条结果，更深的页返回空结果并在 message 中说明。"),
        openapi.query_parameter("per_page", {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE,
                                             "default": DEFAULT_PER_PAGE}, "每页条数。"),
    ],
    responses={200: openapi.response("一页搜索结果。", openapi.ref("SearchResults"))},
    errors=(403, 422),
))
