"""处理情况: staff record what became of an opinion, one at a time or for a whole
selection in one statement. Every channel (the opinion page, the bulk form, the
spreadsheet round trip, the API) calls these functions; each change is audited."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import Select, bindparam, func, select, update

from participation.errors import ValidationFailed
from participation.extensions import db
from participation.models import DISPOSITIONS_NEEDING_REASON, Disposition, Draft, Opinion, User
from participation.services import audit, notifications
from participation.text import clean_text

MAX_DISPOSITION_REASON_LENGTH = 2000
MAX_DISPOSITION_NOTE_LENGTH = 2000
DISPOSITION_VALUES = tuple(d.value for d in Disposition)


@dataclass(frozen=True)
class DispositionInput:
    disposition: str
    reason: str = ""
    note: str = ""


def check(data: DispositionInput) -> DispositionInput:
    """The cleaned input, or ValidationFailed naming the fields at fault: a known
    disposition; a reason for 未采纳 and 部分采纳; lengths."""
    errors: dict[str, list[str]] = {}
    disposition = (data.disposition or "").strip()
    if disposition not in DISPOSITION_VALUES:
        errors["disposition"] = [_("请选择处理情况。")]
    reason = clean_text(data.reason or "", multiline=True)
    note = clean_text(data.note or "", multiline=True)
    if disposition in DISPOSITIONS_NEEDING_REASON and not reason:
        errors["reason"] = [_("“未采纳”和“部分采纳”须填写处理理由。")]
    if len(reason) > MAX_DISPOSITION_REASON_LENGTH:
        errors.setdefault("reason", []).append(_("不能超过 %(limit)d 个字。", limit=MAX_DISPOSITION_REASON_LENGTH))
    if len(note) > MAX_DISPOSITION_NOTE_LENGTH:
        errors["note"] = [_("不能超过 %(limit)d 个字。", limit=MAX_DISPOSITION_NOTE_LENGTH)]
    if errors:
        raise ValidationFailed(next(iter(errors.values()))[0], fields=errors)
    return DispositionInput(disposition, reason, note)


def _state(opinion: Opinion) -> dict:
    return {"disposition": opinion.disposition, "reason": opinion.disposition_reason,
            "note": opinion.disposition_note}


def record_disposition(opinion: Opinion, data: DispositionInput, *, by: User, now: datetime) -> bool:
    """Record one opinion's disposition. False (and nothing written) when it is already
    exactly that."""
    data = check(data)
    before = _state(opinion)
    after = {"disposition": data.disposition, "reason": data.reason, "note": data.note}
    if before == after:
        return False
    opinion.disposition = data.disposition
    opinion.disposition_reason = data.reason
    opinion.disposition_note = data.note
    opinion.disposed_at = None if data.disposition == Disposition.PENDING.value else now
    opinion.disposed_by_id = by.id
    old, new = audit.changes(before, after)
    audit.record("opinion.dispose", actor=by, object_type="opinion", object_id=opinion.id, old=old, new=new,
                 draft_id=opinion.draft_id, now=now)
    db.session.flush()
    if opinion.batch_id is not None:
        notifications.notify_disposed_batches(opinion.draft_id, now=now)
    return True


@dataclass(frozen=True)
class BulkResult:
    updated: int
    selected: int
    audit_id: int
    repeated: bool = False


def dispose_selection(draft: Draft, opinion_ids: Select, data: DispositionInput, *, by: User, now: datetime,
                      selection: dict, idempotency_key: str | None = None, keep_note: bool = True) -> BulkResult:
    """Give every opinion of ``draft`` that ``opinion_ids`` (a SELECT of Opinion.id)
    yields the same disposition and reason, in one UPDATE. Opinions that already have
    exactly that are left alone (so a repeat changes nothing). ``selection`` describes
    what was selected (the filter or the ticked ids) for the audit log, which gets one
    entry with the count. With ``keep_note`` each opinion keeps its internal note.

    ``idempotency_key``: a repeat of the same call finds the first one's entry and
    changes nothing."""
    data = check(data)
    if idempotency_key:
        earlier = audit.find_by_idempotency_key(idempotency_key)
        if earlier is not None:
            return BulkResult(updated=earlier.count or 0, selected=(earlier.new or {}).get("selected", 0),
                              audit_id=earlier.id, repeated=True)
    in_draft = (Opinion.draft_id == draft.id, Opinion.id.in_(opinion_ids))
    selected = db.session.scalar(select(func.count()).select_from(Opinion).where(*in_draft)) or 0
    values = {"disposition": data.disposition, "disposition_reason": data.reason,
              "disposed_at": None if data.disposition == Disposition.PENDING.value else now,
              "disposed_by_id": by.id}
    if not keep_note:
        values["disposition_note"] = data.note
    unchanged = (Opinion.disposition == data.disposition) & (Opinion.disposition_reason == data.reason)
    result = db.session.execute(
        update(Opinion).where(*in_draft, ~unchanged).values(**values).execution_options(synchronize_session=False))
    updated = result.rowcount or 0
    entry = audit.record(
        "opinion.dispose_bulk", actor=by, object_type="draft", object_id=draft.id, draft_id=draft.id, now=now,
        new={"disposition": data.disposition, "reason": data.reason, "selected": selected},
        selection=selection, count=updated, idempotency_key=idempotency_key,
    )
    if updated:
        notifications.notify_disposed_batches(draft.id, now=now)
    return BulkResult(updated=updated, selected=selected, audit_id=entry.id)


@dataclass(frozen=True)
class OpinionChange:
    """One opinion's new disposition, reason and note (input already ``check``ed)."""

    opinion_id: int
    data: DispositionInput


def apply_changes(draft: Draft, changes: list[OpinionChange], *, by: User, now: datetime, selection: dict,
                  action: str = "opinion.dispose_sheet", idempotency_key: str | None = None) -> BulkResult:
    """Give each opinion of ``draft`` named in ``changes`` its own disposition, reason
    and note (the spreadsheet round trip), in one statement executed for all rows;
    opinions already exactly so, and opinions of other drafts, are left alone. The audit
    log gets one entry with ``selection`` and the count, and none when nothing changed.

    Core UPDATE: opinions already loaded in the session keep their old attributes until
    the caller's commit expires them. ``idempotency_key``: a repeat of the same call
    finds the first one's entry and changes nothing."""
    if idempotency_key:
        earlier = audit.find_by_idempotency_key(idempotency_key)
        if earlier is not None:
            return BulkResult(updated=earlier.count or 0, selected=(earlier.new or {}).get("selected", 0),
                              audit_id=earlier.id, repeated=True)
    if not changes:
        return BulkResult(updated=0, selected=0, audit_id=0)
    table = Opinion.__table__
    same = ((table.c.disposition == bindparam("b_disposition")) & (table.c.disposition_reason == bindparam("b_reason"))
            & (table.c.disposition_note == bindparam("b_note")))
    statement = (
        update(table)
        .where(table.c.id == bindparam("b_id"), table.c.draft_id == draft.id, ~same)
        .values(disposition=bindparam("b_disposition"), disposition_reason=bindparam("b_reason"),
                disposition_note=bindparam("b_note"), disposed_at=bindparam("b_at", type_=table.c.disposed_at.type),
                disposed_by_id=by.id)
    )
    pending = Disposition.PENDING.value
    rows = [{"b_id": change.opinion_id, "b_disposition": change.data.disposition, "b_reason": change.data.reason,
             "b_note": change.data.note, "b_at": None if change.data.disposition == pending else now}
            for change in changes]
    db.session.flush()
    result = db.session.connection().execute(statement, rows)
    updated = result.rowcount if result.rowcount is not None and result.rowcount >= 0 else len(rows)
    if not updated:
        return BulkResult(updated=0, selected=len(rows), audit_id=0)
    entry = audit.record(action, actor=by, object_type="draft", object_id=draft.id, draft_id=draft.id, now=now,
                         new={"selected": len(rows)}, selection=selection, count=updated,
                         idempotency_key=idempotency_key)
    notifications.notify_disposed_batches(draft.id, now=now)
    return BulkResult(updated=updated, selected=len(rows), audit_id=entry.id)
