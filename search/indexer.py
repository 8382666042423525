"""The single writer of the index: drain the outbox, rebuild, recover.

Who writes
    Every write (a drain cycle, a rebuild) holds ``INSTANCE_PATH/search-writer.lock``,
    an ``flock`` lock, so there is one writer at a time across processes: the
    background thread of each web process, ``flask search worker`` and ``flask search
    rebuild`` take turns. In the embedded set-up (``SEARCH_INDEXER=thread``) every web
    process starts a thread, and only the one holding ``search-leader.lock`` works; the
    others stand by and take over if its process dies. A killed writer's locks go with
    its process.

Draining
    Read a batch of outbox rows and the current database state of what they name, apply
    it to the index (replace by document id, delete what is gone), commit the index,
    then delete exactly those rows. A crash between the index commit and the delete
    replays the batch, which changes nothing; a crash before the commit leaves the rows
    (and the engine's half-written files, which the next cycle removes: ``check_files``).

Recovering
    Every cycle first checks the live generation's files against its table of contents
    (``search.backend.check_files``). A missing or damaged index, or one built with
    another schema or analyzer, is rebuilt at once. A cycle that fails otherwise (a
    failing merge, an unwritable file) leaves the outbox as it is and is recorded in
    status.json (``state=error``, ``error``, ``failures`` in a row, ``since``,
    ``stuck_on``: the first outbox id of the failing batch); after
    ``SEARCH_HEAL_AFTER_FAILURES`` in a row the index is rebuilt aside from the database
    and swapped in, then the outbox drained. A rebuild that fails is retried after a
    backoff (``backoff_delay``: doubling, capped). A locked index (another writer) is
    not a failure. ``health`` turns the same status, the backlog and the permissions
    into the ``search`` part of ``/readyz`` and the exit code of ``flask search
    status``.

Rebuilding
    A new generation is built beside the live one from the database (in parallel worker
    processes when asked), published by an atomic pointer swap, then brought up to date
    with the outbox rows written meanwhile (the writer lock kept them waiting).
"""
from __future__ import annotations

import atexit
import logging
import multiprocessing
import os
import queue as queue_module
import re
import shutil
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import delete, func, select

from participation.database import read_transaction

from search import analysis, documents
from search.backend import (
    IndexStore,
    IndexUnavailable,
    SegmentBuilder,
    Writer,
    WriterBusy,
    check_files,
    check_readable,
    commit_segments,
    remove_leftovers,
)
from search.locks import FileLock
from search.models import (
    ENTITY_ALL,
    ENTITY_BATCH,
    ENTITY_DRAFT,
    ENTITY_OPINION,
    ENTITY_VERSION,
    SearchOutboxEntry,
)
from search.tracking import ENTITY_OPINIONS_AFTER

logger = logging.getLogger("search.indexer")

_outbox = SearchOutboxEntry.__table__

WRITER_LOCK_FILE = "search-writer.lock"
LEADER_LOCK_FILE = "search-leader.lock"

MODES = ("thread", "external", "off")


@dataclass
class Settings:
    index_path: Path
    instance_path: Path
    mode: str
    batch_size: int
    poll_seconds: float
    standby_seconds: float
    rebuild_procs: int
    heal_after: int = 3
    heal_backoff: float = 5.0
    heal_backoff_max: float = 300.0
    stale_seconds: float = 10.0

    @classmethod
    def from_app(cls, app) -> "Settings":
        config = app.config
        return cls(
            index_path=Path(config["SEARCH_INDEX_PATH"]),
            instance_path=Path(app.instance_path),
            mode=config["SEARCH_INDEXER"],
            batch_size=int(config.get("SEARCH_BATCH_SIZE", 500)),
            poll_seconds=float(config.get("SEARCH_POLL_SECONDS", 0.5)),
            standby_seconds=float(config.get("SEARCH_STANDBY_SECONDS", 5.0)),
            rebuild_procs=int(config.get("SEARCH_REBUILD_PROCS", 0)) or (os.cpu_count() or 1),
            heal_after=max(int(config.get("SEARCH_HEAL_AFTER_FAILURES", 3)), 1),
            heal_backoff=max(float(config.get("SEARCH_HEAL_BACKOFF_SECONDS", 5.0)), 0.0),
            heal_backoff_max=max(float(config.get("SEARCH_HEAL_BACKOFF_MAX_SECONDS", 300.0)), 0.0),
            stale_seconds=float(config.get("SEARCH_STALE_SECONDS", 10)),
        )

    @property
    def store(self) -> IndexStore:
        return IndexStore(self.index_path)

    @property
    def writer_lock(self) -> FileLock:
        return FileLock(self.instance_path / WRITER_LOCK_FILE)

    @property
    def leader_lock(self) -> FileLock:
        return FileLock(self.instance_path / LEADER_LOCK_FILE)


def _engine():
    from participation.extensions import db

    return db.engine


# --- the outbox -------------------------------------------------------------------------

@dataclass
class Backlog:
    count: int
    oldest_age: float | None  # seconds


def backlog(limit: int = 100_000) -> Backlog:
    """How many outbox rows wait (counted up to ``limit``) and the age of the oldest."""
    from participation.database import utcnow

    with read_transaction(), _engine().connect() as connection:
        count = connection.execute(
            select(func.count()).select_from(select(_outbox.c.id).limit(limit).subquery())
        ).scalar() or 0
        oldest = None
        if count:
            oldest = connection.execute(select(func.min(_outbox.c.created_at))).scalar()
    age = None
    if oldest is not None:
        age = max((utcnow() - oldest).total_seconds(), 0.0)
    return Backlog(count, age)


@dataclass
class Changes:
    """What a batch of outbox rows means for the index, read from the database."""

    upserts: list[dict] = field(default_factory=list)
    deletes: list[str] = field(default_factory=list)
    drafts_replaced: dict[int, list[dict]] = field(default_factory=dict)
    drafts_deleted: list[int] = field(default_factory=list)
    versions_deleted: list[int] = field(default_factory=list)
    batches_deleted: list[int] = field(default_factory=list)
    opinions_after: int | None = None
    everything: bool = False


def _read_batch(connection, size: int) -> list[tuple[int, str, int]]:
    rows = connection.execute(
        select(_outbox.c.id, _outbox.c.entity, _outbox.c.entity_id).order_by(_outbox.c.id).limit(size)
    ).all()
    return [(row.id, row.entity, row.entity_id) for row in rows]


def _load_changes(connection, batch) -> Changes:
    changes = Changes()
    opinion_ids: set[int] = set()
    draft_ids: set[int] = set()
    for _id, entity, entity_id in batch:
        if entity == ENTITY_OPINION:
            opinion_ids.add(entity_id)
        elif entity == ENTITY_DRAFT:
            draft_ids.add(entity_id)
        elif entity == ENTITY_VERSION:
            draft_id = documents.draft_id_of_version(connection, entity_id)
            if draft_id is None:
                changes.versions_deleted.append(entity_id)
            else:
                draft_ids.add(draft_id)
        elif entity == ENTITY_BATCH:
            members = documents.batch_opinion_ids(connection, entity_id)
            if members is None:
                changes.batches_deleted.append(entity_id)
            else:
                opinion_ids.update(members)
        elif entity == ENTITY_OPINIONS_AFTER:
            if changes.opinions_after is None or entity_id < changes.opinions_after:
                changes.opinions_after = entity_id
        elif entity == ENTITY_ALL:
            changes.everything = True
        else:
            logger.warning("unknown search outbox entity %r (row ignored)", entity)
    if changes.everything:
        return changes
    trees = documents.VersionTrees(connection)
    found = documents.opinion_documents(connection, opinion_ids, trees)
    changes.upserts.extend(found.values())
    changes.deletes.extend(documents.doc_id(documents.OPINION, pk) for pk in sorted(opinion_ids - found.keys()))
    for draft_id in sorted(draft_ids):
        if documents.draft_exists(connection, draft_id):
            changes.drafts_replaced[draft_id] = documents.provision_documents(connection, draft_id)
        else:
            changes.drafts_deleted.append(draft_id)
    return changes


def _apply(writer: Writer, changes: Changes, connection=None) -> None:
    for draft_id in changes.drafts_deleted:
        writer.delete_where(draft=str(draft_id))
    for version_id in changes.versions_deleted:
        writer.delete_where(version=str(version_id))
    for batch_id in changes.batches_deleted:
        writer.delete_where(batch=str(batch_id))
    for draft_id, docs in changes.drafts_replaced.items():
        writer.delete_where(kind=documents.PROVISION, draft=str(draft_id))
        for document in docs:
            writer.add(document)
    for doc_id in changes.deletes:
        writer.delete(doc_id)
    for document in changes.upserts:
        writer.upsert(document)
    if changes.opinions_after is not None and connection is not None:
        # Writer.upsert replaces documents of committed segments only, not one this
        # writer added (see search.backend): an opinion both inserted in bulk and
        # changed later in the same batch is written once, from the upserts above.
        written = {document["doc_id"] for document in changes.upserts}
        written.update(changes.deletes)
        low, high, _count = documents.opinion_id_bounds(connection)
        for document in documents.iter_opinion_documents(connection, changes.opinions_after + 1, high):
            if document["doc_id"] not in written:
                writer.upsert(document)


# --- draining ---------------------------------------------------------------------------

@dataclass
class DrainResult:
    processed: int = 0
    busy: bool = False
    rebuilt: bool = False
    error: str | None = None
    #: The live index cannot be used (``missing``, ``corrupt``, ``stale``): rebuild it.
    unavailable: str | None = None
    #: The first outbox id of the batch that failed.
    stuck_on: int | None = None
    #: Consecutive failed cycles so far (0 when this one worked).
    failures: int = 0
    #: A rebuild is due in this many seconds (the backoff), none is tried before.
    retry_in: float | None = None
    detail: str | None = None

    @property
    def ok(self) -> bool:
        return not self.busy and self.error is None


def _now() -> float:
    """The clock of the healing schedule (wall-clock seconds: the schedule is kept in
    status.json and read by other processes). Tests replace it instead of sleeping."""
    return time.time()


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, timezone.utc).isoformat(timespec="seconds")


def backoff_delay(attempt: int, base: float, cap: float) -> float:
    """Seconds between the failure of rebuild attempt ``attempt - 1`` and attempt
    ``attempt`` (1, 2, … within one incident): the first at once, then ``base``,
    ``2·base``, ``4·base`` … never more than ``cap``."""
    if attempt <= 1:
        return 0.0
    return min(cap, base * 2 ** min(attempt - 2, 32))


@dataclass
class Failures:
    """The indexer's current incident: consecutive failed cycles and failed rebuilds.

    Kept in status.json (every writer holds the writer lock, so there is one at a
    time) rather than in memory, so the count goes on when the failing process is
    restarted by its supervisor or another process takes over, and ``/readyz`` and
    ``flask search status`` read it from any process. Any cycle that works ends the
    incident (status ``idle``, no failure fields)."""

    count: int = 0
    since: str | None = None
    stuck_on: int | None = None
    error: str | None = None
    rebuilds: int = 0            # failed rebuild attempts of this incident
    retry_at: float | None = None  # no rebuild attempt before (epoch seconds)

    @classmethod
    def from_status(cls, status: dict) -> "Failures":
        def number(key, kind):
            value = status.get(key)
            try:
                return kind(value) if value is not None else None
            except (TypeError, ValueError):
                return None

        return cls(count=number("failures", int) or 0, since=status.get("since") if status.get("failures") else None,
                   stuck_on=number("stuck_on", int), error=status.get("error") if status.get("failures") else None,
                   rebuilds=number("rebuilds_failed", int) or 0, retry_at=number("retry_at", float))

    def failed(self, error: str, stuck_on: int | None, now: float, settings: Settings) -> None:
        if not self.count:
            self.since = _iso(now)
        self.count += 1
        self.error = error
        if stuck_on is not None:
            self.stuck_on = stuck_on
        if self.count >= settings.heal_after and self.retry_at is None and self.rebuilds:
            # A rebuild earlier in this incident worked, the trouble came back: the
            # next one keeps to the schedule instead of starting it over.
            self.retry_at = now + backoff_delay(self.rebuilds + 1, settings.heal_backoff, settings.heal_backoff_max)

    def rebuild_failed(self, error: str, now: float, settings: Settings, *, counted: bool = False) -> None:
        """``counted``: this cycle's failure is already counted (its drain failed)."""
        if counted:
            self.error = error
        else:
            self.failed(error, None, now, settings)
        self.rebuilds += 1
        self.retry_at = now + backoff_delay(self.rebuilds + 1, settings.heal_backoff, settings.heal_backoff_max)

    def fields(self, now: float | None = None) -> dict:
        """For status.json (empty when there is no incident)."""
        if not self.count and not self.rebuilds:
            return {}
        values = {"failures": self.count, "since": self.since, "stuck_on": self.stuck_on, "error": self.error,
                  "rebuilds_failed": self.rebuilds}
        if self.retry_at is not None:
            now = _now() if now is None else now
            values["retry_at"] = self.retry_at
            values["retry_in"] = round(max(self.retry_at - now, 0.0), 3)
        return values


def drain(app, *, max_batches: int | None = None, rebuild_if_needed: bool = True,
          lock_timeout: float = 0.0) -> DrainResult:
    """Apply waiting outbox rows to the index; rebuild first when the index is
    missing, damaged or out of date. Never raises for the fault cases: returns what
    happened (``busy`` when another writer holds a lock, ``error`` otherwise), and the
    outbox keeps every row that was not applied.

    Healing (the same for the indexer thread, ``flask search worker`` and ``flask
    search drain``, which all come here): a failed cycle is recorded in status.json
    (``state=error``, the error, ``failures`` in a row, ``since``, the outbox id it is
    ``stuck_on``). After ``SEARCH_HEAL_AFTER_FAILURES`` of them the index is rebuilt
    aside from the database and swapped in, then the outbox is drained; a damaged index
    (``check_files``) is rebuilt at once. A rebuild that fails is tried again after
    ``SEARCH_HEAL_BACKOFF_SECONDS``, then twice as long each time, up to
    ``SEARCH_HEAL_BACKOFF_MAX_SECONDS``; until then cycles return at once with
    ``retry_in``."""
    settings = Settings.from_app(app)
    lock = settings.writer_lock
    try:
        if not lock.acquire(timeout=lock_timeout):
            return DrainResult(busy=True)
    except OSError as exc:
        logger.warning("search indexer cannot take its lock: %s", exc)
        return DrainResult(error=f"lock: {exc}")
    try:
        with app.app_context():
            return _cycle(app, settings, max_batches=max_batches, rebuild_if_needed=rebuild_if_needed)
    finally:
        lock.release()


def _cycle(app, settings: Settings, *, max_batches: int | None, rebuild_if_needed: bool) -> DrainResult:
    """One drain under the writer lock, with the failure bookkeeping and the healing."""
    store = settings.store
    status = store.read_status()
    failures = Failures.from_status(status)
    if rebuild_if_needed and failures.count >= settings.heal_after:
        return _heal(app, settings, failures)
    result = _drain_locked(app, settings, max_batches=max_batches)
    if result.busy:
        store.write_status(state="busy", detail=result.detail or "", **failures.fields())
        result.failures = failures.count
        return result
    if result.unavailable and rebuild_if_needed:
        logger.warning("search index %s (%s): rebuilding from the database", result.unavailable, result.error)
        return _heal(app, settings, failures)
    if result.error:
        failures.failed(result.error, result.stuck_on, _now(), settings)
        result.failures = failures.count
        if rebuild_if_needed and failures.count >= settings.heal_after:
            logger.error("search indexer failed %d times in a row (outbox row %s: %s): rebuilding the index from "
                         "the database", failures.count, failures.stuck_on, failures.error)
            return _heal(app, settings, failures, counted=True)
        store.write_status(state="error", **failures.fields())
        return result
    if result.processed or status.get("state") not in ("idle", None) or failures.count or failures.rebuilds:
        store.write_status(state="idle", processed=result.processed)
    return result


def _heal(app, settings: Settings, failures: Failures, *, counted: bool = False) -> DrainResult:
    """Rebuild aside, swap in and drain, on the backoff schedule of ``failures``."""
    store = settings.store
    now = _now()
    if failures.retry_at is not None and now < failures.retry_at:
        return DrainResult(error=failures.error or "waiting to rebuild", failures=failures.count,
                           stuck_on=failures.stuck_on, retry_in=failures.retry_at - now)
    try:
        rebuilt = _rebuild_locked(app, settings, procs=1, failures=failures)
    except Exception as exc:  # the outbox keeps everything; try again on the schedule
        logger.exception("search index rebuild failed")
        failures.rebuild_failed(f"rebuild failed: {type(exc).__name__}: {exc}", now, settings, counted=counted)
        store.write_status(state="error", **failures.fields(now))
        logger.warning("search index: next rebuild attempt in %.1f s", failures.retry_at - now)
        return DrainResult(error=failures.error, failures=failures.count, stuck_on=failures.stuck_on,
                           retry_in=failures.retry_at - now)
    caught = rebuilt.catch_up
    return DrainResult(processed=rebuilt.caught_up, rebuilt=True, busy=bool(caught and caught.busy),
                       error=caught.error if caught else None, stuck_on=caught.stuck_on if caught else None)


def _drain_locked(app, settings: Settings, *, max_batches: int | None) -> DrainResult:
    """Apply outbox batches to the live index. Writes no status: returns what went
    wrong (``unavailable`` when the index itself cannot be used) for the caller."""
    store = settings.store
    try:
        opened = store.open()
        _check_index(opened)
        if opened.is_stale:
            raise IndexUnavailable("stale", f"built with {opened.meta.get('schema')!r}")
    except IndexUnavailable as exc:
        return DrainResult(error=f"{exc.reason}: {exc.detail}" if exc.detail else exc.reason,
                           unavailable=exc.reason)
    result = DrainResult()
    engine = _engine()
    batches = 0
    try:
        while max_batches is None or batches < max_batches:
            with read_transaction(), engine.connect() as connection:
                batch = _read_batch(connection, settings.batch_size)
                if not batch:
                    break
                result.stuck_on = batch[0][0]
                changes = _load_changes(connection, batch)
                if changes.everything:
                    connection.rollback()
                    rebuilt = _rebuild_locked(app, settings, procs=1)
                    result.processed += rebuilt.caught_up + len(batch)
                    result.rebuilt = True
                    result.stuck_on = None
                    return result
                writer = Writer(opened.index)
                try:
                    _apply(writer, changes, connection)
                except BaseException:
                    writer.cancel()
                    raise
                connection.rollback()
            # The index first, then the outbox: a crash in between replays the batch.
            writer.commit()
            with engine.begin() as connection:
                connection.execute(delete(_outbox).where(_outbox.c.id.in_([row[0] for row in batch])))
            result.processed += len(batch)
            result.stuck_on = None
            batches += 1
    except WriterBusy as exc:
        logger.info("search index is locked by another writer: %s", exc)
        result.busy = True
        result.detail = str(exc)
        return result
    except OSError as exc:
        logger.warning("search index cannot be written: %s", exc)
        result.error = f"{type(exc).__name__}: {exc}"
        return result
    except Exception as exc:  # a damaged segment, a failing merge: counted, then healed
        logger.exception("search indexer could not apply a batch")
        result.error = f"{type(exc).__name__}: {exc}"
        return result
    return result


def _check_index(opened) -> None:
    """Raise IndexUnavailable("corrupt") for an index that cannot be trusted; remove
    what an interrupted commit left behind. Runs every cycle (``check_files`` says why
    that is cheap enough)."""
    found = check_files(opened)
    if found.problems:
        raise IndexUnavailable("corrupt", "; ".join(found.problems[:3]))
    if found.leftovers:
        removed = remove_leftovers(opened, found.leftovers)
        if removed:
            logger.warning("search index: removed %d files left by an interrupted commit: %s",
                           len(removed), ", ".join(removed[:5]))
    check_readable(opened)


# --- health -----------------------------------------------------------------------------

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
    with read_transaction(), _engine().connect() as connection:
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
            check["retry_in"] = round(max(failures.retry_at - _now(), 0.0), 1)
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


# --- rebuilding -----------------------------------------------------------------------------

@dataclass
class RebuildResult:
    generation: str
    opinions: int
    provisions: int
    seconds: float
    caught_up: int
    #: CPU seconds spent by this process and the worker processes (the rate the
    #: machine would reach with its cores to itself, on a busy machine).
    cpu_seconds: float = 0.0
    #: The drain of the changes committed during the build (its error, if any, is
    #: recorded in status.json as the first failure of a new incident).
    catch_up: DrainResult | None = None


def rebuild(app, *, procs: int | None = None, progress=None, lock_timeout: float = 600.0) -> RebuildResult:
    """Rebuild the whole index from the database beside the live one, then swap.

    ``progress(n)`` is called as opinions are indexed (n more each time). Waits up to
    ``lock_timeout`` seconds for the current writer to finish its cycle. Raises
    TimeoutError when it cannot get the lock."""
    settings = Settings.from_app(app)
    lock = settings.writer_lock
    if not lock.acquire(timeout=lock_timeout):
        raise TimeoutError("another process is writing the search index (a rebuild?)")
    try:
        with app.app_context():
            return _rebuild_locked(app, settings, procs=procs or settings.rebuild_procs, progress=progress)
    finally:
        lock.release()


def rebuild_size() -> tuple[int, int]:
    """(opinions, drafts) a rebuild will index, for a progress bar."""
    with read_transaction(), _engine().connect() as connection:
        _low, _high, count = documents.opinion_id_bounds(connection)
        drafts = len(documents.all_draft_ids(connection))
    return count, drafts


#: Below this many opinions a parallel rebuild is not worth starting processes for.
PARALLEL_THRESHOLD = 20_000


def _rebuild_locked(app, settings: Settings, *, procs: int, progress=None,
                    failures: Failures | None = None) -> RebuildResult:
    """Build a new generation, swap it in, drain what was committed meanwhile.
    ``failures``: the incident this rebuild heals (kept in the status while it runs,
    so a rebuild killed halfway does not reset the count)."""
    started = time.perf_counter()
    cpu_started = time.process_time()
    worker_cpu = [0.0]
    store = settings.store
    store.write_status(state="rebuilding", **(failures.fields() if failures else {}))
    analysis.warm()
    engine = _engine()
    # Outbox rows already committed are satisfied by the build, which reads the
    # database after them; rows committed later are applied once it is live.
    with read_transaction(), engine.connect() as connection:
        covered = list(connection.execute(select(_outbox.c.id)).scalars())
    name, path, ix = store.create_generation()
    try:
        with read_transaction(), engine.connect() as connection:
            provision_docs = []
            for draft_id in documents.all_draft_ids(connection):
                provision_docs.extend(documents.provision_documents(connection, draft_id))
            low, high, count = documents.opinion_id_bounds(connection)
            connection.rollback()
            ranges = _split_ranges(connection, low, high, count, procs if count >= PARALLEL_THRESHOLD else 1)
            connection.rollback()
        if len(ranges) > 1:
            segments = _build_in_processes(app, path, ranges, progress, worker_cpu)
        else:
            segments = []
            if count:
                builder = SegmentBuilder(path)
                with read_transaction(), engine.connect() as connection:
                    for document in documents.iter_opinion_documents(connection, low, high, end_transactions=True):
                        builder.add(document)
                        if progress is not None and builder.count % 1000 == 0:
                            progress(1000)
                if progress is not None and builder.count % 1000:
                    progress(builder.count % 1000)
                segments.append(builder.finish())
        builder = SegmentBuilder(path)
        for document in provision_docs:
            builder.add(document)
        segments.append(builder.finish())
        commit_segments(path, segments)
        store.write_meta(path, opinions=count, provisions=len(provision_docs), procs=len(ranges))
        store.publish(name)
    except BaseException as exc:
        shutil.rmtree(path, ignore_errors=True)
        store.write_status(state="error", error=f"rebuild failed: {type(exc).__name__}: {exc}",
                           **{k: v for k, v in (failures.fields() if failures else {}).items() if k != "error"})
        raise
    logger.info("search index rebuilt as %s: %d opinions, %d provision documents", name, count, len(provision_docs))
    for start in range(0, len(covered), 5000):
        with engine.begin() as connection:
            connection.execute(delete(_outbox).where(_outbox.c.id.in_(covered[start:start + 5000])))
    # Changes committed while the build read the database wait in the outbox.
    caught = _drain_locked(app, settings, max_batches=None)
    store.remove_old_generations()
    if caught.busy:
        store.write_status(state="busy", rebuilt=name, detail=caught.detail or "")
    elif caught.error:
        # The new index is live; what failed is the catch-up. A new incident, but one
        # that keeps the count of failed rebuilds, so the backoff does not start over.
        again = Failures(rebuilds=failures.rebuilds if failures else 0)
        again.failed(caught.error, caught.stuck_on, _now(), settings)
        caught.failures = again.count
        store.write_status(state="error", rebuilt=name, **again.fields())
    else:
        store.write_status(state="idle", rebuilt=name)
    return RebuildResult(name, count, len(provision_docs), time.perf_counter() - started, caught.processed,
                         time.process_time() - cpu_started + worker_cpu[0], catch_up=caught)


def _split_ranges(connection, low: int, high: int, count: int, parts: int) -> list[tuple[int, int]]:
    """``parts`` id ranges holding about the same number of opinions."""
    if parts <= 1 or count < parts:
        return [(low, high)]
    table = documents.Opinion.__table__
    bounds = [low]
    for k in range(1, parts):
        boundary = connection.execute(
            select(table.c.id).order_by(table.c.id).offset(k * count // parts).limit(1)
        ).scalar()
        bounds.append(boundary)
    ranges = []
    for k in range(parts):
        start = bounds[k]
        end = bounds[k + 1] - 1 if k + 1 < parts else high
        if end >= start:
            ranges.append((start, end))
    return ranges


def _build_in_processes(app, path: Path, ranges, progress, cpu_total: list | None = None) -> list:
    from participation.extensions import db

    url = db.engine.url.render_as_string(hide_password=False)
    options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    # A fresh interpreter per worker: forking a process that has threads and open
    # database connections is unsafe.
    context = multiprocessing.get_context("spawn")
    messages = context.Queue()
    workers = [
        context.Process(
            target=_build_worker,
            args=(url, options, str(path), start, end, app.instance_path, messages),
            name=f"search-rebuild-{k}",
        )
        for k, (start, end) in enumerate(ranges)
    ]
    for worker in workers:
        worker.start()
    segments = []
    finished = 0
    try:
        while finished < len(workers):
            try:
                kind, value = messages.get(timeout=1.0)
            except queue_module.Empty:
                dead = [w for w in workers if w.exitcode not in (None, 0)]
                if dead:
                    raise RuntimeError(f"rebuild worker {dead[0].name} failed (exit code {dead[0].exitcode})")
                continue
            if kind == "progress":
                if progress is not None:
                    progress(value)
            elif kind == "done":
                segment, cpu = value
                segments.append(segment)
                if cpu_total is not None:
                    cpu_total[0] += cpu
                finished += 1
            elif kind == "error":
                raise RuntimeError(f"rebuild worker failed: {value}")
    except BaseException:
        for worker in workers:
            if worker.is_alive():
                worker.terminate()
        raise
    finally:
        for worker in workers:
            worker.join(timeout=30)
    return segments


def _build_worker(url: str, options: dict, path: str, low: int, high: int, instance_path: str, messages) -> None:
    """One rebuild process: index the opinions with ids in [low, high] into a segment."""
    try:
        from sqlalchemy import create_engine

        analysis.configure(instance_path)
        analysis.warm()
        engine = create_engine(url, **options)
        builder = SegmentBuilder(path)
        step = 2000
        pending = 0
        with read_transaction(), engine.connect() as connection:
            for document in documents.iter_opinion_documents(connection, low, high, end_transactions=True):
                builder.add(document)
                pending += 1
                if pending == step:
                    messages.put(("progress", pending))
                    pending = 0
        if pending:
            messages.put(("progress", pending))
        segment = builder.finish()
        engine.dispose()
        messages.put(("done", (segment, time.process_time())))
    except BaseException as exc:  # report, then fail the process
        messages.put(("error", f"{type(exc).__name__}: {exc}"))
        raise


# --- the background thread and the worker loop ------------------------------------------------

class Indexer:
    """The drain loop: as a daemon thread of a web process (``start``), or in the
    foreground (``run``, for ``flask search worker``)."""

    def __init__(self, app, *, use_leader_lock: bool = True):
        self.app = app
        self.settings = Settings.from_app(app)
        self.use_leader_lock = use_leader_lock
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._leader = self.settings.leader_lock
        self.pid = os.getpid()
        self.cycles = 0
        self.last_result: DrainResult | None = None

    @property
    def is_leader(self) -> bool:
        return not self.use_leader_lock or self._leader.held

    def wake(self) -> None:
        self._wake.set()

    def start(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self.run, name="search-indexer", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)
        self._thread = None

    @property
    def is_running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def run(self) -> None:
        from search import tracking

        tracking.on_outbox_commit(self.wake)
        failures = 0
        try:
            analysis.warm()
            while not self._stop.is_set():
                if self.use_leader_lock and not self._leader.held:
                    try:
                        acquired = self._leader.acquire()
                    except OSError:
                        acquired = False
                    if not acquired:
                        self._stop.wait(self.settings.standby_seconds)
                        continue
                    logger.info("search indexer active in process %d", os.getpid())
                try:
                    result = drain(self.app)
                except Exception:  # keep the thread alive; the outbox keeps the work
                    logger.exception("search indexer cycle failed")
                    result = DrainResult(error="unexpected")
                finally:
                    self._dispose_session()
                self.cycles += 1
                self.last_result = result
                if result.ok:
                    failures = 0
                    delay = self.settings.poll_seconds
                    if result.processed:
                        continue  # more may be waiting
                else:
                    # drain() keeps the count that matters (status.json) and decides
                    # when to rebuild; this only spaces the cycles out meanwhile.
                    failures += 1
                    delay = min(self.settings.poll_seconds * (2 ** min(failures, 6)), 30.0)
                    if result.retry_in is not None:
                        delay = max(self.settings.poll_seconds, result.retry_in)
                self._wake.wait(delay)
                self._wake.clear()
        finally:
            tracking.remove_outbox_callback(self.wake)
            self._leader.release()

    def _dispose_session(self) -> None:
        try:
            from participation.extensions import db

            with self.app.app_context():
                db.session.remove()
        except Exception:
            pass


_indexers: dict[int, Indexer] = {}
_indexers_lock = threading.Lock()


def ensure_thread(app) -> Indexer:
    """Start this process's indexer thread for ``app`` (once per process: a forked
    worker starts its own)."""
    with _indexers_lock:
        indexer = _indexers.get(id(app))
        if indexer is None or indexer.pid != os.getpid():
            indexer = Indexer(app)
            _indexers[id(app)] = indexer
        indexer.start()
        return indexer


def stop_thread(app, timeout: float = 10.0) -> None:
    with _indexers_lock:
        indexer = _indexers.pop(id(app), None)
    if indexer is not None and indexer.pid == os.getpid():
        indexer.stop(timeout)


def _stop_all() -> None:
    for indexer in list(_indexers.values()):
        if indexer.pid == os.getpid():
            indexer.stop(timeout=5.0)


atexit.register(_stop_all)
