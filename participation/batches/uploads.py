"""Files on disk: the tables points upload, kept under INSTANCE_PATH/uploads/batches by
their SHA-256 (the uploaded file name is never part of a path), and the web's previews
(an upload previewed but not yet confirmed: a small JSON file beside the tables; a
database row would outlive the many that are never confirmed).

Keeping a file, whichever channel keeps it, also deletes what went stale: previews
older than BATCH_PENDING_UPLOAD_HOURS and tables that no batch and no live preview
refer to.
"""
from __future__ import annotations

import json
import os
import re
import secrets
import time
from dataclasses import asdict, dataclass
from datetime import date, datetime
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from participation.batches.checking import Activity
from participation.batches.reading import file_digest, read_upload
from participation.extensions import db
from participation.batches.vocabulary import OPINIONS
from participation.models import Batch, BatchSource, Draft, LiaisonPoint, PlanCall, User

_STORED_NAME = re.compile(r"[0-9a-f]{64}\.(?:xlsx|csv)")
_UPLOAD_ID = re.compile(r"[A-Za-z0-9_-]{20,40}")


def uploads_dir() -> Path:
    path = Path(current_app.config["INSTANCE_PATH"]) / "uploads" / "batches"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _pending_dir() -> Path:
    path = uploads_dir() / "pending"
    path.mkdir(exist_ok=True)
    return path


def keep_file(data: bytes, fmt: str) -> str:
    """Keep an uploaded table; returns its stored name ("<sha256>.<xlsx|csv>"). Purges
    stale uploads on the way."""
    name = f"{file_digest(data)}.{'xlsx' if fmt == BatchSource.XLSX.value else 'csv'}"
    target = uploads_dir() / name
    if target.exists():
        # Uploaded again: as young as this upload, or the purge below (or another
        # process's) would take it for a stale one and delete it under the new preview.
        os.utime(target)
    else:
        temporary = target.with_name(f".{secrets.token_hex(8)}.tmp")
        temporary.write_bytes(data)
        os.replace(temporary, target)
    purge_stale_uploads()
    return name


def read_file(name: str) -> bytes | None:
    """A kept table by its stored name; None when the name is not one or it is gone."""
    if not name or not _STORED_NAME.fullmatch(name):
        return None
    try:
        return (uploads_dir() / name).read_bytes()
    except OSError:
        return None


@dataclass
class PendingUpload:
    """An upload previewed but not yet confirmed."""

    id: str
    point_id: int
    draft_id: int | None
    user_id: int
    activity: dict
    filename: str
    stored_file: str
    created_at: str
    call_id: int | None = None  # a table of proposals for a call (draft_id is then None)

    def activity_value(self) -> Activity:
        data = dict(self.activity)
        data["date"] = date.fromisoformat(data["date"])
        return Activity(**data)

    def read(self) -> bytes | None:
        return read_file(self.stored_file)


def save_pending(*, point: LiaisonPoint, draft: Draft | None, user: User, activity: Activity, data: bytes,
                 filename: str, now: datetime, upload_id: str | None = None,
                 call: PlanCall | None = None) -> PendingUpload:
    """Read an uploaded table (raising BatchRejected when it cannot be read at all),
    keep it and record the preview; ``upload_id`` replaces that preview's table. The
    table is one of opinions for ``draft``, or of proposals for ``call``."""
    from participation.batches import proposal_rows

    upload = read_upload(data, filename, proposal_rows.LAYOUT if call is not None else OPINIONS)
    pending = PendingUpload(
        id=upload_id or secrets.token_urlsafe(18), point_id=point.id, draft_id=draft.id if draft else None,
        user_id=user.id, activity=activity.as_json(), filename=upload.filename,
        stored_file=keep_file(data, upload.format), created_at=now.isoformat(),
        call_id=call.id if call is not None else None,
    )
    target = _pending_dir() / f"{pending.id}.json"
    temporary = target.with_name(f".{secrets.token_hex(8)}.tmp")
    temporary.write_text(json.dumps(asdict(pending), ensure_ascii=False), encoding="utf-8")
    os.replace(temporary, target)
    return pending


def load_pending(upload_id: str) -> PendingUpload | None:
    if not upload_id or not _UPLOAD_ID.fullmatch(upload_id):
        return None
    try:
        data = json.loads((_pending_dir() / f"{upload_id}.json").read_text(encoding="utf-8"))
        return PendingUpload(**data)
    except (OSError, ValueError, TypeError):
        return None


def discard_pending(upload_id: str) -> None:
    if upload_id and _UPLOAD_ID.fullmatch(upload_id):
        try:
            (_pending_dir() / f"{upload_id}.json").unlink()
        except OSError:
            pass


def purge_stale_uploads() -> int:
    """Delete previews older than BATCH_PENDING_UPLOAD_HOURS and stored tables that no
    batch and no live preview refer to. Returns the number of files deleted. (Ages are
    the files' own, against the wall clock, not the application's clock.)"""
    cutoff = time.time() - current_app.config["BATCH_PENDING_UPLOAD_HOURS"] * 3600
    deleted = 0
    live: set[str] = set()
    for path in _pending_dir().glob("*.json"):
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
                deleted += 1
                continue
            live.add(json.loads(path.read_text(encoding="utf-8")).get("stored_file", ""))
        except (OSError, ValueError, AttributeError):
            continue
    candidates = []
    for path in uploads_dir().iterdir():
        try:
            if path.is_file() and _STORED_NAME.fullmatch(path.name) and path.name not in live \
                    and path.stat().st_mtime < cutoff:
                candidates.append(path)
        except OSError:
            continue
    names = [path.name for path in candidates]
    referenced: set[str] = set()
    for start in range(0, len(names), 500):
        referenced.update(db.session.scalars(select(Batch.stored_file).where(Batch.stored_file.in_(names[start:start + 500]))))
    for path in candidates:
        if path.name not in referenced:
            try:
                path.unlink()
                deleted += 1
            except OSError:
                pass
    return deleted
