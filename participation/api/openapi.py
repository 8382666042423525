"""The OpenAPI 3.1 document of the API, served at /api/v1/openapi.json.

It is assembled from registrations: each endpoint module documents its own operations
next to its views, with the helpers below, and adds the schemas it returns::

    openapi.add_tag("opinions", "意见建议。")
    openapi.add_schema("Opinion", openapi.obj({...}))
    openapi.add_operation("/opinions", "post", openapi.operation(
        "提交意见", tag="opinions", operation_id="createOpinion", security=openapi.TOKEN_REQUIRED,
        request_body=openapi.ref("OpinionInput"),
        responses={201: openapi.response("已提交", openapi.ref("Opinion"))},
        errors=(400, 403, 404, 409, 415, 422),
    ))

Paths are relative to the server URL ``/api/v1``. ``tests/api/test_api_openapi.py`` checks
that every rule under /api/v1 is documented here and runs schemathesis against the
document, so a shape that drifts from the code fails the suite.
"""
from __future__ import annotations

import copy

from flask import current_app
from flask_babel import force_locale

from participation import labels
from participation.api.blueprint import api
from participation.api.errors import json_response
from participation.api.params import DEFAULT_PER_PAGE, MAX_PAGE, MAX_PER_PAGE
from participation.models import Disposition, DraftStatus, ProvisionKind, Reading, Role

OPENAPI_VERSION = "3.1.0"
API_VERSION = "1.0.0"
SERVER_URL = "/api/v1"
SECURITY_SCHEME = "bearerAuth"

#: Anyone may call; a bearer token, when sent, must be valid and may show more.
TOKEN_OPTIONAL: list[dict] = [{}, {SECURITY_SCHEME: []}]
#: A live bearer token is required.
TOKEN_REQUIRED: list[dict] = [{SECURITY_SCHEME: []}]

_tags: dict[str, str] = {}
_paths: dict[str, dict[str, dict]] = {}
_schemas: dict[str, dict] = {}


def add_tag(name: str, description: str) -> None:
    """Register a group of operations (shown as a section by documentation viewers)."""
    _tags[name] = description


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(schema: dict) -> dict:
    """``schema`` or null (OpenAPI 3.1 / JSON Schema style)."""
    if "$ref" in schema:
        return {"oneOf": [schema, {"type": "null"}]}
    schema = dict(schema)
    schema["type"] = [schema["type"], "null"]
    return schema


def obj(properties: dict[str, dict], *, description: str | None = None, optional: tuple[str, ...] = ()) -> dict:
    """A closed object: every property required unless listed in ``optional``, and no
    others allowed, so an undocumented field fails the schema test."""
    schema = {
        "type": "object",
        "required": [name for name in properties if name not in optional],
        "properties": properties,
        "additionalProperties": False,
    }
    if description:
        schema["description"] = description
    return schema


def add_schema(name: str, schema: dict) -> dict:
    """Register a component schema; returns a ``$ref`` to it."""
    if name in _schemas and _schemas[name] != schema:
        raise ValueError(f"OpenAPI schema {name!r} registered twice with different content")
    _schemas[name] = schema
    return ref(name)


def add_operation(path: str, method: str, operation: dict) -> None:
    """Register one operation. ``path`` is relative to /api/v1 in OpenAPI form
    (``/drafts/{draft_id}``)."""
    methods = _paths.setdefault(path, {})
    method = method.lower()
    if method in methods:
        raise ValueError(f"OpenAPI operation {method.upper()} {path} registered twice")
    methods[method] = operation


def response(description: str, schema: dict, *, headers: dict | None = None) -> dict:
    """A JSON response object for ``operation(responses=...)``."""
    body = {"description": description, "content": {"application/json": {"schema": schema}}}
    if headers:
        body["headers"] = headers
    return body


def query_parameter(name: str, schema: dict, description: str, *, required: bool = False) -> dict:
    return {"name": name, "in": "query", "required": required, "description": description, "schema": schema}


def path_parameter(name: str, schema: dict, description: str) -> dict:
    return {"name": name, "in": "path", "required": True, "description": description, "schema": schema}


PAGINATION_PARAMETERS = [
    {"$ref": "#/components/parameters/page"},
    {"$ref": "#/components/parameters/per_page"},
]

# Statuses every operation can answer: a bad token (when a token may be sent), rate
# limiting and server failure.
_ALWAYS = (429, 500)


def operation(summary: str, *, tag: str, operation_id: str, security: list[dict], responses: dict,
              description: str = "", parameters: list[dict] | None = None, request_body: dict | None = None,
              errors: tuple[int, ...] = ()) -> dict:
    """An operation object. ``responses`` holds the success answers by status;
    ``errors`` lists the error statuses the operation itself can produce (401 is added
    whenever a token may be sent, 429 and 500 always) and points them at the shared
    error responses."""
    result: dict = {
        "operationId": operation_id,
        "summary": summary,
        "tags": [tag],
        "security": security,
        "responses": {str(status): body for status, body in responses.items()},
    }
    if description:
        result["description"] = description
    if parameters:
        result["parameters"] = parameters
    if request_body is not None:
        result["requestBody"] = {"required": True, "content": {"application/json": {"schema": request_body}}}
    statuses = set(errors) | set(_ALWAYS)
    if any(SECURITY_SCHEME in requirement for requirement in security):
        statuses.add(401)
    for status in sorted(statuses):
        result["responses"][str(status)] = {"$ref": f"#/components/responses/{_ERROR_RESPONSES[status][0]}"}
    return result


# --- shared components -------------------------------------------------------------

ERROR_SCHEMA = obj(
    {
        "error": {"type": "string", "description": "机器可读的错误代码，例如 not_found、validation_failed、invalid_token。",
                  "examples": ["not_found"]},
        "message": {"type": "string", "description": "给人看的说明（中文）。"},
        "fields": {
            "type": "object",
            "description": "校验错误（422）时出错的字段或参数，及各自的说明。",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        },
    },
    optional=("fields",),
    description="所有错误的统一格式。",
)
VALIDATION_ERROR_SCHEMA = copy.deepcopy(ERROR_SCHEMA)
VALIDATION_ERROR_SCHEMA["required"] = ["error", "message", "fields"]
VALIDATION_ERROR_CODES = {
    "enum": ["validation_failed", "idempotency_key_conflict"],
    "description": "validation_failed：字段或参数校验失败；idempotency_key_conflict：请求头 Idempotency-Key "
                   "已用于内容不同的另一个请求（fields 中为 Idempotency-Key），只出现在接受该请求头的接口。",
}
VALIDATION_ERROR_SCHEMA["properties"]["error"] = VALIDATION_ERROR_CODES
VALIDATION_ERROR_SCHEMA["description"] = "校验错误：fields 列出每个出错的字段、参数或请求头。"

_WWW_AUTHENTICATE = {
    "WWW-Authenticate": {
        "description": "Bearer 认证质询（RFC 6750）。",
        "required": True,
        "schema": {"type": "string"},
    }
}
_ALLOW = {"Allow": {"description": "此地址支持的请求方式。", "schema": {"type": "string"}}}

# status → (component name, description, schema, headers)
_ERROR_RESPONSES: dict[int, tuple[str, str, str, dict | None]] = {
    400: ("BadRequest", "请求有误，例如请求体不是有效的 JSON（error: malformed_json）。", "Error", None),
    401: ("Unauthorized", "缺少、无效或已撤销的 API 令牌，或令牌所属账户已停用。", "Error", _WWW_AUTHENTICATE),
    403: ("Forbidden", "令牌所属账户没有此操作的权限。", "Error", None),
    404: ("NotFound", "资源不存在（或对当前账户不可见）。", "Error", None),
    405: ("MethodNotAllowed", "此地址不支持该请求方式。", "Error", _ALLOW),
    409: ("Conflict", "请求与资源的当前状态冲突。", "Error", None),
    410: ("Gone", "资源已不存在，例如导出的文件已过期删除（error: expired）。", "Error", None),
    413: ("PayloadTooLarge", "请求体太大。", "Error", None),
    415: ("UnsupportedMediaType", "请求体必须是 JSON。", "Error", None),
    422: ("ValidationFailed", "参数或字段校验失败，或 Idempotency-Key 已用于内容不同的请求。", "ValidationError", None),
    429: ("TooManyRequests", "请求过于频繁。", "Error", None),
    500: ("InternalError", "服务器内部错误。", "Error", None),
}

def enum_schema(values, names: dict, *, intro: str = "", notes: dict | None = None) -> dict:
    """A string enumeration whose description names each value as the pages do
    (``labels``): ``draft 草稿、scheduled 即将征求意见…``. The document is written in
    Chinese whatever the client's language, so the names are taken in the default
    locale; call it while the document is built (``build_document``)."""
    values = [getattr(value, "value", value) for value in values]
    notes = notes or {}
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        named = "、".join(f"{value} {labels.label(names, value)}{notes.get(value, '')}" for value in values)
    return {"type": "string", "enum": values, "description": f"{intro}{named}。"}


def _base_schemas() -> dict:
    return {
        "Error": ERROR_SCHEMA,
        "ValidationError": VALIDATION_ERROR_SCHEMA,
        "DraftStatus": enum_schema(DraftStatus, labels.DRAFT_STATUS, intro="由服务器时钟计算：",
                                   notes={"draft": "（未发布）"}),
        "Reading": enum_schema(Reading, labels.READING, intro="审次："),
        "ProvisionKind": enum_schema(ProvisionKind, labels.PROVISION_KIND),
        "Role": enum_schema(Role, labels.ROLE),
        "Disposition": enum_schema(Disposition, labels.DISPOSITION, intro="处理情况："),
    }


#: The answer to an opinion as its submitter sees it (receipts, 我的意见): every field
#: null until the draft's feedback (意见采纳情况) is published. Never the internal note.
DISPOSITION_FIELDS = {
    "feedback_published": {"type": "boolean", "description": "本草案的意见采纳情况是否已经发布。"},
    "disposition": {**nullable(ref("Disposition")), "description": "处理情况；意见采纳情况发布前为 null。"},
    "disposition_label": {**nullable({"type": "string"}), "description": "处理情况的中文名称；发布前为 null。"},
    "reason": {**nullable({"type": "string"}), "description": "处理理由（写给提出人）；发布前为 null。"},
    "feedback_url": {**nullable({"type": "string"}), "description": "草案意见采纳情况页面的地址；发布前为 null。"},
}


def page_schema(item: dict, description: str) -> dict:
    """The envelope of every paginated listing."""
    return obj(
        {
            "items": {"type": "array", "items": item},
            "page": {"type": "integer", "minimum": 1},
            "per_page": {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE},
            "total": {"type": "integer", "minimum": 0, "description": "符合条件的总条数。"},
        },
        description=description,
    )


def build_document() -> dict:
    """A fresh copy of the whole document (callers may modify it)."""
    responses = {}
    for status, (name, description, schema_name, headers) in _ERROR_RESPONSES.items():
        responses[name] = response(description, ref(schema_name), headers=headers)
    document = {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "立法公众参与平台 API",
            "version": API_VERSION,
            "description": (
                "法规草案及其结构化条文、意见提交、意见统计、条款下公开的意见和回执查询。\n\n"
                "认证：在请求头中发送 `Authorization: Bearer <令牌>`（令牌由 `flask users token EMAIL` 签发）。"
                "接口不使用网站的登录 Cookie。未带令牌时以匿名身份访问公开内容；带了无效、已撤销的令牌，"
                "或令牌所属账户已停用，一律返回 401。\n\n"
                "错误统一为 JSON：`{\"error\": 代码, \"message\": 说明}`，校验错误（422）另含 "
                "`fields`：`{字段: [说明, …]}`。时间为带时区偏移的 ISO 8601。"
            ),
        },
        "servers": [{"url": SERVER_URL}],
        "tags": [{"name": name, "description": description} for name, description in _tags.items()],
        "paths": dict(sorted(_paths.items())),
        "components": {
            "securitySchemes": {
                SECURITY_SCHEME: {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "平台签发的 API 令牌（以 lpp_ 开头）。",
                }
            },
            "parameters": {
                "page": query_parameter("page", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 1},
                                        "页码，从 1 开始。"),
                "per_page": query_parameter(
                    "per_page", {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE, "default": DEFAULT_PER_PAGE},
                    "每页条数。"),
            },
            "responses": responses,
            "schemas": {**_base_schemas(), **_schemas},
        },
    }
    return copy.deepcopy(document)


add_tag("drafts", "法规草案及其条文结构。")
add_tag("account", "令牌所属账户。")
add_tag("meta", "接口说明文档。")


@api.get("/openapi.json")
def openapi_document():
    return json_response(build_document())


add_operation("/openapi.json", "get", operation(
    "本接口的 OpenAPI 文档", tag="meta", operation_id="getOpenApiDocument", security=TOKEN_OPTIONAL,
    responses={200: response("OpenAPI 3.1 文档。", {"type": "object"})},
))
