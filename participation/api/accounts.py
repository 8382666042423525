"""The token's own account, for integrations to check what they are signed in as."""
from __future__ import annotations

from participation.api import openapi, serializers
from participation.api.blueprint import api
from participation.api.auth import current_api_token, current_api_user, token_required
from participation.api.errors import json_response
from participation.unit_of_work import reads


@api.get("/me")
@token_required
@reads
def me():
    return json_response(serializers.account(current_api_user(), current_api_token()))


_TEXT_OR_NULL = openapi.nullable({"type": "string"})

openapi.add_schema("LiaisonPointRef", openapi.obj(
    {"id": {"type": "integer", "minimum": 1}, "name": {"type": "string"}, "region": {"type": "string"}},
    description="基层立法联系点。",
))
openapi.add_schema("TokenInfo", openapi.obj(
    {
        "prefix": {"type": "string", "description": "令牌开头几位，用于区分不同令牌。"},
        "name": {"type": "string"},
        "created_at": {"type": "string", "format": "date-time"},
        "last_used_at": {**openapi.nullable({"type": "string", "format": "date-time"}),
                         "description": "最近一次使用时间（每五分钟至多更新一次）。"},
    },
    description="本次请求所用的令牌。",
))
openapi.add_schema("Account", openapi.obj(
    {
        "id": {"type": "integer", "minimum": 1},
        "email": {"type": "string"},
        "role": openapi.ref("Role"),
        "display_name": {"type": "string"},
        "deputy_number": {**_TEXT_OR_NULL, "description": "代表证号（仅人大代表）。"},
        "delegation": {**_TEXT_OR_NULL, "description": "所属代表团（仅人大代表）。"},
        "professional_group": {**_TEXT_OR_NULL, "description": "所属专业小组（仅人大代表）。"},
        "liaison_point": {**openapi.nullable(openapi.ref("LiaisonPointRef")),
                          "description": "所属基层立法联系点（仅联系点信息员）。"},
        "token": openapi.ref("TokenInfo"),
    },
    description="令牌所属的账户。",
))

openapi.add_operation("/me", "get", openapi.operation(
    "令牌所属账户",
    description="返回发出请求的令牌所属的账户，用于集成时检查令牌是否可用、身份是否正确。",
    tag="account", operation_id="getMe", security=openapi.TOKEN_REQUIRED,
    responses={200: openapi.response("账户。", openapi.ref("Account"))},
))
