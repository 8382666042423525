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
    (and Whoosh's half-written files, ignored and cleaned up later).

Recovering
    A missing or damaged index, or one built with another schema or analyzer, is
    rebuilt by the next drain. A locked or unwritable index leaves the outbox as it is;
    the next cycle tries again.

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
import shutil
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import delete, func, select

from participation.database import read_transaction

from search import analysis, documents
from search.engine import IndexStore, IndexUnavailable, SegmentBuilder, Writer, WriterBusy, commit_segments
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
        low, high, _count = documents.opinion_id_bounds(connection)
        for document in documents.iter_opinion_documents(connection, changes.opinions_after + 1, high):
            writer.upsert(document)


# --- draining ---------------------------------------------------------------------------

@dataclass
class DrainResult:
    processed: int = 0
    busy: bool = False
    rebuilt: bool = False
    error: str | None = None

    @property
    def ok(self) -> bool:
        return not self.busy and self.error is None


def drain(app, *, max_batches: int | None = None, rebuild_if_needed: bool = True,
          lock_timeout: float = 0.0) -> DrainResult:
    """Apply waiting outbox rows to the index; rebuild first when the index is
    missing, damaged or out of date. Never raises for the fault cases: returns what
    happened (``busy`` when another writer holds a lock, ``error`` otherwise), and the
    outbox keeps every row that was not applied."""
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
            return _drain_locked(app, settings, max_batches=max_batches, rebuild_if_needed=rebuild_if_needed)
    finally:
        lock.release()


def _drain_locked(app, settings: Settings, *, max_batches: int | None, rebuild_if_needed: bool) -> DrainResult:
    store = settings.store
    try:
        opened = store.open()
        _check_readable(opened)
        if opened.is_stale:
            raise IndexUnavailable("stale", f"built with {opened.meta.get('schema')!r}")
    except IndexUnavailable as exc:
        if not rebuild_if_needed:
            return DrainResult(error=exc.reason)
        logger.warning("search index %s (%s): rebuilding from the database", exc.reason, exc.detail)
        try:
            result = _rebuild_locked(app, settings, procs=1)
        except Exception as rebuild_error:  # the outbox keeps everything; try again later
            logger.exception("search index rebuild failed")
            store.write_status(state="error", error=f"rebuild failed: {rebuild_error}")
            return DrainResult(error=f"rebuild: {rebuild_error}")
        return DrainResult(processed=result.caught_up, rebuilt=True)
    result = DrainResult()
    engine = _engine()
    batches = 0
    try:
        while max_batches is None or batches < max_batches:
            with read_transaction(), engine.connect() as connection:
                batch = _read_batch(connection, settings.batch_size)
                if not batch:
                    break
                changes = _load_changes(connection, batch)
                if changes.everything:
                    connection.rollback()
                    rebuilt = _rebuild_locked(app, settings, procs=1)
                    result.processed += rebuilt.caught_up + len(batch)
                    result.rebuilt = True
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
            batches += 1
    except WriterBusy as exc:
        logger.info("search index is locked by another writer: %s", exc)
        store.write_status(state="busy", error=str(exc))
        result.busy = True
        return result
    except OSError as exc:
        logger.warning("search index cannot be written: %s", exc)
        store.write_status(state="error", error=f"{type(exc).__name__}: {exc}")
        result.error = f"unwritable: {exc}"
        return result
    except Exception as exc:  # a damaged segment, say: the next cycle's check decides
        logger.exception("search indexer could not apply a batch")
        store.write_status(state="error", error=f"{type(exc).__name__}: {exc}")
        result.error = f"{type(exc).__name__}: {exc}"
        return result
    if result.processed:
        store.write_status(state="idle", processed=result.processed)
    return result


def _check_readable(opened) -> None:
    """Open every segment once: a missing or truncated segment file shows here, not in
    the middle of a write."""
    try:
        with opened.index.searcher() as searcher:
            searcher.doc_count()
    except Exception as exc:
        raise IndexUnavailable("corrupt", f"{type(exc).__name__}: {exc}") from exc


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


def _rebuild_locked(app, settings: Settings, *, procs: int, progress=None) -> RebuildResult:
    started = time.perf_counter()
    cpu_started = time.process_time()
    worker_cpu = [0.0]
    store = settings.store
    store.write_status(state="rebuilding")
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
    except BaseException:
        shutil.rmtree(path, ignore_errors=True)
        store.write_status(state="error", error="rebuild failed")
        raise
    logger.info("search index rebuilt as %s: %d opinions, %d provision documents", name, count, len(provision_docs))
    for start in range(0, len(covered), 5000):
        with engine.begin() as connection:
            connection.execute(delete(_outbox).where(_outbox.c.id.in_(covered[start:start + 5000])))
    # Changes committed while the build read the database wait in the outbox.
    caught_up = _drain_locked(app, settings, max_batches=None, rebuild_if_needed=False).processed
    store.remove_old_generations()
    store.write_status(state="idle", rebuilt=name)
    return RebuildResult(name, count, len(provision_docs), time.perf_counter() - started, caught_up,
                         time.process_time() - cpu_started + worker_cpu[0])


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
                    failures += 1
                    delay = min(self.settings.poll_seconds * (2 ** min(failures, 6)), 30.0)
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
