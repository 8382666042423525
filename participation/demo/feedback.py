"""The feedback loop in the demo: the closed draft comes with every opinion answered and
its 意见采纳情况 published (so a new user sees the finished loop at once), and the open
draft with the staff's tools set up (常用答复, 承办) and a few opinions already answered,
not yet published. Every step goes through the services staff use, in the order and at
the times it would have happened, all in the past."""
from __future__ import annotations

from datetime import datetime, timedelta

from participation import batches
from participation.demo.feedback_sample import (
    FEEDBACK_BATCH_ACTIVITY, FEEDBACK_BATCH_ANSWERS, FEEDBACK_BATCH_ROWS, FEEDBACK_DRAFT_OPINIONS,
    FEEDBACK_REPORT_INTRODUCTION, FEEDBACK_REPORT_SECTIONS,
)
from participation.extensions import db
from participation.models import Draft, Opinion, User
from participation.services import assignments, dispositions, feedback, opinions

FEEDBACK_API_SUBMITTER = "citizen2@demo.example.org"


def answer_closed_draft(draft: Draft, users: dict, point, operator: User, staff: User, opened_at: datetime) -> None:
    """``draft`` was open for 30 days from ``opened_at``: opinions and a liaison batch
    arrive in its first days, staff answer them after it closed and publish the report
    five days after closing."""
    sent = opened_at + timedelta(days=2)
    ids = []
    for offset, item in enumerate(FEEDBACK_DRAFT_OPINIONS):
        email, key, stance, body, proposed, reason, region, name, public = item[:9]
        # Three days apart over the comment period (so the overview's months show more
        # than one), the second citizen's through the API (a government-service app).
        ids.append(opinions.submit_opinion(draft, opinions.OpinionInput(
            body=body, stance=stance, provision_key=key, proposed_text=proposed, reason=reason,
            region=region, submitter_name=name, is_name_public=public,
        ), author=users[email], now=sent + timedelta(days=3 * offset, hours=offset),
            channel="api" if email == FEEDBACK_API_SUBMITTER else "web").id)
    forum_day = opened_at + timedelta(days=6)
    activity = batches.parse_activity({**FEEDBACK_BATCH_ACTIVITY, "date": forum_day.date().isoformat()},
                                      today=forum_day.date())
    batch, _created = batches.store(batches.check(batches.JsonSource(FEEDBACK_BATCH_ROWS), draft, point), activity,
                                    operator, forum_day + timedelta(hours=2))
    db.session.flush()
    batch_ids = list(db.session.scalars(
        db.select(Opinion.id).where(Opinion.batch_id == batch.id).order_by(Opinion.batch_row)))

    answered = draft.closes_at + timedelta(days=2)
    answers = [item[9:] for item in FEEDBACK_DRAFT_OPINIONS] + list(FEEDBACK_BATCH_ANSWERS)
    for offset, (opinion_id, (disposition, reason)) in enumerate(zip(ids + batch_ids, answers)):
        dispositions.record_disposition(db.session.get(Opinion, opinion_id),
                                        dispositions.DispositionInput(disposition, reason), by=staff,
                                        now=answered + timedelta(minutes=10 * offset))
    written = draft.closes_at + timedelta(days=4)
    feedback.save_report(draft, introduction=FEEDBACK_REPORT_INTRODUCTION,
                         sections=[feedback.SectionText(key, main, handling)
                                   for key, main, handling in FEEDBACK_REPORT_SECTIONS], by=staff, now=written)
    feedback.publish_feedback(draft, by=staff, now=draft.closes_at + timedelta(days=5))


# 常用答复 of the open draft, and the chapter its staff member answers for.
OPEN_DRAFT_REPLY_TEMPLATES = [
    ("已吸收", "adopted", "您的意见已被吸收，修改后的条文将在下一稿中体现。"),
    ("与上位法衔接", "not_adopted", "该事项上位法已有明确规定，本条例不宜作出不同规定。"),
    ("留待配套文件", "for_study", "该意见涉及具体操作标准，将在条例配套文件中研究明确。"),
]
OPEN_DRAFT_ASSIGNED_KEYS = ("ch.2", "ch.3")


def prepare_open_draft(draft: Draft, staff: User, now: datetime) -> None:
    """常用答复 and 承办 on the open draft; the staff member's first answer is recorded
    (it reaches its submitter only when the report is published)."""
    for title, disposition, text in OPEN_DRAFT_REPLY_TEMPLATES:
        assignments.create_template(draft, assignments.TemplateInput(title, text, disposition), by=staff, now=now)
    assignments.save_assignments(draft, {key: staff.id for key in OPEN_DRAFT_ASSIGNED_KEYS}, by=staff, now=now)
    first = db.session.scalar(db.select(Opinion).where(Opinion.draft_id == draft.id, Opinion.author_id.is_not(None))
                              .order_by(Opinion.id))
    if first is not None:
        dispositions.record_disposition(first, dispositions.DispositionInput(
            "adopted", OPEN_DRAFT_REPLY_TEMPLATES[0][2], "已在第二稿中修改（内部备注，提出人看不到）"), by=staff, now=now)
