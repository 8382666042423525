"""意见采纳情况: the public account of how a draft's opinions were handled. Staff write the
introduction and the per-clause texts while the draft is closed; publishing the report
moves the draft to 已反馈, releases every opinion's disposition to its submitter
(receipts, 我的意见, liaison-point feedback sheets) and puts a notification in the inbox
of everyone with an account who commented."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select

from participation import labels
from participation.errors import Conflict, ValidationFailed
from participation.extensions import db
from participation.models import Draft, DraftStatus, FeedbackReport, FeedbackSection, Opinion, User
from participation.services import audit, notifications

MAX_INTRODUCTION_LENGTH = 20_000
MAX_SECTION_TEXT_LENGTH = 20_000
MAX_SECTIONS_PER_SAVE = 2_000


@dataclass(frozen=True)
class SectionText:
    """The staff texts of one section of the report (``provision_key``: WHOLE_DRAFT_KEY,
    a chapter's or an article's key)."""

    provision_key: str
    main_opinions: str = ""
    handling: str = ""


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


def _check_texts(introduction: str | None, sections: list[SectionText], allowed_keys: set[str]) -> dict:
    """Field errors, named ``introduction`` and ``sections.<key>.<field>``."""
    errors: dict[str, list[str]] = {}
    if introduction is not None and len(introduction) > MAX_INTRODUCTION_LENGTH:
        errors["introduction"] = [_("不能超过 %(n)d 字。", n=MAX_INTRODUCTION_LENGTH)]
    if len(sections) > MAX_SECTIONS_PER_SAVE:
        errors["sections"] = [_("一次最多保存 %(n)d 个部分。", n=MAX_SECTIONS_PER_SAVE)]
        return errors
    seen = set()
    for section in sections:
        key = section.provision_key
        if key not in allowed_keys:
            errors[f"sections.{str(key)[:80]}"] = [_("草案当前版本中没有这一章或这一条。")]
        elif key in seen:
            errors[f"sections.{key}"] = [_("同一部分出现了两次。")]
        seen.add(key)
        for name in ("main_opinions", "handling"):
            if len(getattr(section, name)) > MAX_SECTION_TEXT_LENGTH:
                errors[f"sections.{key}.{name}"] = [_("不能超过 %(n)d 字。", n=MAX_SECTION_TEXT_LENGTH)]
    return errors


def save_report(draft: Draft, *, introduction: str | None, sections: list[SectionText], by: User,
                now: datetime) -> int:
    """Write the introduction (None: leave it) and the given sections' texts of the
    draft's report, before or after it is published. All or nothing: any bad field
    raises ValidationFailed naming it. Audited with the old and new texts of what
    changed. Returns the number of texts changed."""
    from participation.tally.report import section_keys

    errors = _check_texts(introduction, sections, section_keys(draft))
    if errors:
        raise ValidationFailed(_("意见采纳情况有误，请检查标出的内容。"), fields=errors)
    report = report_of(draft)
    existing = {row.provision_key: row for row in db.session.scalars(
        select(FeedbackSection).where(FeedbackSection.draft_id == draft.id))}
    before: dict[str, str] = {"introduction": report.introduction}
    after: dict[str, str] = {"introduction": report.introduction if introduction is None else introduction}
    for section in sections:
        row = existing.get(section.provision_key)
        for name in ("main_opinions", "handling"):
            before[f"{section.provision_key}.{name}"] = getattr(row, name) if row is not None else ""
            after[f"{section.provision_key}.{name}"] = getattr(section, name)
    old, new = audit.changes(before, after)
    if not new:
        return 0
    if introduction is not None and introduction != report.introduction:
        report.introduction, report.updated_at, report.updated_by_id = introduction, now, by.id
    for section in sections:
        row = existing.get(section.provision_key)
        if row is None:
            row = FeedbackSection(draft_id=draft.id, provision_key=section.provision_key)
            db.session.add(row)
        elif (row.main_opinions, row.handling) == (section.main_opinions, section.handling):
            continue
        row.main_opinions, row.handling = section.main_opinions, section.handling
        row.updated_at, row.updated_by_id = now, by.id
    audit.record("draft.feedback_report", actor=by, object_type="draft", object_id=draft.id, draft_id=draft.id,
                 old=old, new=new, now=now)
    db.session.flush()
    return len(new)


def add_report_section(draft: Draft, provision_key: str, *, by: User, now: datetime) -> bool:
    """Give an article (or chapter) a section of its own, empty; False when it has one."""
    exists = db.session.scalar(select(FeedbackSection.id).where(
        FeedbackSection.draft_id == draft.id, FeedbackSection.provision_key == provision_key))
    if exists is not None:
        return False
    save_report(draft, introduction=None, sections=[SectionText(provision_key)], by=by, now=now)
    # save_report writes nothing for empty texts: the row is what makes the section.
    if db.session.scalar(select(FeedbackSection.id).where(
            FeedbackSection.draft_id == draft.id, FeedbackSection.provision_key == provision_key)) is None:
        db.session.add(FeedbackSection(draft_id=draft.id, provision_key=provision_key, main_opinions="",
                                       handling="", updated_at=now, updated_by_id=by.id))
        audit.record("draft.feedback_section_added", actor=by, object_type="draft", object_id=draft.id,
                     draft_id=draft.id, new={"provision_key": provision_key}, now=now)
        db.session.flush()
    return True


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
