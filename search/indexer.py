"""The single writer of the index: drain the outbox, rebuild, recover.

Who writes: ``search.settings`` (one writer at a time, by the writer lock).

Draining
    Read a batch of outbox rows and the current database state of what they name, apply
    it to the index (replace by document id, delete what is gone), commit the index,
    then delete exactly those rows. A crash between the index commit and the delete
    replays the batch, which changes nothing; a crash before the commit leaves the rows
    (and the engine's half-written files, which the next cycle removes: ``check_files``).

Recovering
    Every cycle first checks the live generation's files against its table of contents
    (``search.backend.check_files``). A missing or damaged index, or one built with
    another schema or analyzer, is rebuilt at once. Other failures are counted and
    healed by a rebuild on a schedule (``search.healing``); ``search.healthcheck`` turns
    the outcome into ``/readyz`` and ``flask search status``.

Rebuilding
    ``rebuild``: a new generation built beside the live one (``search.rebuilding``),
    published by an atomic pointer swap, then brought up to date with the outbox rows
    written meanwhile. Draining and rebuilding call each other (an "everything" row
    rebuilds; a rebuild ends with a drain), so both stay here.
"""
from __future__ import annotations

import atexit
import logging
import os
import shutil
import threading
import time
from dataclasses import dataclass

from sqlalchemy import delete, func, select

from participation.database import connect

from search import analysis, healing, rebuilding
from search.backend import (
    IndexUnavailable,
    Writer,
    WriterBusy,
    check_files,
    check_readable,
    remove_leftovers,
)
from search.healing import Failures
from search.changes import apply_changes as _apply, load_changes as _load_changes
from search.models import SearchOutboxEntry
from search.settings import Settings

logger = logging.getLogger("search.indexer")

_outbox = SearchOutboxEntry.__table__


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

    with connect(_engine(), write=False) as connection:
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


def _read_batch(connection, size: int) -> list[tuple[int, str, int]]:
    rows = connection.execute(
        select(_outbox.c.id, _outbox.c.entity, _outbox.c.entity_id).order_by(_outbox.c.id).limit(size)
    ).all()
    return [(row.id, row.entity, row.entity_id) for row in rows]


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
        failures.failed(result.error, result.stuck_on, healing._now(), settings)
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
    now = healing._now()
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
            with connect(engine, write=False) as connection:
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
            with connect(engine, write=True) as connection, connection.begin():
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
    proposals: int = 0


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
    with connect(engine, write=False) as connection:
        covered = list(connection.execute(select(_outbox.c.id)).scalars())
    name, path, ix = store.create_generation()
    try:
        count, provisions, parts, proposals = rebuilding.build_generation(app, path, procs=procs, progress=progress,
                                                                         cpu_total=worker_cpu)
        store.write_meta(path, opinions=count, provisions=provisions, proposals=proposals, procs=parts)
        store.publish(name)
    except BaseException as exc:
        shutil.rmtree(path, ignore_errors=True)
        store.write_status(state="error", error=f"rebuild failed: {type(exc).__name__}: {exc}",
                           **{k: v for k, v in (failures.fields() if failures else {}).items() if k != "error"})
        raise
    logger.info("search index rebuilt as %s: %d opinions, %d provision documents, %d proposals", name, count,
                provisions, proposals)
    for start in range(0, len(covered), 5000):
        with connect(engine, write=True) as connection, connection.begin():
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
        again.failed(caught.error, caught.stuck_on, healing._now(), settings)
        caught.failures = again.count
        store.write_status(state="error", rebuilt=name, **again.fields())
    else:
        store.write_status(state="idle", rebuilt=name)
    return RebuildResult(name, count, provisions, time.perf_counter() - started, caught.processed,
                         time.process_time() - cpu_started + worker_cpu[0], catch_up=caught, proposals=proposals)


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
