"""承办: chapters assigned to staff members, each member's queue (我的待办) of undisposed
opinions in their clauses (the nearest assignment wins), and the draft's progress."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from participation import queries
from participation.extensions import db
from participation.models import WHOLE_DRAFT_KEY, Assignment, AuditEntry


def text(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def team(make_user, login, client):
    lead = make_user("staff", display_name="组长")
    helper = make_user("staff", display_name="助手")
    login(lead)
    return lead, helper


def test_assign_chapters_and_the_whole_draft(client, team, open_draft):
    lead, helper = team
    page = text(client.get(f"/staff/drafts/{open_draft.id}/assignments"))
    assert 'name="assignee-general"' in page and 'name="assignee-ch.1"' in page and "第二章" in page
    response = client.post(f"/staff/drafts/{open_draft.id}/assignments",
                           data={"assignee-ch.1": str(lead.id), "assignee-ch.2": str(helper.id),
                                 "assignee-general": str(helper.id), "assignee-ch.3": ""})
    assert response.status_code == 303
    assert queries.assignments_of(open_draft.id) == {"ch.1": lead.id, "ch.2": helper.id, WHOLE_DRAFT_KEY: helper.id}
    assert len(db.session.scalars(select(AuditEntry).where(AuditEntry.action == "assignment.set")).all()) == 3
    # Unassigning removes the row; an unchanged one records nothing.
    client.post(f"/staff/drafts/{open_draft.id}/assignments",
                data={"assignee-ch.1": "", "assignee-ch.2": str(helper.id)})
    assert queries.assignments_of(open_draft.id) == {"ch.2": helper.id, WHOLE_DRAFT_KEY: helper.id}
    assert len(db.session.scalars(select(AuditEntry).where(AuditEntry.action == "assignment.set")).all()) == 4


def test_only_staff_members_can_be_assigned(client, team, open_draft, make_user):
    citizen = make_user("citizen")
    response = client.post(f"/staff/drafts/{open_draft.id}/assignments", data={"assignee-ch.1": str(citizen.id)})
    assert response.status_code == 422
    assert "只能指定在职的工作人员为承办人" in text(response)
    assert db.session.scalar(select(Assignment)) is None


def test_the_queue_takes_the_nearest_assignment(client, team, open_draft, make_draft, make_opinion, login):
    lead, helper = team
    db.session.add_all([
        Assignment(draft_id=open_draft.id, provision_key="ch.2", user_id=lead.id),
        # art.4 sits in chapter 2 but has its own assignee: its opinions are the helper's.
        Assignment(draft_id=open_draft.id, provision_key="art.4", user_id=helper.id),
        Assignment(draft_id=open_draft.id, provision_key=WHOLE_DRAFT_KEY, user_id=lead.id),
    ])
    db.session.commit()
    on_item = make_opinion(open_draft, key="art.3.1.2", body="第三条第二项的意见")
    on_art4 = make_opinion(open_draft, key="art.4", body="第四条的意见")
    whole = make_opinion(open_draft, body="总体意见")
    make_opinion(open_draft, key="art.1", body="第一章的意见，未指定承办人")
    disposed = make_opinion(open_draft, key="art.3", body="已处理的意见")
    disposed.disposition = "adopted"
    make_opinion(open_draft, key="art.3", body="已屏蔽的", state="hidden")
    db.session.commit()
    mine = db.session.scalars(queries.queue_query(lead.id)).all()
    assert {o.id for o in mine} == {on_item.id, whole.id}
    assert {o.id for o in db.session.scalars(queries.queue_query(helper.id))} == {on_art4.id}
    page = text(client.get("/staff/queue"))
    assert "第三条第二项的意见" in page and "总体意见" in page and "第四条的意见" not in page
    assert f'/staff/opinions/{on_item.id}' in page
    # The list's assignee filter gives the same opinions (all dispositions).
    listing = text(client.get(f"/staff/drafts/{open_draft.id}/opinions?assignee={helper.id}"))
    assert "第四条的意见" in listing and "第三条第二项的意见" not in listing


def test_progress_per_chapter_and_for_the_draft(client, team, open_draft, make_opinion):
    for key, disposition in [("art.1", "adopted"), ("art.2.2", "pending"), ("art.3.1.1", "not_adopted"),
                             ("art.4", "pending"), (None, "for_study"), (None, "pending")]:
        opinion = make_opinion(open_draft, key=key)
        opinion.disposition = disposition
    make_opinion(open_draft, key="art.1", state="hidden")  # not counted
    db.session.commit()
    progress = queries.progress_by_key(open_draft.id, ["ch.1", "ch.2", "ch.3"])
    assert (progress["ch.1"].disposed, progress["ch.1"].total) == (1, 2)
    assert (progress["ch.2"].disposed, progress["ch.2"].total) == (1, 2)
    assert "ch.3" not in progress
    assert (progress[WHOLE_DRAFT_KEY].disposed, progress[WHOLE_DRAFT_KEY].total) == (1, 2)
    assert queries.draft_progress(open_draft.id) == queries.Progress(3, 6)
    page = text(client.get(f"/staff/drafts/{open_draft.id}/assignments"))
    cells = dict(re.findall(r'<tr data-key="([^"]+)">.*?data-disposed="(\d+)" data-total="\d+"', page, re.S))
    assert cells == {"general": "1", "ch.1": "1", "ch.2": "1", "ch.3": "0"}
    assert 'data-disposed="3" data-total="6"' in text(client.get(f"/staff/drafts/{open_draft.id}"))


def test_a_draft_without_chapters_is_assigned_by_article(client, team, make_draft):
    draft = make_draft("第一条 甲。\n\n第二条 乙。\n", published=True)
    page = text(client.get(f"/staff/drafts/{draft.id}/assignments"))
    assert 'name="assignee-art.1"' in page and 'name="assignee-art.2"' in page
