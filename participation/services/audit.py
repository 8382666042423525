"""操作记录: the one function every service calls when staff or an admin change an opinion,
a draft, an account or a liaison point. Rows are only ever inserted (models.audit)."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from participation import clock
from participation.extensions import db
from participation.models import AuditEntry


def _plain(value: Any) -> Any:
    """JSON-safe copy: datetimes as ISO text, enums as their values."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_plain(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    return getattr(value, "value", value)


def changes(before: dict, after: dict) -> tuple[dict, dict]:
    """(old, new) restricted to the keys whose value changed."""
    keys = [key for key in after if before.get(key) != after.get(key)]
    return {key: before.get(key) for key in keys}, {key: after[key] for key in keys}


def record(action: str, *, actor, object_type: str, object_id: int | None, now: datetime,
           old: dict | None = None, new: dict | None = None, selection: dict | None = None,
           count: int | None = None, draft_id: int | None = None, idempotency_key: str | None = None) -> AuditEntry:
    """Add one entry (flushed: a unique ``idempotency_key`` clash shows at once)."""
    entry = AuditEntry(
        created_at=now, actor_id=getattr(actor, "id", None), action=action, object_type=object_type,
        object_id=object_id, draft_id=draft_id, old=_plain(old) if old is not None else None,
        new=_plain(new) if new is not None else None, selection=_plain(selection) if selection is not None else None,
        count=count, idempotency_key=idempotency_key,
    )
    db.session.add(entry)
    db.session.flush()
    return entry


def find_by_idempotency_key(key: str) -> AuditEntry | None:
    return db.session.scalar(select(AuditEntry).where(AuditEntry.idempotency_key == key))


def snapshot(obj, fields: tuple[str, ...]) -> dict:
    """The values of ``fields`` on ``obj`` (JSON-safe), taken before and after a change."""
    return {field: _plain(getattr(obj, field)) for field in fields}


def record_change(action: str, *, actor, object_type: str, object_id: int | None, before: dict, after: dict,
                  now: datetime | None = None, draft_id: int | None = None) -> AuditEntry | None:
    """Record only what changed between two snapshots; nothing when nothing changed (a
    form saved without edits leaves no entry). ``now`` defaults to the server clock for
    services whose callers do not pass one."""
    old, new = changes(_plain(before), _plain(after))
    if not new:
        return None
    return record(action, actor=actor, object_type=object_type, object_id=object_id, old=old, new=new,
                  draft_id=draft_id, now=now or clock.now())


def record_event(action: str, *, actor, object_type: str, object_id: int | None, now: datetime | None = None,
                 new: dict | None = None, old: dict | None = None, draft_id: int | None = None) -> AuditEntry:
    """Record an action that is not a field edit (a password set, a token issued, an
    unlock, a deletion): ``new`` and ``old`` carry what identifies it, never a secret."""
    return record(action, actor=actor, object_type=object_type, object_id=object_id, old=old, new=new,
                  draft_id=draft_id, now=now or clock.now())
