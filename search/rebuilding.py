"""Building a new generation of the index from the database.

Rebuilding
    A new generation is built beside the live one from the database (in parallel worker
    processes when asked: ``build_generation``), published by an atomic pointer swap,
    then brought up to date with the outbox rows written meanwhile (the writer lock kept
    them waiting). The swap, the outbox and the status are the writer's part
    (``search.indexer.rebuild``); this module reads the database and writes segments.
"""
from __future__ import annotations

import multiprocessing
import queue as queue_module
import time
from pathlib import Path

from sqlalchemy import select

from participation.database import connect, tune_engine

from search import analysis, documents
from search.backend import SegmentBuilder, commit_segments


def _engine():
    from participation.extensions import db

    return db.engine


def rebuild_size() -> tuple[int, int]:
    """(opinions, drafts) a rebuild will index, for a progress bar."""
    with connect(_engine(), write=False) as connection:
        _low, _high, count = documents.opinion_id_bounds(connection)
        drafts = len(documents.all_draft_ids(connection))
    return count, drafts


#: Below this many opinions a parallel rebuild is not worth starting processes for.
PARALLEL_THRESHOLD = 20_000



def build_generation(app, path: Path, *, procs: int, progress=None, cpu_total: list | None = None
                     ) -> tuple[int, int, int, int]:
    """Index every opinion, every draft's provisions and every proposal into the new
    generation at ``path`` and commit its segments (not yet published). Returns
    (opinions, provision documents, processes used, proposals); ``cpu_total[0]`` grows
    by the worker processes' CPU seconds."""
    engine = _engine()
    with connect(engine, write=False) as connection:
        provision_docs = []
        for draft_id in documents.all_draft_ids(connection):
            provision_docs.extend(documents.provision_documents(connection, draft_id))
        low, high, count = documents.opinion_id_bounds(connection)
        connection.rollback()
        ranges = _split_ranges(connection, low, high, count, procs if count >= PARALLEL_THRESHOLD else 1)
        connection.rollback()
    if len(ranges) > 1:
        segments = _build_in_processes(app, path, ranges, progress, cpu_total)
    else:
        segments = []
        if count:
            builder = SegmentBuilder(path)
            with connect(engine, write=False) as connection:
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
    proposals = 0
    with connect(engine, write=False) as connection:
        for document in documents.iter_proposal_documents(connection, end_transactions=True):
            builder.add(document)
            proposals += 1
    segments.append(builder.finish())
    commit_segments(path, segments)
    return count, len(provision_docs), len(ranges), proposals


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
        tune_engine(engine)  # as the app's: WAL, busy timeout, deferred reads
        builder = SegmentBuilder(path)
        step = 2000
        pending = 0
        with connect(engine, write=False) as connection:
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
