"""Storing a checked batch and all its rows as opinions in the caller's transaction
(one INSERT of many rows), and finding the batch a repeated request stored before.

"Never twice": the same file (its SHA-256) for the same point and draft, or the same
API idempotency key, gives back the batch stored the first time. Unique constraints on
``liaison_batches`` decide, so two simultaneous uploads of one file store one batch.

Attribution: a batch's opinions belong to the liaison point (``liaison_point_id``), not
to whoever typed them in (``author_id`` is NULL; the batch records who entered it and
whether staff entered it on the point's behalf). Each row keeps the speaker's own
category, so the tally counts it under that category and "via liaison point X".
"""
from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import ARRAY, bindparam, func, insert, literal_column, select
from sqlalchemy.exc import IntegrityError

from participation.batches.checking import Activity
from participation.batches.rows import CleanRow
from participation.errors import IdempotencyKeyConflict
from participation.extensions import db
from participation.models import (
    Batch, Draft, LiaisonPoint, ModerationMode, ModerationState, Opinion, PlanCall, User,
)
from participation.receipts import receipt_codes


@dataclass
class SourceInfo:
    """Where a batch's rows came from, as the batch records it."""

    format: str            # BatchSource
    digest: str            # SHA-256 of the file, or of the JSON rows (``reading.json_digest``)
    encoding: str = ""
    filename: str = ""
    stored_file: str = ""  # the kept file's name (``uploads.keep_file``)


def _target_column(target):
    """The batch column naming ``target``: a draft (opinions) or a call (proposals)."""
    return Batch.plan_call_id if isinstance(target, PlanCall) else Batch.draft_id


def _targets(batch: Batch, target) -> bool:
    return (batch.plan_call_id if isinstance(target, PlanCall) else batch.draft_id) == target.id


def find_existing(point: LiaisonPoint, target: Draft | PlanCall, digest: str) -> Batch | None:
    return db.session.scalar(select(Batch).where(
        Batch.liaison_point_id == point.id, _target_column(target) == target.id, Batch.source_digest == digest))


def _by_idempotency_key(key: str) -> Batch | None:
    return db.session.scalar(select(Batch).where(Batch.idempotency_key == key))


def _replay_for_key(existing: Batch, point: LiaisonPoint, target: Draft | PlanCall, digest: str) -> Batch:
    """The batch stored under an idempotency key, when this request is the same one:
    the point, the draft or call and the file (or JSON rows, by their digest) define it.
    Another request under the same key is refused (422), never answered with the first batch."""
    if existing.liaison_point_id != point.id or not _targets(existing, target) or existing.source_digest != digest:
        message = _("这个 Idempotency-Key 已用于另一个批次（文件或内容不同）。重试时请原样发送第一次的请求，新的批次请换一个键。")
        raise IdempotencyKeyConflict(message, fields={"Idempotency-Key": [_("已用于内容不同的请求。")]})
    return existing


def stored_before(point: LiaisonPoint, target: Draft | PlanCall, digest: str,
                  idempotency_key: str | None) -> Batch | None:
    """The batch this request repeats: the one stored under the same idempotency key
    (refused when that was another request), else the same source for the same point
    and draft (or call); None for a new batch."""
    if idempotency_key is not None:
        existing = _by_idempotency_key(idempotency_key)
        if existing is not None:
            return _replay_for_key(existing, point, target, digest)
    return find_existing(point, target, digest)


def _add_batch(batch: Batch, point: LiaisonPoint, target, digest: str, idempotency_key: str | None):
    """Insert the batch row; (batch, True), or (the winner, False) when a simultaneous
    identical request stored it first."""
    try:
        # The unique constraints decide "never twice"; in a savepoint so that losing
        # the race leaves the transaction usable for reading the winner.
        with db.session.begin_nested():
            db.session.add(batch)
            db.session.flush()
    except IntegrityError:
        winner = stored_before(point, target, digest, idempotency_key)
        if winner is not None:
            return winner, False
        raise
    return batch, True


def _batch_row(point: LiaisonPoint, activity: Activity, count: int, represented: int, *, source: SourceInfo,
               entered_by: User, late_reason: str, now: datetime, idempotency_key: str | None, **target) -> Batch:
    return Batch(
        liaison_point_id=point.id, **target,
        activity_kind=activity.kind, activity_date=activity.date, activity_place=activity.place,
        participants=activity.participants, notes=activity.notes,
        entered_by_id=entered_by.id, is_entered_by_staff=bool(entered_by.is_staff), late_reason=late_reason,
        source_format=source.format, source_encoding=source.encoding, source_filename=source.filename[:255],
        source_digest=source.digest, stored_file=source.stored_file, idempotency_key=idempotency_key,
        row_count=count, represented_total=represented, created_at=now,
    )


def insert_proposal_batch(point: LiaisonPoint, call: PlanCall, activity: Activity, rows: list, *,
                          source: SourceInfo, entered_by: User, late_reason: str, now: datetime,
                          idempotency_key: str | None) -> tuple[Batch, bool]:
    """Insert a batch of proposals for ``call`` and its checked rows
    (``proposal_rows.CleanProposalRow``); returns (batch, created)."""
    from participation.batches import proposal_rows

    batch = _batch_row(point, activity, len(rows), sum(row.represented for row in rows), source=source,
                       entered_by=entered_by, late_reason=late_reason, now=now, idempotency_key=idempotency_key,
                       plan_call_id=call.id)
    batch, created = _add_batch(batch, point, call, source.digest, idempotency_key)
    if not created:
        return batch, False
    for attempt in range(3):
        try:
            with db.session.begin_nested():
                proposal_rows.insert_rows(batch, call, point.id, rows, now)
            break
        except IntegrityError:
            if attempt == 2:  # only a receipt code colliding can fail: draw them again
                raise
    db.session.flush()
    return batch, True


def insert_batch(
    point: LiaisonPoint, draft: Draft, version_id: int, activity: Activity, rows: list[CleanRow], *,
    source: SourceInfo, entered_by: User, late_reason: str, now: datetime, idempotency_key: str | None,
) -> tuple[Batch, bool]:
    """Insert the batch and its checked rows; returns (batch, created). Losing the race
    to a simultaneous identical request returns the winner's batch (created False)."""
    batch = _batch_row(point, activity, len(rows), sum(row.represented for row in rows), source=source,
                       entered_by=entered_by, late_reason=late_reason, now=now, idempotency_key=idempotency_key,
                       draft_id=draft.id, version_id=version_id)
    batch, created = _add_batch(batch, point, draft, source.digest, idempotency_key)
    if not created:
        return batch, False

    state = (ModerationState.PENDING if draft.moderation_mode == ModerationMode.PRE.value
             else ModerationState.PUBLISHED).value
    for attempt in range(3):
        values = _opinion_rows(batch, draft, version_id, point, rows, state, now)
        try:
            with db.session.begin_nested():
                _insert_opinions(values)
            break
        except IntegrityError:
            # Only a receipt code colliding with a stored one can fail here (60 random
            # bits each): draw them again.
            if attempt == 2:
                raise
    db.session.flush()
    return batch, True


_opinions = Opinion.__table__


def _insert_opinions(values: list[dict]) -> None:
    """Insert the rows as few statements as the database allows: PostgreSQL's tally
    trigger counts once per statement (from its transition table), so one statement per
    row would run it 10,000 times for 10,000 rows.

    * PostgreSQL: one ``INSERT … SELECT * FROM unnest(<one array per column>)``. The
      multi-row VALUES that SQLAlchemy builds for an executemany with RETURNING has
      26 placeholders a row, and psycopg parses such a statement in Python, uncached:
      that parse was more than half of storing a 10,000-row batch (bench_batches.py).
    * SQLite: an executemany of plain rows with RETURNING, which SQLAlchemy sends as
      multi-row INSERTs (the ORM's bulk path would split it wherever consecutive rows
      differ in which values are NULL; without RETURNING it goes row by row, slower)."""
    if db.session.get_bind().dialect.name != "postgresql":
        db.session.execute(insert(_opinions).returning(_opinions.c.id), values).all()
        return
    names = list(values[0])
    arrays = [bindparam(f"column_{name}", [row[name] for row in values], type_=ARRAY(_opinions.c[name].type))
              for name in names]
    rows = select(literal_column("*")).select_from(func.unnest(*arrays))
    db.session.execute(insert(_opinions).from_select(names, rows))


def _opinion_rows(batch: Batch, draft: Draft, version_id: int, point: LiaisonPoint, rows: list[CleanRow],
                  state: str, now: datetime) -> list[dict]:
    common = {
        "draft_id": draft.id, "version_id": version_id, "is_name_public": False, "contact": "", "author_id": None,
        "delegation": None, "liaison_point_id": point.id, "batch_id": batch.id, "moderation_state": state,
        "hidden_reason": "", "submission_token": None, "created_at": now, "channel": "batch",
    }
    point_id = point.id
    values = []
    for row, receipt in zip(rows, receipt_codes(len(rows))):
        values.append({
            **common, "provision_id": row.provision_id, "provision_key": row.provision_key, "stance": row.stance,
            "body": row.body, "proposed_text": row.proposed_text, "reason": row.reason, "category": row.category,
            "region": row.region, "submitter_name": row.name, "submitter_key": submitter_key(point_id, row.name, receipt),
            "represented_count": row.represented, "batch_row": row.row, "receipt_code": receipt,
        })
    return values


def submitter_key(point_id: int, name: str, receipt: str) -> str:
    """Who said it, for counting distinct submitters: a named speaker is the same
    person wherever the name recurs at the same point; an unnamed one is counted once
    per row. The name itself is not kept in the key."""
    if name:
        normalized = re.sub(r"\s+", "", unicodedata.normalize("NFKC", name)).casefold()
        return f"lp:{point_id}:n:{hashlib.sha256(normalized.encode('utf-8')).hexdigest()[:32]}"
    return f"lp:{point_id}:r:{receipt}"
