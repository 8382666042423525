"""意见采纳情况: the public account of how a draft's opinions were handled. Staff write the
introduction and the per-clause texts while the draft is closed; publishing the report
moves the draft to 已反馈, releases every opinion's disposition to its submitter
(receipts, 我的意见, liaison-point feedback sheets) and puts a notification in the inbox
of everyone with an account who commented."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _

from participation import labels
from participation.errors import Conflict
from participation.extensions import db
from participation.models import Draft, DraftStatus, FeedbackReport, Opinion, User
from participation.services import audit, notifications


def is_feedback_published(draft) -> bool:
    """Whether submitters may see the dispositions of ``draft``'s opinions."""
    return draft is not None and draft.feedback_published_at is not None


def report_of(draft: Draft) -> FeedbackReport:
    """The draft's report row, made (flushed) when it has none yet."""
    report = db.session.get(FeedbackReport, draft.id)
    if report is None:
        report = FeedbackReport(draft_id=draft.id, introduction="")
        db.session.add(report)
        db.session.flush()
    return report


def publish_feedback(draft: Draft, *, by: User, now: datetime) -> Draft:
    """Publish the report of a closed draft (已截止 → 已反馈)."""
    status = draft.status_at(now)
    if status == DraftStatus.FEEDBACK:
        raise Conflict(_("该草案的意见采纳情况已经发布。"))
    if status != DraftStatus.CLOSED:
        raise Conflict(_("征求意见截止后才能发布意见采纳情况。"))
    report = report_of(draft)
    report.published_by_id = by.id
    draft.feedback_published_at = now
    audit.record("draft.publish_feedback", actor=by, object_type="draft", object_id=draft.id, draft_id=draft.id,
                 old={"status": status.value}, new={"status": DraftStatus.FEEDBACK.value}, now=now)
    db.session.flush()
    notifications.notify_feedback_published(draft, now=now)
    return draft


# --- what submitters see ---------------------------------------------------------------

@dataclass(frozen=True)
class ReleasedDisposition:
    """An opinion's disposition as its submitter sees it: the value, its label
    (``labels.DISPOSITION``, in the request's language) and the reason. Never the
    internal note."""

    value: str
    label: str
    reason: str


def released_disposition(opinion: Opinion, draft: Draft | None) -> ReleasedDisposition | None:
    """The disposition of ``opinion`` (an opinion of ``draft``) once the draft's feedback
    is published; None before, when staff may still revise it. Every page, sheet and API
    answer that shows a submitter the answer to an opinion goes through here."""
    if not is_feedback_published(draft):
        return None
    return ReleasedDisposition(opinion.disposition, labels.label(labels.DISPOSITION, opinion.disposition),
                               opinion.disposition_reason or "")


def released_dispositions(opinions, drafts: dict[int, Draft]) -> dict[int, ReleasedDisposition | None]:
    """Opinion id → ``released_disposition`` for opinions of several drafts (``drafts``
    by id, as ``queries.drafts_by_id`` loads them)."""
    return {opinion.id: released_disposition(opinion, drafts.get(opinion.draft_id)) for opinion in opinions}
