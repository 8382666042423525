"""我的意见 in the API: the opinions the token's own account submitted, newest first, each
with its answer once the draft's feedback is published. Always the caller's own list:
the route takes no account id."""
from __future__ import annotations

from participation import queries
from participation.api import openapi, serializers
from participation.api.auth import current_api_user, token_required
from participation.api.blueprint import api
from participation.api.errors import json_response
from participation.api.opinions import RECEIPT_STATUS
from participation.api.params import QueryArgs
from participation.extensions import db
from participation.services import feedback
from participation.unit_of_work import reads


@api.get("/me/opinions")
@token_required
@reads
def my_opinions():
    args = QueryArgs()
    page, per_page = args.pagination()
    args.check()
    user = current_api_user()
    listing = db.paginate(queries.my_opinions_query(user.id), page=page, per_page=per_page, error_out=False)
    drafts = queries.drafts_by_id(opinion.draft_id for opinion in listing.items)
    citations = queries.opinion_citations(listing.items)
    released = feedback.released_dispositions(listing.items, drafts)
    items = [serializers.my_opinion(opinion, drafts[opinion.draft_id], citations[opinion.id],
                                    RECEIPT_STATUS[opinion.moderation_state], released[opinion.id])
             for opinion in listing.items]
    return json_response({"items": items, "page": page, "per_page": per_page, "total": listing.total})


openapi.add_schema("MyOpinion", openapi.obj(
    {
        "id": {"type": "integer", "minimum": 1},
        "receipt": {"type": "string", "description": "回执码。"},
        "status": {"type": "string", "enum": list(RECEIPT_STATUS.values()),
                   "description": "received 已收到（待审核）、published 已公开、hidden 已屏蔽。"},
        "draft": openapi.obj({"id": {"type": "integer", "minimum": 1}, "title": {"type": "string"}}),
        "provision": {**openapi.nullable({"type": "string"}), "description": "条款键；总体意见为 null。"},
        "provision_label": {"type": "string", "description": "条款的规范引用，例如 第三条第（二）项；总体意见为空字符串。"},
        "stance": {"type": "string"},
        "body": {"type": "string", "description": "意见内容（本人提交的原文）。"},
        "submitted_at": {"type": "string", "format": "date-time"},
        **openapi.DISPOSITION_FIELDS,
    },
    description="本人提交的一条意见；处理结果和理由在意见采纳情况发布后才有。",
))
openapi.add_operation("/me/opinions", "get", openapi.operation(
    "我的意见",
    description="令牌所属账户提交的全部意见（网页和接口提交的），新的在前，按页分页。"
                "每条意见的处理情况和理由在该草案的意见采纳情况发布后返回，此前为 null。"
                "只能查看本人的意见；不返回工作人员的内部备注。",
    tag="account", operation_id="listMyOpinions", security=openapi.TOKEN_REQUIRED,
    parameters=openapi.PAGINATION_PARAMETERS,
    responses={200: openapi.response("一页意见。", openapi.page_schema(openapi.ref("MyOpinion"), "本人的意见。"))},
    errors=(422,),
))
