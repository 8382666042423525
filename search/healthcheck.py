"""The ``search`` part of ``GET /readyz`` and the verdict of ``flask search status``.

``health`` turns the indexer's status (status.json: the current incident, see
``search.healing``), the backlog of the outbox, the permissions and a check of the live
index's files into one answer (the same rule for both).
"""
from __future__ import annotations

import logging
import os
import re

from sqlalchemy import func, select

from participation.database import connect

from search import healing
from search.backend import IndexStore, IndexUnavailable, check_files
from search.healing import Failures
from search.indexer import Backlog, _engine, _outbox
from search.settings import WRITER_LOCK_FILE, Settings

# The indexer's logger: its messages and this check's were one module's, and log filters name it.
logger = logging.getLogger("search.indexer")


#: The backlog is counted up to this many rows (the check must stay cheap).
HEALTH_BACKLOG_LIMIT = 10_000

#: What may not leave the process in an answer to anyone who asks: file paths and URLs
#: (a DSN) inside error messages.
_PRIVATE = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://\S+|(?<![\w.])(?:/[^\s'\",;)\]]+)+")


def _public(text, limit: int = 300) -> str:
    return _PRIVATE.sub("…", str(text))[:limit]


def _backlog_head(limit: int = HEALTH_BACKLOG_LIMIT) -> Backlog:
    """``backlog()`` in one query over at most ``limit`` rows (by the primary key)."""
    from participation.database import utcnow

    head = select(_outbox.c.created_at).order_by(_outbox.c.id).limit(limit).subquery()
    with connect(_engine(), write=False) as connection:
        count, oldest = connection.execute(select(func.count(), func.min(head.c.created_at))).one()
    age = max((utcnow() - oldest).total_seconds(), 0.0) if oldest is not None else None
    return Backlog(count or 0, age)


def _unwritable(settings: Settings) -> str | None:
    """Why the indexer could not write (``os.access``: no I/O), or None."""
    base = settings.index_path
    existing = base
    while not existing.exists() and existing.parent != existing:
        existing = existing.parent
    if not os.access(existing, os.W_OK | os.X_OK):
        return "the index directory is not writable"
    try:
        live = IndexStore(base).current_name()
    except IndexUnavailable:
        live = None
    if live is not None and (base / live).is_dir():
        if not os.access(base / live, os.W_OK | os.X_OK):
            return "the live index is not writable"
    lock = settings.instance_path / WRITER_LOCK_FILE
    if lock.exists():
        if not os.access(lock, os.W_OK):
            return "the writer lock file is not writable"
    elif not os.access(settings.instance_path, os.W_OK | os.X_OK):
        return "the writer lock file cannot be created"
    return None


def health(app) -> dict:
    """The search part of ``GET /readyz`` and the verdict of ``flask search status``
    (one rule for both). ``{"state": "ok"}`` or ``{"state": "degraded", "reason": …,
    "reasons": [...], "detail": …}``, with ``backlog`` (waiting changes, counted up to
    HEALTH_BACKLOG_LIMIT) and ``oldest_age_seconds``. Degraded, in this order of
    ``reason``: ``unwritable`` (the index directory, the live generation or the writer
    lock file), ``missing`` (no live index, or a damaged pointer to it), ``corrupt``
    (the live index cannot be opened, or its files do not match its table of
    contents), ``error`` (the
    indexer's last cycle failed: the details of the incident), ``stale`` (the oldest
    waiting change is older than SEARCH_STALE_SECONDS).

    Polled often, so cheap: status.json, one LIMITed query, ``os.access``, the live
    index's table of contents and a stat per segment. Never
    raises (a check that cannot run says so as degraded), and says nothing about the
    installation: no paths, no URLs."""
    try:
        return _health(app)
    except Exception as exc:
        logger.warning("search health check failed", exc_info=True)
        return {"state": "degraded", "reason": "check_failed", "detail": type(exc).__name__}


def _health(app) -> dict:
    settings = Settings.from_app(app)
    store = settings.store
    check: dict = {"state": "ok"}
    reasons: list[tuple[str, str]] = []
    unwritable = _unwritable(settings)
    if unwritable:
        reasons.append(("unwritable", unwritable))
    try:
        live = store.current_name()
    except IndexUnavailable:
        reasons.append(("missing", "the pointer to the live index is damaged"))
    else:
        if live is None or not (store.base / live).is_dir():
            reasons.append(("missing", "no index has been built yet"))
        else:
            # Searches open the live index too: one this version cannot read (another
            # engine layout, a damaged table of contents or segment) makes every search
            # answer "unavailable" until the indexer's next cycle rebuilds it.
            damage = _unreadable(store)
            if damage:
                reasons.append(("corrupt", damage))
    status = store.read_status()
    failures = Failures.from_status(status)
    if status.get("state") == "error" or failures.count:
        reasons.append(("error", _public(status.get("error") or "the indexer failed")))
        check["failures"] = failures.count
        for key in ("since", "stuck_on", "rebuilds_failed"):
            if status.get(key) is not None:
                check[key] = status[key]
        if failures.retry_at is not None:
            check["retry_in"] = round(max(failures.retry_at - healing._now(), 0.0), 1)
    try:
        waiting = _backlog_head()
    except Exception as exc:
        logger.warning("search health check: cannot read the outbox", exc_info=True)
        reasons.append(("unknown", f"cannot read the outbox: {type(exc).__name__}"))
    else:
        check["backlog"] = waiting.count
        check["oldest_age_seconds"] = round(waiting.oldest_age, 1) if waiting.oldest_age is not None else None
        if waiting.oldest_age is not None and waiting.oldest_age > settings.stale_seconds:
            reasons.append(("stale", f"the oldest waiting change is {waiting.oldest_age:.0f} s old "
                                     f"(SEARCH_STALE_SECONDS={settings.stale_seconds:g})"))
    if reasons:
        check["state"] = "degraded"
        check["reason"], check["detail"] = reasons[0]
        check["reasons"] = [reason for reason, _detail in reasons]
    return check


def _unreadable(store) -> str | None:
    """Why the live index cannot be used, or None: its table of contents opened and its
    files checked against it (``check_files``: a listing, a stat and a small read per
    segment; nothing is removed or repaired here)."""
    try:
        opened = store.open()
    except IndexUnavailable as exc:
        return _public(f"{exc.reason}: {exc.detail}" if exc.detail else exc.reason)
    try:
        problems = check_files(opened).problems
    finally:
        close = getattr(opened.index, "close", None)
        if close is not None:
            close()
    return _public("; ".join(problems[:3])) if problems else None
