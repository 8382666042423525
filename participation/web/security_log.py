"""The security log: one JSON object per line for every refusal an operator may want to
see — failed sign-ins, 403s, 429s (pages and API), CSRF failures and requests refused
at the boundary for unstorable characters — kept apart from the access log.

Each line holds::

    {"time": "2026-12-04T14:31:07.123Z", "event": "forbidden", "reason": "…",
     "user_id": 12, "address": "203.0.113.9", "method": "POST",
     "route": "/staff/drafts/<int:draft_id>/publish", "endpoint": "staff.publish", …}

``route`` is the matched URL rule, never the path as sent: paths can carry receipt
codes and upload ids, and query strings anything. Nothing a caller typed goes in a
line except field *names*: never passwords, tokens, e-mail addresses or other contact
details, never form values.

Destination (``SECURITY_LOG_PATH``): unset or ``-`` writes to the process's standard
error through a handler of its own (what a process manager — systemd's journal, Docker,
gunicorn's error log — already collects); a file path appends to that file, reopened
when log rotation moves it. The logger (``participation.security``, level INFO) also
propagates, so a logging configuration of the operator's own sees the records too.
"""
from __future__ import annotations

import json
import logging
import logging.handlers
import sys
from datetime import datetime, timezone

from flask import Flask, current_app, has_request_context, request

LOGGER_NAME = "participation.security"
logger = logging.getLogger(LOGGER_NAME)

_HANDLER_MARK = "_participation_security_handler"
_LOGGED_KEY = "participation.security_logged"

#: Statuses logged by the after-request hook, with their reason.
_STATUS_EVENTS = {403: ("forbidden", "forbidden"), 429: ("rate_limited", "too_many_requests")}


class _CurrentStderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is at the time of each record (test runners
    and servers replace it after start-up), as logging's own last-resort handler does."""

    def __init__(self):
        super().__init__(sys.stderr)

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value):
        pass


def init_app(app: Flask) -> None:
    configure(app.config.get("SECURITY_LOG_PATH") or "-")
    app.after_request(_log_refused_status)


def configure(destination: str) -> None:
    """Point the security logger at ``destination`` (``-``: standard error; else a file
    path). Idempotent: an app made again in the same process replaces the handler."""
    # Alembic's env.py runs logging.config.fileConfig, which disables every logger that
    # exists at the time (``flask db upgrade`` in the same process as an app).
    logger.disabled = False
    logger.setLevel(logging.INFO)
    for handler in list(logger.handlers):
        if getattr(handler, _HANDLER_MARK, None) is not None:
            if getattr(handler, _HANDLER_MARK) == destination:
                return
            logger.removeHandler(handler)
            handler.close()
    if destination == "-":
        handler: logging.Handler = _CurrentStderrHandler()
    else:
        # WatchedFileHandler reopens the file after logrotate moved it.
        handler = logging.handlers.WatchedFileHandler(destination, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(message)s"))
    setattr(handler, _HANDLER_MARK, destination)
    logger.addHandler(handler)


def record(event: str, *, reason: str, user_id: int | None = None, **details) -> dict:
    """Write one security event about the current request and return it. ``user_id``
    defaults to the signed-in account (web session or API token). ``details`` must be
    JSON-serialisable and must not hold what the caller typed (field names only)."""
    entry: dict = {
        "time": datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "event": event,
        "reason": reason,
        "user_id": user_id,
    }
    if has_request_context():
        if user_id is None:
            entry["user_id"] = _current_user_id()
        rule = request.url_rule
        entry.update(
            address=request.remote_addr,
            method=request.method,
            route=rule.rule if rule is not None else None,
            endpoint=request.endpoint,
        )
        request.environ[_LOGGED_KEY] = True
    entry.update(details)
    logger.warning(json.dumps(entry, ensure_ascii=False, default=str), extra={"security_event": entry})
    return entry


def sign_in_failed(reason: str = "bad_credentials") -> dict:
    """The sign-in form answered "wrong e-mail or password". The account is not named:
    looking it up would cost a query and the e-mail typed is contact data."""
    return record("sign_in_failed", reason=reason)


def csrf_failed(description: str) -> dict:
    return record("csrf_failed", reason=_csrf_reason(description))


def _csrf_reason(description: str) -> str:
    # Flask-WTF's fixed English descriptions, as short codes.
    text = (description or "").lower()
    for needle, code in (("referrer", "csrf_referrer_refused"), ("session token", "csrf_session_missing"),
                         ("missing", "csrf_token_missing"), ("expired", "csrf_token_expired"),
                         ("do not match", "csrf_token_mismatch"), ("invalid", "csrf_token_invalid")):
        if needle in text:
            return code
    return "csrf_failed"


def _current_user_id() -> int | None:
    holder = request.environ.get("participation.api_token")  # set by participation.api.auth
    if holder is not None:
        return getattr(holder, "id", None)
    if request.path.startswith("/api/"):
        return None  # the API never has a cookie session
    try:
        from flask_login import current_user

        return int(current_user.id) if current_user.is_authenticated else None
    except Exception:  # noqa: BLE001 - a log line must never turn a refusal into a 500
        current_app.logger.debug("security log: user unknown", exc_info=True)
        return None


def _log_refused_status(response):
    """``after_request`` hook: every 403 and 429 (error handlers' answers included) not
    already logged by a more specific event."""
    event = _STATUS_EVENTS.get(response.status_code)
    if event is None or request.environ.get(_LOGGED_KEY):
        return response
    details = {}
    if response.status_code == 429:
        limit = _breached_limit()
        if limit:
            details["limit"] = limit
    record(event[0], reason=event[1], **details)
    return response


def _breached_limit() -> str | None:
    """The rate limit this 429 exceeded, when a limiter refused it (a view's own 429,
    such as a sign-in throttle, names none)."""
    try:
        from participation.extensions import limiter

        api_limit = request.environ.get("participation.api_rate_limit")  # participation.api.ratelimit
        if api_limit is not None:
            item, identifiers = api_limit
            return None if limiter.limiter.test(item, *identifiers) else str(item)
        current = limiter.current_limit
        return str(current.limit) if current is not None and current.breached else None
    except Exception:  # noqa: BLE001 - a log line must never turn a refusal into a 500
        return None
