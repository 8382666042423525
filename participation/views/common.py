"""What the pages and the application wiring (``participation.web.wiring``) both need: the
site's languages and how an error is answered (an HTML page, or JSON on the API).

It lives here, below both, because ``participation.web.wiring`` imports the views to register
their blueprints: a view never imports ``participation.web.wiring`` (a test checks the import
graph of ``participation/`` for cycles)."""
from __future__ import annotations

from flask import jsonify, make_response, render_template, request
from flask_babel import lazy_gettext as _l

SUPPORTED_LOCALES = ("zh_CN", "en")

ERROR_CODES = {
    400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
    406: "not_acceptable", 409: "conflict", 413: "payload_too_large", 415: "unsupported_media_type",
    422: "validation_failed", 429: "too_many_requests", 503: "service_unavailable",
}

ERROR_MESSAGES = {
    400: _l("请求有误。"),
    401: _l("需要登录。"),
    403: _l("您没有权限访问此页面。"),
    404: _l("页面不存在。"),
    405: _l("不支持此请求方式。"),
    406: _l("无法提供所请求的格式。"),
    409: _l("请求与当前状态冲突。"),
    413: _l("上传的内容太大。"),
    415: _l("不支持此内容类型。"),
    422: _l("提交的内容有误。"),
    429: _l("请求过于频繁，请稍后再试。"),
    500: _l("服务器出错了，我们已记录此问题。请稍后再试。"),
    503: _l("系统繁忙，暂时无法处理您的请求，请稍后再试。您提交的内容未被保存。"),
}


def is_api_request() -> bool:
    return request.path.startswith("/api/")


def json_error(status: int, code: str, message: str, fields: dict | None = None):
    body = {"error": code, "message": message}
    if fields:
        body["fields"] = fields
    response = jsonify(body)
    response.status_code = status
    return response


def render_error(status: int, message: str | None = None, headers=None):
    """The error page for ``status`` (JSON under /api/), with ``message`` or the
    standard one for the status; ``headers`` (name, value pairs) are kept, except a
    content type."""
    message = message or str(ERROR_MESSAGES.get(status, ERROR_MESSAGES[400 if status < 500 else 500]))
    if is_api_request():
        response = json_error(status, ERROR_CODES.get(status, "bad_request" if status < 500 else "internal_error"), message)
    else:
        response = make_response(render_template("errors/error.html", status=status, message=message), status)
    # Keep what the exception asked for: Allow on 405, Retry-After on 429 …
    for name, value in headers or ():
        if name.lower() != "content-type":
            response.headers[name] = value
    return response
