"""Every answer under /api/ is JSON, errors included.

The error body is the same for every status::

    {"error": "<machine code>", "message": "<Chinese message for people>"}

and validation failures (422) add the fields at fault, always present for 422::

    {"error": "validation_failed", "message": "…", "fields": {"page": ["…"]}}

Views signal errors by raising: ``participation.errors`` service errors (ValidationFailed,
Conflict, NotFound, Forbidden, Throttled), ``ApiError`` for API-only conditions (bad
token, malformed body) or werkzeug's HTTP exceptions (``abort(404)``). The handlers here
turn each into the body above, keeping headers such as ``WWW-Authenticate`` and
``Allow``.
"""
from __future__ import annotations

import json

from flask import Blueprint, current_app, request
from flask_babel import gettext as _
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from participation.errors import (
    Conflict, Forbidden, IdempotencyKeyConflict, NotFound, ServiceError, Throttled, ValidationFailed,
)
from participation.database import DATABASE_RETRY_AFTER_SECONDS
from participation.extensions import db

# Machine codes by status, for HTTP exceptions that carry no code of their own.
STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_failed",
    429: "too_many_requests",
    500: "internal_error",
    503: "service_unavailable",
}

SERVICE_ERROR_CODES = (
    (IdempotencyKeyConflict, IdempotencyKeyConflict.code),
    (ValidationFailed, "validation_failed"),
    (Conflict, "conflict"),
    (NotFound, "not_found"),
    (Forbidden, "forbidden"),
    (Throttled, "too_many_requests"),
)


def status_message(status: int) -> str:
    """The Chinese message for a status when nothing more specific is known."""
    messages = {
        400: _("请求有误。"),
        401: _("需要有效的 API 令牌。"),
        403: _("您的账户没有执行此操作的权限。"),
        404: _("请求的资源不存在。"),
        405: _("此地址不支持该请求方式。"),
        406: _("无法按请求的格式返回内容，本接口只返回 JSON。"),
        409: _("请求与当前状态冲突。"),
        413: _("请求体太大。"),
        415: _("请求体必须是 JSON（Content-Type: application/json）。"),
        422: _("请求参数有误。"),
        429: _("请求过于频繁，请稍后再试。"),
        503: _("系统繁忙，暂时无法处理该请求，请稍后重试；本次请求未被保存。"),
    }
    return messages.get(status, _("服务器出错了，我们已记录此问题。请稍后再试。"))


def json_response(data, status: int = 200, headers: dict | None = None):
    """A JSON response with UTF-8 text (Chinese stays readable, not \\u-escaped) and
    keys in the order the serializer wrote them."""
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    response = current_app.response_class(body, status=status, mimetype="application/json")
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def error_response(status: int, code: str, message: str, *, fields: dict[str, list[str]] | None = None,
                   headers: dict | None = None):
    body: dict = {"error": code, "message": message}
    if status == 422 or fields:
        body["fields"] = {name: [str(m) for m in messages] for name, messages in (fields or {}).items()}
    return json_response(body, status, headers)


class ApiError(Exception):
    """An API-only refusal (bad token, malformed body). Raise it from views or helpers;
    it becomes the standard error body with the given headers."""

    def __init__(self, status: int, code: str, message: str, *, fields: dict[str, list[str]] | None = None,
                 headers: dict | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.fields = fields
        self.headers = headers or {}


def _handle_api_error(exc: ApiError):
    db.session.rollback()
    return error_response(exc.status, exc.code, exc.message, fields=exc.fields, headers=exc.headers)


def _handle_service_error(exc: ServiceError):
    db.session.rollback()
    code = next((name for cls, name in SERVICE_ERROR_CODES if isinstance(exc, cls)), "bad_request")
    return error_response(exc.status_code, code, exc.message, fields=exc.fields or None)


def _handle_http_exception(exc: HTTPException):
    status = exc.code or 500
    # Keep protocol headers (Allow on 405, Retry-After on 429); the body is ours.
    headers = {name: value for name, value in exc.get_headers() if name.lower() != "content-type"}
    return error_response(status, STATUS_CODES.get(status, "error"), status_message(status), headers=headers)


def _handle_database_busy(exc: OperationalError):
    """A lock held past the busy timeout, a deadlock or a lost connection: transient,
    and the transaction was rolled back, so the client may retry (with the same
    Idempotency-Key)."""
    current_app.logger.warning("database unavailable on %s %s: %s", request.method, request.path, exc.orig)
    db.session.rollback()
    return error_response(503, "service_unavailable", status_message(503),
                          headers={"Retry-After": str(DATABASE_RETRY_AFTER_SECONDS)})


def _handle_unexpected(exc: Exception):
    current_app.logger.exception("unhandled API error on %s %s", request.method, request.path)
    db.session.rollback()
    return error_response(500, "internal_error", status_message(500))


def _add_allow_header(response):
    """A 405 found while routing is answered by the application's handler, which builds
    a fresh response and drops the ``Allow`` header RFC 9110 requires; put it back."""
    exc = request.routing_exception
    if (request.path.startswith("/api/") and response.status_code == 405
            and isinstance(exc, MethodNotAllowed) and exc.valid_methods and "Allow" not in response.headers):
        response.headers["Allow"] = ", ".join(exc.valid_methods)
    return response


def register_error_handlers(bp: Blueprint) -> None:
    # Flask searches the blueprint's handlers (whole class hierarchy) before the
    # application's, so ApiError needs a blueprint handler too or Exception would win.
    bp.register_error_handler(ApiError, _handle_api_error)
    bp.register_error_handler(ServiceError, _handle_service_error)
    bp.register_error_handler(HTTPException, _handle_http_exception)
    bp.register_error_handler(OperationalError, _handle_database_busy)
    bp.register_error_handler(Exception, _handle_unexpected)
    # ApiError can be raised by helpers used outside a view of the blueprint (for
    # example while resolving a token); it is API-only, so handling it app-wide is safe.
    bp.app_errorhandler(ApiError)(_handle_api_error)
    # App-wide, so once per application however many API blueprints there are
    # (after_app_request would add it again for each).
    bp.record_once(_register_allow_header_once)


def _register_allow_header_once(state) -> None:
    handlers = state.app.after_request_funcs.setdefault(None, [])
    if _add_allow_header not in handlers:
        handlers.append(_add_allow_header)
