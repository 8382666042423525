"""The index on disk, and the small interface the rest of the package uses to change it.

Layout of ``SEARCH_INDEX_PATH`` (default ``INSTANCE_PATH/search``)::

    CURRENT                     name of the live generation (replaced atomically)
    index-20270101T120000-ab12/ a Whoosh index, with meta.json (schema id, counts)
    index-20270102T…/           the previous generation, kept a while for old readers
    status.json                 what the indexer last did (informative)

A rebuild writes a new generation beside the live one and then points ``CURRENT`` at
it: readers keep using the old generation until their next search, so search never
goes offline. Opening and checking the files is here; changing an index is
``writing``, searching it ``reading``.
"""
from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from whoosh import index as whoosh_index

from search.backend.whoosh.schema import build_schema, schema_id

POINTER_FILE = "CURRENT"
META_FILE = "meta.json"
STATUS_FILE = "status.json"
GENERATION_PREFIX = "index-"


class IndexUnavailable(Exception):
    """The live index cannot be used. ``reason``: missing, corrupt."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


class WriterBusy(Exception):
    """Another writer holds Whoosh's lock on the index."""


#: A table of contents Whoosh was writing when its process died: Whoosh writes
#: ``_MAIN_<gen>.toc.<time>`` and renames it, and never removes one left behind.
_TOC_TEMP = re.compile(r"^_(?P<index>.+)_[0-9]+\.toc\..+$")


def _utc_stamp() -> str:
    return datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S")


def _write_atomically(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    with open(temporary, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


@dataclass
class OpenIndex:
    name: str
    path: Path
    index: object          # whoosh.index.FileIndex
    meta: dict

    @property
    def is_stale(self) -> bool:
        """Built with another schema or analyzer: usable, but due for a rebuild."""
        return self.meta.get("schema") != schema_id()

    def document_count(self) -> int:
        with self.index.searcher() as searcher:
            return searcher.doc_count()


class IndexStore:
    """The folder holding the index generations."""

    def __init__(self, base: str | os.PathLike):
        self.base = Path(base)

    # --- generations -------------------------------------------------------------

    def current_name(self) -> str | None:
        try:
            name = (self.base / POINTER_FILE).read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise IndexUnavailable("corrupt", f"cannot read {POINTER_FILE}: {exc}") from exc
        if not name.startswith(GENERATION_PREFIX) or "/" in name or "\\" in name or name.startswith("."):
            raise IndexUnavailable("corrupt", f"{POINTER_FILE} names {name!r}")
        return name

    def open(self) -> OpenIndex:
        """The live generation; IndexUnavailable when there is none or it is damaged."""
        name = self.current_name()
        if name is None:
            raise IndexUnavailable("missing", "no index has been built yet")
        path = self.base / name
        if not path.is_dir():
            raise IndexUnavailable("missing", f"{path} does not exist")
        try:
            meta = json.loads((path / META_FILE).read_text(encoding="utf-8"))
            if not isinstance(meta, dict):
                raise ValueError("meta.json is not an object")
        except (OSError, ValueError) as exc:
            raise IndexUnavailable("corrupt", f"unreadable {META_FILE}: {exc}") from exc
        try:
            ix = whoosh_index.open_dir(str(path))
        except Exception as exc:  # Whoosh raises many kinds for a damaged TOC
            raise IndexUnavailable("corrupt", f"{type(exc).__name__}: {exc}") from exc
        return OpenIndex(name, path, ix, meta)

    def create_generation(self) -> tuple[str, Path, object]:
        """A new, empty generation beside the live one (not live yet)."""
        self.base.mkdir(parents=True, exist_ok=True)
        name = f"{GENERATION_PREFIX}{_utc_stamp()}-{secrets.token_hex(3)}"
        path = self.base / name
        path.mkdir()
        ix = whoosh_index.create_in(str(path), build_schema())
        return name, path, ix

    def write_meta(self, path: Path, **values) -> None:
        meta = {"schema": schema_id(), "built_at": datetime.now(timezone.utc).isoformat(), **values}
        _write_atomically(path / META_FILE, json.dumps(meta, ensure_ascii=False, indent=1))

    def publish(self, name: str) -> None:
        """Make generation ``name`` the live one (an atomic rename)."""
        _write_atomically(self.base / POINTER_FILE, name + "\n")

    def remove_old_generations(self, *, keep: int = 2, grace_seconds: float = 60.0) -> list[str]:
        """Delete generations other than the live one and the ``keep - 1`` newest
        others; only those untouched for ``grace_seconds`` (a rebuild in progress
        writes into its own)."""
        try:
            live = self.current_name()
        except IndexUnavailable:
            live = None
        candidates = sorted(
            (p for p in self.base.glob(GENERATION_PREFIX + "*") if p.is_dir() and p.name != live),
            key=lambda p: p.name, reverse=True,
        )
        removed = []
        now = time.time()
        for path in candidates[max(keep - 1, 0):]:
            try:
                if now - path.stat().st_mtime < grace_seconds:
                    continue
                shutil.rmtree(path)
                removed.append(path.name)
            except OSError:
                continue
        return removed

    # --- status ------------------------------------------------------------------

    def write_status(self, **values) -> None:
        """Best effort: the status file is informative, never required."""
        try:
            self.base.mkdir(parents=True, exist_ok=True)
            values.setdefault("pid", os.getpid())
            values.setdefault("at", datetime.now(timezone.utc).isoformat())
            _write_atomically(self.base / STATUS_FILE, json.dumps(values, ensure_ascii=False))
        except OSError:
            pass

    def read_status(self) -> dict:
        try:
            status = json.loads((self.base / STATUS_FILE).read_text(encoding="utf-8"))
            return status if isinstance(status, dict) else {}
        except (OSError, ValueError):
            return {}


# --- checking ---------------------------------------------------------------------------

@dataclass
class FileCheck:
    """What ``check_files`` found: ``problems`` make the index unusable (rebuild it);
    ``leftovers`` are files no table of contents names (an interrupted commit's)."""

    problems: list
    leftovers: list


def check_files(opened: OpenIndex) -> FileCheck:
    """Check the live generation's files against its table of contents, cheaply.

    Whoosh commits by writing the new segments' files, then a new table of contents
    (a temporary file renamed into place), then deleting the files no longer named.
    Killed in the middle, it leaves either the old TOC with new segment files beside
    it, or the new TOC with the merged-away segments still there; both are usable
    indexes with leftovers. A crash of the machine (Whoosh does not fsync) or a damaged
    disk can leave what no crash of a process does: a TOC naming a segment file that
    is missing, empty or cut short. Every segment here is a compound file whose
    directory is written last, at its end, so a truncated file shows when its
    directory is read, and a sub-file reaching past the directory is caught by the
    bounds check.

    Cost: one directory listing, one ``stat`` and one small read per segment (the
    compound directory, which opening a searcher reads anyway). Cheap enough for every
    drain cycle, which is why there is no separate "deep" check: what this cannot see
    (bytes damaged in place, with the sizes intact; Whoosh keeps no checksums) would
    need every posting read, and shows instead as a failing drain, which the indexer
    counts and heals by rebuilding (``search.indexer``)."""
    from whoosh.filedb.compound import CompoundStorage

    ix = opened.index
    storage = ix.storage
    indexname = ix.indexname
    problems: list[str] = []
    try:
        names = set(storage.list())
        toc = ix._read_toc()
    except Exception as exc:
        return FileCheck([f"cannot read the table of contents: {type(exc).__name__}: {exc}"], [])
    segments = list(toc.segments)
    for segment in segments:
        segid = segment.segment_id()
        if not segment.is_compound():
            own = [name for name in names if name.startswith(segid + ".")]
            try:
                empty = any(storage.file_length(name) == 0 for name in own)
            except OSError:
                empty = True
            if not own:
                problems.append(f"segment {segid}: no files")
            elif empty:
                problems.append(f"segment {segid}: an empty or vanished file")
            continue
        name = segment.make_filename(segment.COMPOUND_EXT)
        if name not in names:
            problems.append(f"segment {segid}: file missing")
            continue
        try:
            compound = CompoundStorage(storage.open_file(name), use_mmap=False)
        except Exception as exc:
            problems.append(f"segment {segid}: unreadable ({type(exc).__name__}: {exc})")
            continue
        try:
            directory = compound._dir
            end = compound._diroffset
            if not directory:
                problems.append(f"segment {segid}: empty compound file")
            for part, entry in directory.items():
                if entry["offset"] < 0 or entry["offset"] + entry["length"] > end:
                    problems.append(f"segment {segid}: {part} cut short")
                    break
        finally:
            compound.close()
    current = {segment.segment_id() for segment in segments}
    toc_pattern = whoosh_index.TOC._pattern(indexname)
    segment_pattern = whoosh_index.TOC._segment_pattern(indexname)
    leftovers = []
    for name in sorted(names):
        toc_match = toc_pattern.match(name)
        segment_match = segment_pattern.match(name)
        if toc_match:
            if int(toc_match.group(1)) != toc.generation:
                leftovers.append(name)
        elif segment_match:
            if segment_match.group(1) not in current:
                leftovers.append(name)
        elif _TOC_TEMP.match(name) and name.startswith(f"_{indexname}_"):
            leftovers.append(name)
    return FileCheck(problems, leftovers)


def remove_leftovers(opened: OpenIndex, names: list) -> list:
    """Delete files of an interrupted commit (see ``check_files``). Only while no
    Whoosh writer is open on the index: a writer's new segment is not in the table of
    contents until it commits. Returns the names removed."""
    storage = opened.index.storage
    lock = storage.lock(opened.index.indexname + "_WRITELOCK")
    try:
        if not lock.acquire(blocking=False):
            return []
    except OSError:
        return []  # an unwritable directory: nothing could be deleted anyway
    removed = []
    try:
        for name in names:
            try:
                storage.delete_file(name)
                removed.append(name)
            except OSError:
                pass  # tried again at the next cycle; Whoosh's next commit removes most too
    finally:
        lock.release()
    return removed


def check_readable(opened: OpenIndex) -> None:
    """Open every segment once: a missing or truncated segment file shows here (as
    IndexUnavailable("corrupt")), not in the middle of a write."""
    try:
        opened.document_count()
    except Exception as exc:
        raise IndexUnavailable("corrupt", f"{type(exc).__name__}: {exc}") from exc
