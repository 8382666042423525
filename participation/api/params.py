"""Reading and checking request input: query parameters and JSON bodies.

Every problem is reported at once, by parameter name, as a 422 ``validation_failed``
error (see ``participation.api.errors``); a body that is not JSON is a 400
``malformed_json`` error.
"""
from __future__ import annotations

import re
from collections.abc import Iterable

from flask import request
from flask_babel import gettext as _

from participation.api.errors import ApiError
from participation.errors import ValidationFailed

DEFAULT_PER_PAGE = 20
MAX_PER_PAGE = 100
# Deep pages are useless to people and an OFFSET past the end costs the database a scan.
MAX_PAGE = 100_000

_DIGITS = re.compile(r"[0-9]{1,9}")  # ASCII only: int() would also take "１２"


class QueryArgs:
    """Collects the errors of several query parameters, then raises them together::

        args = QueryArgs()
        page, per_page = args.pagination()
        status = args.choice("status", STATUSES)
        args.check()
    """

    def __init__(self, values=None):
        self.values = request.args if values is None else values
        self.errors: dict[str, list[str]] = {}

    def add_error(self, name: str, message: str) -> None:
        self.errors.setdefault(name, []).append(message)

    def integer(self, name: str, *, default: int, minimum: int, maximum: int) -> int:
        raw = self.values.get(name)
        if raw is None:
            return default
        if not _DIGITS.fullmatch(raw) or not minimum <= int(raw) <= maximum:
            self.add_error(name, _("%(name)s 必须是 %(min)d 到 %(max)d 之间的整数。", name=name, min=minimum, max=maximum))
            return default
        return int(raw)

    def choice(self, name: str, choices: Iterable[str], *, default: str | None = None) -> str | None:
        raw = self.values.get(name)
        if raw is None:
            return default
        choices = list(choices)
        if raw not in choices:
            self.add_error(name, _("%(name)s 只能是以下取值之一：%(choices)s。", name=name, choices="、".join(choices)))
            return default
        return raw

    def pagination(self, *, default_per_page: int = DEFAULT_PER_PAGE) -> tuple[int, int]:
        page = self.integer("page", default=1, minimum=1, maximum=MAX_PAGE)
        per_page = self.integer("per_page", default=default_per_page, minimum=1, maximum=MAX_PER_PAGE)
        return page, per_page

    def check(self) -> None:
        if self.errors:
            raise ValidationFailed(_("请求参数有误，请检查标出的参数。"), fields=self.errors)


def json_body() -> dict:
    """The request body as a JSON object, or an error: 415 when it is not declared as
    JSON, 400 ``malformed_json`` when it does not parse or is not an object."""
    if not request.is_json:
        raise ApiError(415, "unsupported_media_type", _("请求体必须是 JSON（Content-Type: application/json）。"))
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ApiError(400, "malformed_json", _("请求体不是有效的 JSON 对象，请检查格式与编码（UTF-8）。"))
    return data


# --- Idempotency-Key ---------------------------------------------------------------------

MAX_IDEMPOTENCY_KEY_LENGTH = 100
IDEMPOTENCY_KEY_PATTERN = re.compile(r"[\x21-\x7e]{1,%d}" % MAX_IDEMPOTENCY_KEY_LENGTH)

#: The header's entry in an operation's OpenAPI ``parameters``.
IDEMPOTENCY_KEY_PARAMETER = {
    "name": "Idempotency-Key", "in": "header", "required": False,
    "description": "客户端生成的唯一键（例如 UUID），使重试安全。",
    "schema": {"type": "string", "pattern": "^[!-~]{1,%d}$" % MAX_IDEMPOTENCY_KEY_LENGTH},
}


def idempotency_key() -> str | None:
    """The request's ``Idempotency-Key`` header (None without one); 422 naming the
    header when it is not 1 to 100 visible ASCII characters."""
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    if not IDEMPOTENCY_KEY_PATTERN.fullmatch(key):
        message = _("必须是 1 到 %(max)d 个可见 ASCII 字符。", max=MAX_IDEMPOTENCY_KEY_LENGTH)
        raise ValidationFailed(_("请求有误，请检查标出的字段。"), fields={"Idempotency-Key": [message]})
    return key
