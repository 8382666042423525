"""The settings every writer of the index reads (``Settings.from_app``) and its lock files.

Who writes
    Every write (a drain cycle, a rebuild) holds ``INSTANCE_PATH/search-writer.lock``,
    an ``flock`` lock, so there is one writer at a time across processes: the
    background thread of each web process, ``flask search worker`` and ``flask search
    rebuild`` take turns. In the embedded set-up (``SEARCH_INDEXER=thread``) every web
    process starts a thread, and only the one holding ``search-leader.lock`` works; the
    others stand by and take over if its process dies. A killed writer's locks go with
    its process.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from search.backend import IndexStore
from search.locks import FileLock

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
