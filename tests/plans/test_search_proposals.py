"""Proposals (立法项目建议) in full-text search: found after submission, gone for the
public when hidden (still there for staff), never by their contact details, rebuilt
from scratch, kept through many commits, and dropped with their call."""
from __future__ import annotations

import pytest
from sqlalchemy import delete, insert, select

from participation import clock
from participation.extensions import db
from participation.models import PlanCall, Proposal
from participation.services import classifications, proposals as proposal_service

pytestmark = pytest.mark.usefixtures("app")


@pytest.fixture
def drain(app):
    import search

    def run():
        db.session.commit()
        result = search.drain(app)
        assert result.ok, result
        return result

    return run


@pytest.fixture
def api(client, make_user):
    from participation.services import accounts

    headers = {}

    def run(role=None, **params):
        if role is not None and role not in headers:
            user = make_user(role)
            _token, secret = accounts.issue_api_token(user, name="搜索测试")
            db.session.commit()
            headers[role] = {"Authorization": f"Bearer {secret}"}
        response = client.get("/api/v1/search", query_string=params, headers=headers.get(role, {}))
        assert response.status_code == 200, response.get_data(as_text=True)[:500]
        return response.get_json()

    return run


def proposal_ids(result):
    return [hit["id"] for hit in result["hits"] if hit["type"] == "proposal"]


def test_a_submitted_proposal_is_found_with_its_facet_and_call(make_call, make_proposal, drain, api):
    call = make_call()
    proposal = make_proposal(call, title="某市电动自行车管理条例", necessity="电动自行车充电起火事故频发。",
                             area="城市管理", contact="13900001111", submitter_name="王小明", is_name_public=True)
    drain()
    found = api(q="充电起火")
    assert proposal_ids(found) == [proposal.id]
    hit = found["hits"][0]
    assert hit["call"] == {"id": call.id, "title": call.title} and hit["draft"] is None
    assert hit["title"] == "某市电动自行车管理条例"
    assert hit["url"].endswith(f"/proposals/{proposal.id}")
    assert {"value": "proposal", "label": "立法项目建议", "count": 1} in found["facets"]["type"]
    assert found["facets"]["call"] == [{"value": str(call.id), "label": call.title, "count": 1}]
    assert proposal_ids(api(q="王小明")) == [proposal.id]  # the name is public
    assert proposal_ids(api(q="电动自行车", type="proposal", call=call.id)) == [proposal.id]
    assert proposal_ids(api(q="电动自行车", type="opinion")) == []


def test_contact_note_hidden_reason_and_private_names_never_match(make_call, make_proposal, make_user, drain, api):
    call = make_call()
    staff = make_user("staff")
    proposal = make_proposal(call, title="某市养犬管理条例", contact="甲乙丙联系电话13911112222",
                             submitter_name="赵秘密", unit="秘密单位", category="citizen")
    classifications.classify(proposal, classifications.ClassificationInput(
        "not_included", reason="已有相关规定", note="内部备注丁戊己"), by=staff, now=clock.now())
    proposal_service.hide_proposal(proposal, reason="含有庚辛壬内容", by=staff, now=clock.now())
    db.session.commit()
    drain()
    for words in ("13911112222", "甲乙丙", "丁戊己", "庚辛壬", "赵秘密", "秘密单位"):
        assert api(role="staff", q=words)["total"] == 0, words
    assert proposal_ids(api(role="staff", q="养犬")) == [proposal.id]


def test_hidden_is_gone_for_the_public_and_kept_for_staff(make_call, make_proposal, make_user, drain, api):
    call = make_call()
    staff = make_user("staff")
    proposal = make_proposal(call, title="某市古树名木保护条例", necessity="古树名木保护亟需立法。")
    drain()
    assert proposal_ids(api(q="古树名木")) == [proposal.id]
    proposal_service.hide_proposal(proposal, reason="重复提交", by=staff, now=clock.now())
    db.session.commit()
    # Before the indexer runs, the hit is dropped against the database already.
    assert proposal_ids(api(q="古树名木")) == []
    drain()
    assert api(q="古树名木")["total"] == 0
    staff_found = api(role="staff", q="古树名木")
    assert proposal_ids(staff_found) == [proposal.id]
    assert staff_found["hits"][0]["state"] == "hidden"
    assert staff_found["hits"][0]["url"].endswith(f"/staff/proposals/{proposal.id}")
    assert proposal_ids(api(role="citizen", q="古树名木")) == []
    proposal_service.publish_proposal(proposal, by=staff, now=clock.now())
    drain()
    assert proposal_ids(api(q="古树名木")) == [proposal.id]


def test_held_proposals_and_unpublished_calls_are_staff_only(make_call, make_proposal, make_user, drain, api):
    held_call = make_call(moderation="pre")
    held = make_proposal(held_call, title="某市噪声污染防治条例")
    assert held.moderation_state == "pending"
    hidden_call = make_call(title="未发布的征集")
    unpublished = make_proposal(hidden_call, title="某市噪声扰民治理条例")
    hidden_call.published_at = None
    db.session.commit()
    drain()
    assert api(q="噪声")["total"] == 0
    assert set(proposal_ids(api(role="staff", q="噪声"))) == {held.id, unpublished.id}
    assert api(q="噪声", call=hidden_call.id)["facets"].get("call", []) == []


def test_deleting_a_call_removes_its_proposals(make_call, make_proposal, drain, api):
    call = make_call()
    make_proposal(call, title="某市湿地保护条例")
    other = make_call(title="另一次征集")
    kept = make_proposal(other, title="某市湿地公园管理条例")
    drain()
    assert api(role="staff", q="湿地")["total"] == 2
    db.session.delete(db.session.get(PlanCall, call.id))
    db.session.commit()
    drain()
    assert proposal_ids(api(role="staff", q="湿地")) == [kept.id]
    db.session.execute(delete(PlanCall).where(PlanCall.id == other.id))
    db.session.commit()
    drain()
    assert api(role="staff", q="湿地")["total"] == 0


def test_bulk_inserts_and_updates_reach_the_index(make_call, make_proposal, drain, api):
    """A liaison batch stores its rows with one INSERT; bulk UPDATEs are tracked too."""
    call = make_call()
    first = make_proposal(call, title="某市物业管理条例")
    drain()
    row = {column: getattr(first, column) for column in (
        "call_id", "necessity", "problems", "measures", "area", "category", "submitter_name", "unit", "region",
        "contact", "is_name_public", "channel", "moderation_state", "created_at")}
    db.session.execute(insert(Proposal), [
        {**row, "title": f"某市社区养老服务条例{n}", "receipt_code": f"BULK{n:04d}X"} for n in range(3)])
    db.session.commit()
    drain()
    assert api(q="社区养老")["total"] == 3
    from sqlalchemy import update

    db.session.execute(update(Proposal).where(Proposal.title.like("某市社区养老%")).values(moderation_state="hidden"))
    db.session.commit()
    drain()
    assert api(q="社区养老")["total"] == 0
    assert api(role="staff", q="社区养老")["total"] == 3


def test_rebuild_from_scratch_finds_proposals(app, make_call, make_proposal, drain, api):
    import search

    call = make_call()
    proposal = make_proposal(call, title="某市无障碍环境建设条例", necessity="无障碍设施不足。")
    db.session.commit()
    result = search.rebuild(app, procs=1)
    assert result.proposals == 1
    assert proposal_ids(api(q="无障碍")) == [proposal.id]
    assert db.session.scalar(select(Proposal.id)) == proposal.id


def test_one_index_through_many_commits(make_call, make_proposal, make_user, drain, api):
    """One index kept through many commits and drains (segments merge meanwhile)."""
    call = make_call()
    staff = make_user("staff")
    made = []
    for n in range(60):
        proposal = make_proposal(call, title=f"某市第{n}号示范条例", necessity=f"理由编号甲{n:03d}乙")
        made.append(proposal)
        if n % 3 == 0:
            proposal_service.hide_proposal(proposal, reason="测试", by=staff, now=clock.now())
            db.session.commit()
        if n % 7 == 0:
            drain()
    drain()
    public = api(q="示范条例", type="proposal", per_page=50, page=1)
    assert public["total"] == 40
    assert api(role="staff", q="示范条例", per_page=50)["total"] == 60
    for n in (0, 1, 59):
        expected = [] if n % 3 == 0 else [made[n].id]
        assert proposal_ids(api(q=f"甲{n:03d}乙")) == expected


def test_the_search_page_links_proposals_and_shows_the_facet(client, make_call, make_proposal, drain):
    call = make_call()
    proposal = make_proposal(call, title="某市垃圾分类管理条例", area="生态环境")
    drain()
    page = client.get("/search", query_string={"q": "垃圾分类"}).get_data(as_text=True)
    assert f"/proposals/{proposal.id}" in page
    assert "立法项目建议" in page and "某市垃圾分类管理条例" in page
    assert call.title in page
