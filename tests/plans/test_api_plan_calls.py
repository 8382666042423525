"""The API of calls, proposals and plans: happy paths, every error code, idempotency,
contact never in public answers, and the receipt lookup for proposals."""
from __future__ import annotations

import base64
import json

import pytest

from participation import clock
from participation.extensions import db
from participation.models import Proposal
from participation.services import accounts, classifications, plans


@pytest.fixture
def token_of(app):
    def issue(user):
        _token, secret = accounts.issue_api_token(user, name="测试")
        db.session.commit()
        return secret

    return issue


@pytest.fixture
def api(client):
    def call(method, path, token=None, payload=None, *, headers=None, raw=None, content_type="application/json"):
        db.session.rollback()
        all_headers = dict(headers or {})
        if token:
            all_headers["Authorization"] = f"Bearer {token}"
        kwargs = {}
        if payload is not None or raw is not None:
            kwargs = {"data": raw if raw is not None else json.dumps(payload), "content_type": content_type}
        response = client.open(f"/api/v1{path}", method=method, headers=all_headers, **kwargs)
        db.session.rollback()
        return response

    return call


def _valid(**overrides):
    payload = {
        "title": "某市电动自行车管理条例", "necessity": "电动自行车数量大，管理缺少依据。",
        "problems": "停放充电无序。", "measures": "登记、停放、充电管理。", "area": "城市管理",
        "proposer": {"category": "citizen", "name": "李四", "region": "东城区", "contact": "13900000000"},
        "publish_name": True,
    }
    payload.update(overrides)
    return payload


@pytest.fixture
def citizen(make_user):
    return make_user("citizen")


@pytest.fixture
def staff(make_user):
    return make_user("staff")


# --- calls ------------------------------------------------------------------------------------

def test_calls_list_and_detail(api, make_call, make_proposal, token_of, staff):
    open_call = make_call()
    hidden = make_call(title="未发布的征集", published=False)
    make_proposal(open_call, area="城市管理", contact="13700000000")
    listed = api("GET", "/plan-calls").get_json()
    assert [c["id"] for c in listed["items"]] == [open_call.id] and listed["total"] == 1
    item = listed["items"][0]
    assert item["status"] == "open" and item["focus_areas"] == ["民生保障", "生态环境", "城市管理"]
    assert item["period"] == f"{item['opens_at']}/{item['closes_at']}"
    staff_token = token_of(staff)
    assert {c["id"] for c in api("GET", "/plan-calls", staff_token).get_json()["items"]} == {open_call.id, hidden.id}

    detail = api("GET", f"/plan-calls/{open_call.id}").get_json()
    assert detail["tally"]["total"] == 1 and detail["tally"]["by_area"] == {"城市管理": 1}
    assert detail["tally"]["by_classification"] is None  # the plan is not published
    assert "13700000000" not in json.dumps(detail)
    assert api("GET", f"/plan-calls/{open_call.id}", staff_token).get_json()["tally"]["by_classification"] == {
        "pending": 1}
    assert api("GET", f"/plan-calls/{hidden.id}").status_code == 404
    assert api("GET", f"/plan-calls/{hidden.id}", staff_token).status_code == 200
    assert api("GET", "/plan-calls/999").status_code == 404


# --- POST proposals -----------------------------------------------------------------------------

def test_submit_a_proposal(api, make_call, token_of, citizen):
    call = make_call()
    response = api("POST", f"/plan-calls/{call.id}/proposals", token_of(citizen), _valid())
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert set(body) == {"id", "receipt", "status"} and body["status"] == "published"
    assert response.headers["Location"].endswith(f"/api/v1/receipts/{body['receipt']}")
    proposal = db.session.get(Proposal, body["id"])
    assert (proposal.channel, proposal.author_id, proposal.contact, proposal.is_name_public) == (
        "api", citizen.id, "13900000000", True)


def test_pre_moderated_call_answers_received(api, make_call, token_of, citizen):
    call = make_call(moderation="pre")
    assert api("POST", f"/plan-calls/{call.id}/proposals", token_of(citizen), _valid()).get_json()["status"] == "received"


def test_idempotency(api, make_call, token_of, citizen, make_user):
    call = make_call()
    token = token_of(citizen)
    key = {"Idempotency-Key": "abc-123"}
    first = api("POST", f"/plan-calls/{call.id}/proposals", token, _valid(), headers=key)
    again = api("POST", f"/plan-calls/{call.id}/proposals", token, _valid(), headers=key)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.get_json() == again.get_json()
    other = api("POST", f"/plan-calls/{call.id}/proposals", token, _valid(title="另一部条例"), headers=key)
    assert other.status_code == 422 and other.get_json()["error"] == "idempotency_key_conflict"
    assert "Idempotency-Key" in other.get_json()["fields"]
    # Another account's same key is another request.
    third = api("POST", f"/plan-calls/{call.id}/proposals", token_of(make_user("citizen")), _valid(), headers=key)
    assert third.status_code == 201
    assert db.session.query(Proposal).count() == 2
    bad = api("POST", f"/plan-calls/{call.id}/proposals", token, _valid(), headers={"Idempotency-Key": "空"})
    assert bad.status_code == 422 and "Idempotency-Key" in bad.get_json()["fields"]


@pytest.mark.parametrize("payload, fields", [
    ({"necessity": "x"}, {"title"}),
    (_valid(title=""), {"title"}),
    (_valid(necessity=None), {"necessity"}),
    (_valid(title=5), {"title"}),
    (_valid(area="体育"), {"area"}),
    (_valid(status="published"), {"status"}),
    (_valid(proposer={"category": "deputy"}), {"proposer.category"}),
    (_valid(proposer={"category": "government"}), {"proposer.unit"}),
    (_valid(proposer={"email": "a@b"}), {"proposer.email"}),
    (_valid(proposer="张三"), {"proposer"}),
    (_valid(publish_name="yes"), {"publish_name"}),
    (_valid(motion_number="第12号"), {"motion_number"}),
    (_valid(title="题" * 101), {"title"}),
    (_valid(attachments=[{"filename": "a.txt", "content_base64": "***"}]), {"attachments[0].content_base64"}),
    (_valid(attachments=[{"filename": "a.exe", "content_base64": base64.b64encode(b"MZ\x90\x00binary").decode()}]),
     {"attachments"}),
    (_valid(attachments="x"), {"attachments"}),
])
def test_bad_bodies_are_422_naming_fields(api, make_call, token_of, citizen, payload, fields):
    call = make_call()
    response = api("POST", f"/plan-calls/{call.id}/proposals", token_of(citizen), payload)
    assert response.status_code == 422, response.get_json()
    assert fields <= set(response.get_json()["fields"]), response.get_json()
    assert db.session.query(Proposal).count() == 0


def test_attachment_in_base64(api, make_call, token_of, citizen):
    call = make_call()
    content = base64.b64encode("建议稿全文。\n第一条 为了……".encode()).decode()
    response = api("POST", f"/plan-calls/{call.id}/proposals", token_of(citizen),
                   _valid(attachments=[{"filename": "建议稿.txt", "content_base64": content}]))
    assert response.status_code == 201, response.get_json()
    from participation.models import ProposalAttachment

    stored = db.session.query(ProposalAttachment).one()
    assert stored.original_name == "建议稿.txt" and stored.file_format == "txt"


def test_error_statuses(api, make_call, token_of, citizen, frozen_now):
    call = make_call()
    scheduled = make_call(opens_in=__import__("datetime").timedelta(days=3))
    draft_call = make_call(published=False)
    token = token_of(citizen)
    assert api("POST", f"/plan-calls/{call.id}/proposals", None, _valid()).status_code == 401
    assert api("POST", f"/plan-calls/{call.id}/proposals", "lpp_wrong", _valid()).status_code == 401
    assert api("POST", "/plan-calls/999/proposals", token, _valid()).status_code == 404
    assert api("POST", f"/plan-calls/{draft_call.id}/proposals", token, _valid()).status_code == 404
    assert api("POST", f"/plan-calls/{scheduled.id}/proposals", token, _valid()).status_code == 409
    assert api("POST", f"/plan-calls/{call.id}/proposals", token, raw="{", ).status_code == 400
    assert api("POST", f"/plan-calls/{call.id}/proposals", token, raw="a", content_type="text/plain").status_code == 415
    frozen_now.advance(days=31)
    closed = api("POST", f"/plan-calls/{call.id}/proposals", token, _valid())
    assert closed.status_code == 409 and closed.get_json()["error"] == "conflict"


def test_deputy_category_and_motion_number(api, make_call, token_of, make_user):
    call = make_call()
    response = api("POST", f"/plan-calls/{call.id}/proposals", token_of(make_user("deputy")),
                   _valid(proposer={"name": "王代表"}, motion_number="第12号建议"))
    assert response.status_code == 201
    assert db.session.get(Proposal, response.get_json()["id"]).category == "deputy"


# --- staff listing and classification ------------------------------------------------------------

def test_staff_listing_with_filters_and_cursor(api, make_call, make_proposal, token_of, staff, citizen):
    call = make_call()
    made = [make_proposal(call, area="城市管理" if n % 2 else "民生保障", contact=f"1380000000{n}") for n in range(5)]
    token = token_of(staff)
    page = api("GET", f"/plan-calls/{call.id}/proposals?per_page=2", token).get_json()
    assert [p["id"] for p in page["items"]] == [made[0].id, made[1].id] and page["total"] == 5
    assert page["items"][0]["proposer"]["contact"] == "13800000000"
    second = api("GET", f"/plan-calls/{call.id}/proposals?per_page=2&cursor={page['next_cursor']}", token).get_json()
    assert [p["id"] for p in second["items"]] == [made[2].id, made[3].id]
    filtered = api("GET", f"/plan-calls/{call.id}/proposals?area=城市管理&channel=web&classification=pending",
                   token).get_json()
    assert filtered["total"] == 2 and filtered["next_cursor"] is None
    for query in ("classification=nope", "channel=x", "cursor=bad", "per_page=0", "moderation_state=x"):
        response = api("GET", f"/plan-calls/{call.id}/proposals?{query}", token)
        assert response.status_code == 422, query
    assert api("GET", f"/plan-calls/{call.id}/proposals", token_of(citizen)).status_code == 403
    assert api("GET", f"/plan-calls/{call.id}/proposals").status_code == 401
    assert api("GET", "/plan-calls/999/proposals", token).status_code == 404


def test_classify(api, make_call, make_proposal, token_of, staff, citizen):
    call = make_call()
    proposal = make_proposal(call)
    token = token_of(staff)
    response = api("PATCH", f"/proposals/{proposal.id}", token, {"classification": "formal", "reason": "",
                                                                 "note": "内部"})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["classification"] == "formal" and response.get_json()["note"] == "内部"
    missing = api("PATCH", f"/proposals/{proposal.id}", token, {"classification": "not_included"})
    assert missing.status_code == 422 and "reason" in missing.get_json()["fields"]
    for body, field in (({}, "classification"), ({"classification": "maybe"}, "classification"),
                        ({"classification": "formal", "extra": 1}, "extra"), ({"classification": 3}, "classification")):
        response = api("PATCH", f"/proposals/{proposal.id}", token, body)
        assert response.status_code == 422 and field in response.get_json()["fields"], body
    assert api("PATCH", f"/proposals/{proposal.id}", token_of(citizen), {"classification": "formal"}).status_code == 403
    assert api("PATCH", f"/proposals/{proposal.id}", None, {"classification": "formal"}).status_code == 401
    assert api("PATCH", "/proposals/999", token, {"classification": "formal"}).status_code == 404
    kept = api("PATCH", f"/proposals/{proposal.id}", token, {"classification": "merged", "reason": "与另一件合并。"})
    assert kept.get_json()["note"] == "内部"


# --- plans and receipts --------------------------------------------------------------------------

@pytest.fixture
def plan_world(make_call, make_proposal, make_draft, staff):
    now = clock.now()
    call = make_call()
    shown = make_proposal(call, title="某市养犬管理条例", submitter_name="李四", is_name_public=True,
                          contact="13600000000")
    unnamed = make_proposal(call, title="某市养犬条例", submitter_name="王五", contact="13500000000")
    held = make_proposal(call, title="某市犬只条例")
    from participation.services import proposals

    proposals.hide_proposal(held, reason="重复", by=staff, now=now)
    plan = plans.plan_for_year(2027, by=staff, now=now)
    project = plans.add_project(plan, plans.ProjectInput(project_class="formal", title="某市养犬管理条例",
                                                         drafting_body="市公安局", planned_month=6), by=staff, now=now)
    plans.link_proposals(project, [shown.id, unnamed.id, held.id], by=staff, now=now)
    plans.link_draft(project, make_draft(published=True), by=staff, now=now)
    for p in (shown, unnamed, held):
        classifications.classify(p, classifications.ClassificationInput("formal", "列入正式项目。"), by=staff, now=now)
    db.session.commit()
    return plan, shown, unnamed, held


def test_plan_public_and_staff(api, plan_world, token_of, staff):
    plan, shown, unnamed, held = plan_world
    assert api("GET", "/plans/2027").status_code == 404  # not published yet
    staff_view = api("GET", "/plans/2027", token_of(staff)).get_json()
    assert len(staff_view["projects"]["formal"][0]["proposals"]) == 3 and staff_view["published"] is False
    plans.publish_plan(plan, by=staff, now=clock.now())
    db.session.commit()
    body = api("GET", "/plans/2027").get_json()
    project = body["projects"]["formal"][0]
    assert (project["title"], project["drafting_body"], project["planned_month"]) == ("某市养犬管理条例", "市公安局", 6)
    assert project["proposals"] == [{"id": shown.id, "title": "某市养犬管理条例", "name": "李四"},
                                    {"id": unnamed.id, "title": "某市养犬条例", "name": None}]
    assert project["draft"]["id"] and project["draft"]["url"]
    text = json.dumps(body, ensure_ascii=False)
    assert "王五" not in text and "1360000" not in text and "1350000" not in text
    assert body["projects"]["preparatory"] == [] and body["projects"]["research"] == []
    assert api("GET", "/plans/2031").status_code == 404
    assert api("GET", "/plans/1").status_code == 404


def test_receipt_for_a_proposal(api, plan_world, staff):
    plan, shown, _unnamed, _held = plan_world
    before = api("GET", f"/receipts/{shown.receipt_code}").get_json()
    assert before["type"] == "proposal" and before["status"] == "published"
    assert before["classification"] is None and before["reason"] is None and before["project"] is None
    assert "13600000000" not in json.dumps(before) and "李四" not in json.dumps(before, ensure_ascii=False)
    plans.publish_plan(plan, by=staff, now=clock.now())
    db.session.commit()
    after = api("GET", f"/receipts/{shown.receipt_code.lower().replace('-', '')}").get_json()
    assert (after["classification"], after["reason"], after["plan_published"]) == ("formal", "列入正式项目。", True)
    assert after["project"]["title"] == "某市养犬管理条例" and after["project"]["project_class"] == "formal"
    assert after["project"]["draft"]["id"]
    assert api("GET", "/receipts/ZZZZ-ZZZZ-ZZZZ").status_code == 404


def test_a_body_larger_than_the_limit_is_413_unread(app, api, make_call, token_of, citizen):
    call = make_call()
    app.config["PROPOSAL_ATTACHMENT_MAX_BYTES"] = 1000
    response = api("POST", f"/plan-calls/{call.id}/proposals", token_of(citizen),
                   _valid(necessity="长" * 200_000))
    assert response.status_code == 413 and response.get_json()["error"] == "payload_too_large"
    assert db.session.query(Proposal).count() == 0
