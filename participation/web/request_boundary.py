"""The request boundary: text that no database column can store is refused once, before
any view, form, limiter key or user loader uses it.

PostgreSQL refuses U+0000 in ``text``/``varchar`` ("text fields cannot contain NUL"
characters) and nothing can store a lone surrogate (U+D800–U+DFFF has no UTF-8
encoding; JSON's ``"\\ud800"`` escape produces one). Left to the views, such a value
turns into an HTTP 500 wherever it reaches a query — a clause key in a path, a filter
parameter, a login e-mail — and into a different answer on SQLite. Checking every view
and service for it is a promise nobody keeps; this module checks each part of a request
once, where it enters the application:

* before any other ``before_request`` hook: the path (so every path variable), every
  query parameter (names and values) and every header value (User-Agent is stored with
  the login session);
* when the body is parsed, by whoever parses it first (``BoundaryRequest``): every form
  field (names and values), every uploaded file's field name and file name, every string
  of a JSON body (object keys and values, at any depth). Parsing is not done ahead of the
  view on purpose: views lower ``request.max_content_length`` for their route before they
  read the body (the opinion form, the API's submissions), and an early parse would read
  a body past their limit.

The request is **refused**, never silently cleaned: a NUL or a lone surrogate is never
typed by a person (browsers cannot produce them in a text field; they come from broken
clients or from probing), so refusing loses nothing a user meant, while stripping would
change what a query matches, what a key or a receipt code means, or what a comment says,
without telling anyone. One rule everywhere is also easier to rely on than a list of
places where stripping was judged harmless. (Other control characters are storable and
are removed where free text is stored, by ``participation.text.clean_text``.)

The answer is 400 with the error page for the web pages, and 422 in the API's error shape
(``participation.api.errors``) naming the fields at fault for paths under /api/. A request
that routes nowhere keeps its 404/405. Each refusal is written to the security log.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from flask import Flask, Request, Response, current_app, make_response, render_template, request
from flask_babel import gettext as _
from werkzeug.exceptions import BadRequest

# NUL and the surrogate code points: the characters a database cannot store in text.
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def is_unstorable(value) -> bool:
    return isinstance(value, str) and UNSTORABLE.search(value) is not None


def shown_name(name: str) -> str:
    """A field name safe to put in an answer or a log line: unstorable characters are
    written as ``\\u0000``-style escapes (a key of a JSON body may itself hold one)."""
    return UNSTORABLE.sub(lambda match: f"\\u{ord(match.group()):04x}", str(name))


def _distinct(names) -> list[str]:
    found: list[str] = []
    for name in names:
        name = shown_name(name)
        if name not in found:
            found.append(name)
    return found


def _head_fields() -> Iterator[str]:
    # Path variables are named (the route matched); otherwise the path as a whole.
    if is_unstorable(request.path):
        named = [name for name, value in (request.view_args or {}).items() if is_unstorable(value)]
        yield from named or ["path"]
    for key, value in request.args.items(multi=True):
        if is_unstorable(key) or is_unstorable(value):
            yield key
    for name, value in request.headers.items():
        if "\x00" in value:
            yield name


def _form_fields(form, files) -> Iterator[str]:
    for key, value in form.items(multi=True):
        if is_unstorable(key) or is_unstorable(value):
            yield key
    for key, storage in files.items(multi=True):
        if is_unstorable(key) or is_unstorable(storage.filename or ""):
            yield key


_BAD_KEY = object()


def _json_fields(value) -> Iterator[str]:
    """The names (``a.b[0].c``) of a JSON value's unstorable strings and keys, in document
    order. Iterative: a deeply nested body must not exhaust the stack here."""
    stack = [(value, "")]
    while stack:
        item, where = stack.pop()
        if isinstance(item, dict):
            for key, inner in reversed(item.items()):
                name = f"{where}.{key}" if where else str(key)
                stack.append((_BAD_KEY if is_unstorable(key) else inner, name))
        elif isinstance(item, list):
            stack.extend((inner, f"{where}[{index}]") for index, inner in reversed(list(enumerate(item))))
        elif item is _BAD_KEY:
            yield where
        elif is_unstorable(item):
            yield where or "body"


class UnstorableText(BadRequest):
    """Raised where a body is parsed; answered by ``refusal`` (400 page or API 422)."""

    def __init__(self, fields: list[str]):
        super().__init__()
        self.fields = fields


class BoundaryRequest(Request):
    """The app's request: a form or JSON body is checked when it is parsed, and every
    read of a refused body raises again (a caller that swallowed the first refusal
    still never gets the text)."""

    def _load_form_data(self) -> None:
        super()._load_form_data()
        fields = _distinct(_form_fields(self.form, self.files))
        if fields:
            raise UnstorableText(fields)

    def get_json(self, force: bool = False, silent: bool = False, cache: bool = True):
        try:
            data = super().get_json(force=force, silent=silent, cache=cache)
        except RecursionError as exc:
            # json.loads gives up on deep nesting with RecursionError, not ValueError, and
            # Werkzeug would let it through as a 500: it is malformed JSON like any other.
            if silent:
                return None
            return self.on_json_loading_failed(ValueError(str(exc)))
        # A body that does not parse (None) is the view's to answer: malformed JSON.
        fields = _distinct(_json_fields(data)) if data is not None else []
        if fields:
            raise UnstorableText(fields)
        return data


def refuse_unstorable_head():
    """``before_request`` hook (the first one): refuse a request whose path, query
    string or headers hold unstorable text. A request that routes nowhere is left to
    its 404/405: no view will read it."""
    if request.routing_exception is not None:
        return None
    fields = _distinct(_head_fields())
    return refusal(fields) if fields else None


def refusal(fields: list[str]) -> Response:
    """The answer to a request holding unstorable text in ``fields``; logged."""
    from participation.web import security_log

    security_log.record("request_refused", reason="unstorable_characters", fields=fields)
    message = _("请求中含有无法保存的字符（如空字符 U+0000），请删除后重试。")
    if request.path.startswith("/api/"):
        from participation.api.errors import error_response

        field_message = _("含有无法保存的字符（如空字符 U+0000）。")
        by_field = {name: [field_message] for name in fields}
        view = current_app.view_functions.get(request.endpoint) if request.endpoint else None
        shape = getattr(view, _REFUSAL_SHAPE, None)
        if shape is not None:
            return shape(message, by_field)
        return error_response(422, "validation_failed", message, fields=by_field)
    detail = _("有问题的部分：%(fields)s", fields=", ".join(fields))
    return make_response(render_template("errors/error.html", status=400, message=message, detail=detail), 400)


_REFUSAL_SHAPE = "request_boundary_refusal"


def refusal_shape(build: Callable[[str, dict[str, list[str]]], Response]):
    """Decorate an API view (below its route decorator) whose documented 422 body is not
    the standard one: ``build(message, fields)`` makes the refusal's answer instead."""

    def decorate(view):
        setattr(view, _REFUSAL_SHAPE, build)
        return view

    return decorate


def init_app(app: Flask) -> None:
    app.request_class = BoundaryRequest
    # First of all before_request hooks: CSRF checks, rate-limit keys and the user
    # loader then only ever see storable text.
    app.before_request_funcs.setdefault(None, []).insert(0, refuse_unstorable_head)
    # Registered for the code (400), so it is found before the API blueprints' handlers
    # for HTTPException in general.
    app.register_error_handler(UnstorableText, lambda exc: refusal(exc.fields))
