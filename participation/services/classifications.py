"""处理情况 of proposals: staff classify each proposal with a reason (列入正式项目 …
不予列入), one at a time or a whole selection, and merge duplicates into a group
(合并处理). Recorded and audited exactly as opinion dispositions are
(``services.dispositions``); every channel (pages, API, demo) calls these."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select

from participation.errors import ValidationFailed
from participation.extensions import db
from participation.models import (
    CLASSIFICATIONS_NEEDING_REASON, Classification, PlanCall, Proposal, ProposalGroup, User,
)
from participation.services import audit
from participation.text import clean_text

MAX_REASON_LENGTH = 2000
MAX_NOTE_LENGTH = 2000
MAX_GROUP_TITLE_LENGTH = 200
CLASSIFICATION_VALUES = tuple(c.value for c in Classification)


@dataclass(frozen=True)
class ClassificationInput:
    classification: str
    reason: str = ""
    note: str = ""


def check(data: ClassificationInput) -> ClassificationInput:
    """The cleaned input, or ValidationFailed naming the fields at fault: a known
    classification; a reason for 不予列入, 已有相关法规 and 合并处理; lengths."""
    errors: dict[str, list[str]] = {}
    classification = (data.classification or "").strip()
    if classification not in CLASSIFICATION_VALUES:
        errors["classification"] = [_("请选择处理情况。")]
    reason = clean_text(data.reason or "", multiline=True)
    note = clean_text(data.note or "", multiline=True)
    if classification in CLASSIFICATIONS_NEEDING_REASON and not reason:
        errors["reason"] = [_("“不予列入”“已有相关法规”和“合并处理”须填写理由。")]
    if len(reason) > MAX_REASON_LENGTH:
        errors.setdefault("reason", []).append(_("不能超过 %(limit)d 个字。", limit=MAX_REASON_LENGTH))
    if len(note) > MAX_NOTE_LENGTH:
        errors["note"] = [_("不能超过 %(limit)d 个字。", limit=MAX_NOTE_LENGTH)]
    if errors:
        raise ValidationFailed(next(iter(errors.values()))[0], fields=errors)
    return ClassificationInput(classification, reason, note)


def _state(proposal: Proposal) -> dict:
    return {"classification": proposal.classification, "reason": proposal.classification_reason,
            "note": proposal.classification_note}


def _apply(proposal: Proposal, data: ClassificationInput, by: User | None, now: datetime) -> tuple[dict, dict] | None:
    before = _state(proposal)
    after = {"classification": data.classification, "reason": data.reason, "note": data.note}
    if before == after:
        return None
    proposal.classification = data.classification
    proposal.classification_reason = data.reason
    proposal.classification_note = data.note
    proposal.classified_at = None if data.classification == Classification.PENDING.value else now
    proposal.classified_by_id = getattr(by, "id", None)
    return audit.changes(before, after)


def classify(proposal: Proposal, data: ClassificationInput, *, by: User | None, now: datetime) -> bool:
    """Record one proposal's classification. False (nothing written) when unchanged."""
    data = check(data)
    changed = _apply(proposal, data, by, now)
    if changed is None:
        return False
    old, new = changed
    audit.record("proposal.classify", actor=by, object_type="proposal", object_id=proposal.id, old=old, new=new,
                 now=now)
    db.session.flush()
    return True


def classify_many(call: PlanCall, proposal_ids: list[int], data: ClassificationInput, *, by: User | None,
                  now: datetime, selection: dict | None = None, idempotency_key: str | None = None) -> int:
    """Classify every listed proposal of ``call`` alike; one audit entry for the whole
    selection (its filter or ids, and how many changed) besides each proposal's own.
    Ids of other calls are refused, not skipped."""
    data = check(data)
    ids = sorted(set(proposal_ids))
    proposals = db.session.scalars(select(Proposal).where(Proposal.id.in_(ids))).all() if ids else []
    if len(proposals) != len(ids) or any(p.call_id != call.id for p in proposals):
        raise ValidationFailed(_("所选建议不属于这次征集。"), fields={"ids": [_("含有不属于这次征集的建议。")]})
    changed = 0
    for proposal in proposals:
        result = _apply(proposal, data, by, now)
        if result is not None:
            changed += 1
            audit.record("proposal.classify", actor=by, object_type="proposal", object_id=proposal.id,
                         old=result[0], new=result[1], now=now)
    audit.record("proposal.classify_bulk", actor=by, object_type="plan_call", object_id=call.id,
                 new={"classification": data.classification, "reason": data.reason, "note": data.note},
                 selection=selection or {"ids": ids}, count=changed, now=now, idempotency_key=idempotency_key)
    db.session.flush()
    return changed


def merge(call: PlanCall, proposal_ids: list[int], *, title: str, by: User | None, now: datetime,
          group: ProposalGroup | None = None) -> ProposalGroup:
    """合并处理: put proposals of ``call`` for the same regulation into one group named
    ``title`` (or into an existing ``group``). At least two proposals make a group.
    Their classifications are left as they are: classify the group afterwards."""
    title = clean_text(title or "", multiline=False)
    errors: dict[str, list[str]] = {}
    if group is None and not title:
        errors["title"] = [_("请填写合并后的项目名称。")]
    if len(title) > MAX_GROUP_TITLE_LENGTH:
        errors["title"] = [_("不能超过 %(limit)d 个字。", limit=MAX_GROUP_TITLE_LENGTH)]
    ids = sorted(set(proposal_ids))
    proposals = db.session.scalars(select(Proposal).where(Proposal.id.in_(ids))).all() if ids else []
    if len(proposals) != len(ids) or any(p.call_id != call.id for p in proposals):
        errors["ids"] = [_("含有不属于这次征集的建议。")]
    elif group is None and len(proposals) < 2:
        errors["ids"] = [_("至少选择两件建议才能合并。")]
    if group is not None and group.call_id != call.id:
        errors["group"] = [_("分组不属于这次征集。")]
    if errors:
        raise ValidationFailed(next(iter(errors.values()))[0], fields=errors)
    if group is None:
        group = ProposalGroup(call_id=call.id, title=title, created_at=now, created_by_id=getattr(by, "id", None))
        db.session.add(group)
        db.session.flush()
    elif title and title != group.title:
        audit.record("proposal_group.rename", actor=by, object_type="proposal_group", object_id=group.id,
                     old={"title": group.title}, new={"title": title}, now=now)
        group.title = title
    for proposal in proposals:
        if proposal.group_id != group.id:
            audit.record("proposal.merge", actor=by, object_type="proposal", object_id=proposal.id,
                         old={"group_id": proposal.group_id}, new={"group_id": group.id, "group": group.title},
                         now=now)
            proposal.group_id = group.id
    db.session.flush()
    _drop_empty_groups(call)
    return group


def unmerge(proposal: Proposal, *, by: User | None, now: datetime) -> None:
    """Take a proposal out of its group (a group left with one member is dissolved)."""
    if proposal.group_id is None:
        return
    audit.record("proposal.unmerge", actor=by, object_type="proposal", object_id=proposal.id,
                 old={"group_id": proposal.group_id}, new={"group_id": None}, now=now)
    proposal.group_id = None
    db.session.flush()
    call = db.session.get(PlanCall, proposal.call_id)
    _drop_empty_groups(call)


def _drop_empty_groups(call: PlanCall) -> None:
    """A group of fewer than two proposals merges nothing: dissolve it."""
    from sqlalchemy import func

    counts = dict(db.session.execute(
        select(Proposal.group_id, func.count()).where(Proposal.call_id == call.id, Proposal.group_id.is_not(None))
        .group_by(Proposal.group_id)).all())
    for group in db.session.scalars(select(ProposalGroup).where(ProposalGroup.call_id == call.id)).all():
        size = counts.get(group.id, 0)
        if size < 2:
            for proposal in db.session.scalars(select(Proposal).where(Proposal.group_id == group.id)).all():
                proposal.group_id = None
            db.session.delete(group)
    db.session.flush()
