"""Drafts: the listing and one draft with its provision tree."""
from __future__ import annotations

from flask_babel import gettext as _

from participation import clock, policies, queries
from participation.api import openapi, serializers
from participation.api.blueprint import api
from participation.api.auth import current_api_user
from participation.api.errors import json_response
from participation.api.params import QueryArgs
from participation.models import Draft, DraftStatus
from participation.views import load_visible
from participation.unit_of_work import reads


@api.get("/drafts")
@reads
def list_drafts():
    args = QueryArgs()
    page, per_page = args.pagination()
    status = args.choice("status", [status.value for status in DraftStatus])
    args.check()
    now = clock.now()
    result = queries.drafts_page(
        status, now, include_unpublished=policies.can_list_unpublished_drafts(current_api_user()),
        page=page, per_page=per_page,
    )
    return json_response({
        "items": [serializers.draft_summary(draft, now) for draft in result.items],
        "page": page,
        "per_page": per_page,
        "total": result.total,
    })


@api.get("/drafts/<int:draft_id>")
@reads
def get_draft(draft_id: int):
    now = clock.now()
    # An unpublished draft is "not found" to those who may not see it: its existence is
    # not public either.
    draft = load_visible(Draft, draft_id, lambda draft: policies.can_view_draft(current_api_user(), draft, now),
                         message=_("草案不存在，或尚未发布。"))
    version = draft.current_version
    tree = queries.provision_tree(version.id) if version is not None else []
    return json_response(serializers.draft_detail(draft, version, tree, now))


# --- documentation -----------------------------------------------------------------

_TIMESTAMP = openapi.nullable({"type": "string", "format": "date-time"})
_SUMMARY_PROPERTIES = {
    "id": {"type": "integer", "minimum": 1},
    "title": {"type": "string"},
    "status": openapi.ref("DraftStatus"),
    "issuing_body": {"type": "string", "description": "起草或发布单位。"},
    "summary": {"type": "string", "description": "草案说明摘要。"},
    "opens_at": {**_TIMESTAMP, "description": "征求意见开始时间；未发布时为 null。"},
    "closes_at": {**_TIMESTAMP, "description": "征求意见截止时间；未发布时为 null。"},
    "published_at": {**_TIMESTAMP, "description": "发布时间；未发布时为 null。"},
    "url": {"type": "string", "format": "uri", "description": "草案公开阅读页面的地址。"},
}

openapi.add_schema("DraftSummary", openapi.obj(_SUMMARY_PROPERTIES, description="草案列表中的一项。"))
openapi.add_schema("ProvisionNode", openapi.obj(
    {
        "key": {"type": "string", "description": "版本内唯一且稳定的条文键，例如 ch.1、art.12、art.12.2.3、art.10-1。",
                "examples": ["art.12.2.3"]},
        "kind": openapi.ref("ProvisionKind"),
        "label": {"type": "string", "description": "中文标号，例如 第十二条、第二款、第（三）项。"},
        "heading": {"type": "string", "description": "编、章、节等的标题；条款没有标题时为空字符串。"},
        "text": {"type": "string", "description": "本节点自身的文字（不含下级节点）。"},
        "children": {"type": "array", "items": openapi.ref("ProvisionNode"), "description": "下级节点，按原文顺序。"},
    },
    description="条文树的一个节点（编、分编、章、节、条、款、项、目、序言、附件）。",
))
openapi.add_schema("DraftVersionInfo", openapi.obj(
    {"number": {"type": "integer", "minimum": 1}, "reading": openapi.ref("Reading")},
    description="草案的当前版本（审次）。",
))
openapi.add_schema("DraftDetail", openapi.obj(
    {
        **_SUMMARY_PROPERTIES,
        "version": openapi.nullable(openapi.ref("DraftVersionInfo")),
        "notes": {"type": "array", "items": {"type": "string"}, "description": "题注，例如通过或修正的日期。"},
        "provisions": {"type": "array", "items": openapi.ref("ProvisionNode"),
                       "description": "当前版本的条文树（顶层节点，按原文顺序）。"},
    },
    description="一部草案及其当前版本的完整条文结构。",
))
openapi.add_schema("DraftPage", openapi.page_schema(openapi.ref("DraftSummary"), "草案列表的一页。"))

openapi.add_operation("/drafts", "get", openapi.operation(
    "草案列表",
    description="已发布的草案，新建的在前。使用工作人员（staff、admin）的令牌时也包括未发布的草案。"
                "status 按服务器当前时间计算。",
    tag="drafts", operation_id="listDrafts", security=openapi.TOKEN_OPTIONAL,
    parameters=[
        *openapi.PAGINATION_PARAMETERS,
        openapi.query_parameter("status", openapi.ref("DraftStatus"), "只列出处于此状态的草案。"),
    ],
    responses={200: openapi.response("一页草案。", openapi.ref("DraftPage"))},
    errors=(422,),
))
openapi.add_operation("/drafts/{draft_id}", "get", openapi.operation(
    "草案详情及条文树",
    description="草案、当前版本及其完整条文树。未发布的草案只对工作人员可见，对其他人返回 404。",
    tag="drafts", operation_id="getDraft", security=openapi.TOKEN_OPTIONAL,
    parameters=[{**openapi.path_parameter("draft_id", {"type": "integer", "minimum": 1}, "草案编号。"), "example": 1}],
    responses={200: openapi.response("草案。", openapi.ref("DraftDetail"))},
    errors=(404,),
))
