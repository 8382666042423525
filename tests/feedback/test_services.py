"""The feedback loop's services: a disposition one at a time and in bulk (audited, never
twice), publishing the report, and the inbox it fills."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from participation.errors import Conflict, ValidationFailed
from participation.extensions import db
from participation.models import AuditEntry, Notification, Opinion
from participation.services import dispositions, feedback, notifications
from participation.services.dispositions import DispositionInput


def _count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_every_new_opinion_is_pending(open_draft, make_opinion):
    opinion = make_opinion(open_draft)
    assert (opinion.disposition, opinion.disposition_reason, opinion.disposition_note) == ("pending", "", "")


@pytest.mark.parametrize("disposition", ["not_adopted", "partly_adopted"])
def test_no_refusal_without_a_reason(disposition):
    with pytest.raises(ValidationFailed) as caught:
        dispositions.check(DispositionInput(disposition, reason="  \n "))
    assert list(caught.value.fields) == ["reason"]


def test_unknown_disposition_is_refused():
    with pytest.raises(ValidationFailed) as caught:
        dispositions.check(DispositionInput("maybe"))
    assert "disposition" in caught.value.fields


def test_recording_one_is_audited_with_old_and_new(open_draft, make_opinion, make_user, frozen_now):
    staff = make_user("staff")
    opinion = make_opinion(open_draft)
    assert dispositions.record_disposition(opinion, DispositionInput("adopted", "已吸收", "内部"), by=staff,
                                           now=frozen_now.now)
    # The same again changes nothing and records nothing.
    assert not dispositions.record_disposition(opinion, DispositionInput("adopted", "已吸收", "内部"), by=staff,
                                               now=frozen_now.now)
    db.session.commit()
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "opinion.dispose")).all()
    assert len(entries) == 1
    assert (entries[0].action, entries[0].object_id, entries[0].actor_id) == ("opinion.dispose", opinion.id, staff.id)
    assert entries[0].old == {"disposition": "pending", "reason": "", "note": ""}
    assert entries[0].new == {"disposition": "adopted", "reason": "已吸收", "note": "内部"}
    assert opinion.disposed_at == frozen_now.now


def test_bulk_changes_the_selection_once_and_keeps_notes(open_draft, make_draft, make_opinion, make_user, frozen_now):
    staff = make_user("staff")
    other_draft = make_draft(published=True, title="另一部草案")
    mine = [make_opinion(open_draft, body=f"意见{i}") for i in range(5)]
    foreign = make_opinion(other_draft)
    mine[0].disposition_note = "保留的内部备注"
    db.session.commit()
    ids = select(Opinion.id).where(Opinion.id.in_([o.id for o in mine[:3]] + [foreign.id]))
    data = DispositionInput("not_adopted", "与上位法不一致")
    result = dispositions.dispose_selection(open_draft, ids, data, by=staff, now=frozen_now.now,
                                            selection={"ids": "…"}, idempotency_key="k1")
    db.session.commit()
    assert (result.updated, result.selected) == (3, 3)  # the other draft's opinion is not touched
    assert _count(Opinion, Opinion.disposition == "not_adopted") == 3
    assert db.session.get(Opinion, foreign.id).disposition == "pending"
    db.session.expire_all()
    assert db.session.get(Opinion, mine[0].id).disposition_note == "保留的内部备注"
    again = dispositions.dispose_selection(open_draft, ids, data, by=staff, now=frozen_now.now,
                                           selection={"ids": "…"}, idempotency_key="k1")
    assert again.repeated and again.updated == 3
    # Without the key a repeat finds nothing left to change.
    third = dispositions.dispose_selection(open_draft, ids, data, by=staff, now=frozen_now.now, selection={})
    db.session.commit()
    assert (third.updated, third.selected) == (0, 3)
    assert _count(AuditEntry, AuditEntry.action == "opinion.dispose_bulk") == 2


def test_publishing_needs_a_closed_draft_and_notifies_each_author_once(
        open_draft, make_opinion, make_user, frozen_now, close_draft):
    staff = make_user("staff")
    citizen = make_user("citizen")
    make_opinion(open_draft, author=citizen)
    make_opinion(open_draft, author=citizen, body="第二条意见")
    make_opinion(open_draft)  # anonymous: nobody to notify
    with pytest.raises(Conflict):
        feedback.publish_feedback(open_draft, by=staff, now=frozen_now.now)
    close_draft(open_draft)
    assert not feedback.is_feedback_published(open_draft)
    feedback.publish_feedback(open_draft, by=staff, now=frozen_now.now)
    db.session.commit()
    assert feedback.is_feedback_published(open_draft)
    assert open_draft.status_at(frozen_now.now).value == "feedback"
    assert _count(Notification) == 1
    assert notifications.unread_count(citizen.id) == 1
    # Announcing the same event again reaches nobody twice.
    assert notifications.notify_feedback_published(open_draft, now=frozen_now.now) == []
    with pytest.raises(Conflict):
        feedback.publish_feedback(open_draft, by=staff, now=frozen_now.now)
    assert notifications.mark_read(citizen.id, now=frozen_now.now) == 1
    db.session.commit()
    assert notifications.unread_count(citizen.id) == 0


def test_a_channel_receives_the_new_notifications(open_draft, make_opinion, make_user, frozen_now, close_draft):
    delivered = []
    channel = delivered.extend
    notifications.register_channel(channel)
    try:
        citizen = make_user("citizen")
        make_opinion(open_draft, author=citizen)
        close_draft(open_draft)
        feedback.publish_feedback(open_draft, by=make_user("staff"), now=frozen_now.now)
        db.session.commit()
    finally:
        notifications._channels.remove(channel)
    assert delivered == [db.session.scalar(select(Notification.id))]
