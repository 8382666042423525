"""Sheets checked but not yet confirmed: the uploaded file and a small JSON record,
under INSTANCE_PATH/uploads/dispositions, named by a random id (the uploaded file name
is never part of a path). A database row would outlive the many never confirmed; the
confirmation reads the file again, checks it again and applies it, then discards it.

Keeping a sheet also deletes those older than BATCH_PENDING_UPLOAD_HOURS.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import time
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

from flask import current_app

_UPLOAD_ID = re.compile(r"[A-Za-z0-9_-]{20,40}")


def _folder() -> Path:
    path = Path(current_app.config["INSTANCE_PATH"]) / "uploads" / "dispositions"
    path.mkdir(parents=True, exist_ok=True)
    return path


@dataclass
class PendingSheet:
    id: str
    draft_id: int
    user_id: int
    filename: str
    digest: str
    created_at: str

    def read(self) -> bytes | None:
        """The file as uploaded; None when it is gone or not the one checked."""
        try:
            data = (_folder() / f"{self.id}.data").read_bytes()
        except OSError:
            return None
        return data if hashlib.sha256(data).hexdigest() == self.digest else None


def _write(target: Path, data: bytes) -> None:
    temporary = target.with_name(f".{secrets.token_hex(8)}.tmp")
    temporary.write_bytes(data)
    os.replace(temporary, target)


def save_pending(*, data: bytes, filename: str, draft_id: int, user_id: int, now: datetime) -> PendingSheet:
    purge_stale()
    pending = PendingSheet(id=secrets.token_urlsafe(18), draft_id=draft_id, user_id=user_id, filename=filename,
                           digest=hashlib.sha256(data).hexdigest(), created_at=now.isoformat())
    folder = _folder()
    _write(folder / f"{pending.id}.data", data)
    _write(folder / f"{pending.id}.json", json.dumps(asdict(pending), ensure_ascii=False).encode("utf-8"))
    return pending


def load_pending(upload_id: str) -> PendingSheet | None:
    if not upload_id or not _UPLOAD_ID.fullmatch(upload_id):
        return None
    try:
        return PendingSheet(**json.loads((_folder() / f"{upload_id}.json").read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        return None


def discard_pending(upload_id: str) -> None:
    if upload_id and _UPLOAD_ID.fullmatch(upload_id):
        for suffix in (".json", ".data"):
            try:
                (_folder() / f"{upload_id}{suffix}").unlink()
            except OSError:
                pass


def purge_stale() -> int:
    """Delete sheets kept longer than BATCH_PENDING_UPLOAD_HOURS (by the files' own ages,
    against the wall clock). Returns the number of files deleted."""
    cutoff = time.time() - current_app.config["BATCH_PENDING_UPLOAD_HOURS"] * 3600
    deleted = 0
    for path in _folder().iterdir():
        try:
            if path.is_file() and path.stat().st_mtime < cutoff:
                path.unlink()
                deleted += 1
        except OSError:
            continue
    return deleted
