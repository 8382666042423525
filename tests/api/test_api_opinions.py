"""The opinions API: POST /drafts/<id>/comments, GET /drafts/<id>/tally,
GET /drafts/<id>/provisions/<key>/opinions and GET /receipts/<code>."""
from __future__ import annotations

import json
import threading
from collections import Counter, defaultdict
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from participation.extensions import db
from participation.models import Opinion, Provision
from participation.services import opinions as service
from participation.tally.compute import compute_tally
from tests.api.helpers import bearer

XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>"\'&'
OTHER_DRAFT = "# 另一条例（草案）\n\n" + "\n\n".join(
    f"第{numeral}条 另一部草案的条文。" for numeral in "一二三四五六七八九")  # art.6 … art.9 only here


@pytest.fixture
def citizen(make_user):
    return make_user("citizen")


@pytest.fixture
def citizen_token(citizen, issue_token):
    return issue_token(citizen)


@pytest.fixture
def staff(make_user):
    return make_user("staff")


@pytest.fixture
def staff_token(staff, issue_token):
    return issue_token(staff)


@pytest.fixture
def open_draft(make_draft, frozen_now):
    return make_draft(published=True)


@pytest.fixture
def post_comment(client):
    def post(draft_id, payload, token=None, *, headers=None, raw=None, content_type="application/json"):
        all_headers = dict(headers or {})
        if token:
            all_headers.update(bearer(token))
        data = raw if raw is not None else json.dumps(payload)
        return client.post(f"/api/v1/drafts/{draft_id}/comments", data=data, headers=all_headers,
                           content_type=content_type)

    return post


def _valid(**overrides):
    payload = {
        "provision": "art.3.1.2",
        "stance": "amend",
        "body": "建议把“组织实施”改为“组织实施并公开进展”。",
        "proposed_text": "（二）组织实施并公开进展；",
        "reason": "便于公众监督。",
        "submitter": {"category": "citizen", "name": "张三", "region": "某区某街道", "contact": "13800000000"},
    }
    payload.update(overrides)
    return payload


def _rows():
    return db.session.scalars(select(Opinion).order_by(Opinion.id)).all()


# --- POST: success ------------------------------------------------------------------------

def test_submit_returns_201_with_a_receipt_and_stores_the_opinion(post_comment, open_draft, citizen, citizen_token):
    response = post_comment(open_draft.id, _valid(), citizen_token)
    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == {"id", "receipt", "status"}
    assert body["status"] == "published"
    assert service.normalize_receipt_code(body["receipt"]) == body["receipt"]
    assert response.headers["Location"].endswith(f"/api/v1/receipts/{body['receipt']}")
    [row] = _rows()
    assert row.id == body["id"] and row.receipt_code == body["receipt"]
    assert (row.draft_id, row.provision_key, row.stance, row.category) == (open_draft.id, "art.3.1.2", "amend", "citizen")
    assert row.author_id == citizen.id and row.submitter_key == f"u:{citizen.id}"
    assert (row.submitter_name, row.is_name_public, row.region, row.contact) == ("张三", False, "某区某街道", "13800000000")
    assert row.proposed_text == "（二）组织实施并公开进展；" and row.reason == "便于公众监督。"


def test_whole_draft_opinion_with_minimal_fields(post_comment, open_draft, citizen_token):
    response = post_comment(open_draft.id, {"provision": None, "stance": "support", "body": "总体赞成。"}, citizen_token)
    assert response.status_code == 201, response.get_data(as_text=True)
    [row] = _rows()
    assert row.provision_id is None and row.provision_key is None
    assert (row.category, row.proposed_text, row.reason, row.contact) == ("citizen", "", "", "")


def test_pre_moderated_draft_answers_received(post_comment, open_draft, citizen_token):
    open_draft.moderation_mode = "pre"
    db.session.commit()
    response = post_comment(open_draft.id, _valid(), citizen_token)
    assert response.status_code == 201
    assert response.get_json()["status"] == "received"
    assert _rows()[0].moderation_state == "pending"


def test_published_name_and_null_optionals(post_comment, open_draft, citizen_token):
    payload = _valid(proposed_text=None, reason=None, publish_name=True,
                     submitter={"category": None, "name": "李四", "region": None, "contact": None})
    assert post_comment(open_draft.id, payload, citizen_token).status_code == 201
    [row] = _rows()
    assert row.is_name_public and row.submitter_name == "李四" and row.category == "citizen"


def test_text_is_cleaned_as_the_form_does(post_comment, open_draft, citizen_token):
    # (NUL itself is refused at the request boundary: tests/web/test_request_boundary.py.)
    payload = _valid(body="  e\u0301 意见\x07\r\n第二行  ", submitter={"name": " 王\t五 "})
    assert post_comment(open_draft.id, payload, citizen_token).status_code == 201
    [row] = _rows()
    assert row.body == "\u00e9 意见\n第二行"  # NFC, control characters removed, CRLF → LF
    assert row.submitter_name == "王 五"


def test_deputy_and_operator_categories_come_from_the_account(post_comment, open_draft, make_user, issue_token):
    deputy = make_user("deputy", delegation="第一代表团")
    operator = make_user("operator")
    for user, expected in ((deputy, "deputy"), (operator, "liaison_point")):
        token = issue_token(user)
        payload = _valid()
        del payload["submitter"]
        assert post_comment(open_draft.id, payload, token).status_code == 201
        # Naming the account's own category is accepted too.
        assert post_comment(open_draft.id, _valid(submitter={"category": expected}), token).status_code == 201
        refused = post_comment(open_draft.id, _valid(submitter={"category": "citizen"}), token)
        assert refused.status_code == 422
        assert set(refused.get_json()["fields"]) == {"submitter.category"}
    rows = _rows()
    assert [row.category for row in rows] == ["deputy", "deputy", "liaison_point", "liaison_point"]
    assert rows[0].delegation == "第一代表团" and rows[2].liaison_point_id == operator.liaison_point_id


def test_citizen_cannot_claim_a_fixed_category(post_comment, open_draft, citizen_token):
    for category in ("deputy", "liaison_point", "nonsense"):
        response = post_comment(open_draft.id, _valid(submitter={"category": category}), citizen_token)
        assert response.status_code == 422
        assert set(response.get_json()["fields"]) == {"submitter.category"}
    assert _rows() == []


# --- POST: refusals ------------------------------------------------------------------------

def test_no_token_is_401_and_anonymous_submission_is_not_offered(post_comment, open_draft):
    open_draft.allows_anonymous_opinions = True
    db.session.commit()
    response = post_comment(open_draft.id, _valid())
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert post_comment(open_draft.id, _valid(), "lpp_not-a-real-token").status_code == 401
    assert _rows() == []


def test_unknown_or_unpublished_draft_is_404(post_comment, make_draft, citizen_token, staff_token):
    unpublished = make_draft()
    for draft_id in (9999, 2**31, 0):
        assert post_comment(draft_id, _valid(), citizen_token).status_code == 404
    assert post_comment(unpublished.id, _valid(), citizen_token).status_code == 404
    # Staff may see the unpublished draft: it exists, but it is not open.
    response = post_comment(unpublished.id, _valid(), staff_token)
    assert response.status_code == 409
    assert response.get_json()["error"] == "conflict"


@pytest.mark.parametrize("moment", ["before", "after"])
def test_draft_not_open_by_the_server_clock_is_409(post_comment, make_draft, citizen_token, frozen_now, moment):
    if moment == "before":
        draft = make_draft(published=True, opens_in=timedelta(days=2))
        expected = "尚未开始"
    else:
        draft = make_draft(published=True, days=3)
        frozen_now.advance(days=3)  # closes_at itself is already closed
        expected = "已经结束"
    response = post_comment(draft.id, _valid(), citizen_token)
    assert response.status_code == 409
    assert expected in response.get_json()["message"]
    assert _rows() == []


def test_unknown_clause_clause_of_another_draft_and_structural_keys_are_404(post_comment, open_draft, make_draft,
                                                                           citizen_token):
    other = make_draft(OTHER_DRAFT, title="另一条例", published=True)
    assert db.session.scalar(select(Provision).where(Provision.key == "art.9")).version_id == other.current_version.id
    # ("art.1\x00" is refused with 422 at the request boundary: tests/web/test_request_boundary.py.)
    for key in ("art.99", "art.9", "ch.1", "bad key", "x" * 81):
        response = post_comment(open_draft.id, _valid(provision=key), citizen_token)
        assert response.status_code == 404, key
        body = response.get_json()
        assert body["error"] == "not_found" and "provision" in body["fields"]
    assert _rows() == []


def test_missing_fields_and_wrong_types_are_422_naming_each(post_comment, open_draft, citizen_token):
    response = post_comment(open_draft.id, {"stance": 3, "body": ["x"], "reason": 1, "submitter": {"name": 5},
                                            "publish_name": "yes"}, citizen_token)
    assert response.status_code == 422
    body = response.get_json()
    assert body["error"] == "validation_failed"
    assert set(body["fields"]) == {"provision", "stance", "body", "reason", "submitter.name", "publish_name"}
    response = post_comment(open_draft.id, _valid(submitter="张三"), citizen_token)
    assert set(response.get_json()["fields"]) == {"submitter"}
    response = post_comment(open_draft.id, _valid(provision="", body=None), citizen_token)
    assert set(response.get_json()["fields"]) == {"provision", "body"}


def test_service_validation_is_422_with_api_field_names(post_comment, open_draft, citizen_token):
    payload = _valid(stance="maybe", body="   ", reason="长" * (service.MAX_REASON_LENGTH + 1), publish_name=True,
                     submitter={"name": "", "region": "区" * (service.MAX_REGION_LENGTH + 1),
                                "contact": "1" * (service.MAX_CONTACT_LENGTH + 1)})
    response = post_comment(open_draft.id, payload, citizen_token)
    assert response.status_code == 422
    fields = response.get_json()["fields"]
    assert set(fields) == {"stance", "body", "reason", "submitter.name", "submitter.region", "submitter.contact"}
    assert "3000" in fields["reason"][0]
    assert _rows() == []


def test_mass_assignment_is_refused_naming_the_fields(post_comment, open_draft, make_draft, citizen_token, staff):
    other = make_draft(OTHER_DRAFT, title="另一条例", published=True)
    payload = _valid(status="published", moderation_state="published", author=staff.id, author_id=staff.id,
                     receipt="AAAA-BBBB-CCCC", draft=other.id, draft_id=other.id, id=1, created_at="2020-01-01",
                     submitter={"name": "张三", "author": staff.id, "is_staff": True})
    response = post_comment(open_draft.id, payload, citizen_token)
    assert response.status_code == 422
    fields = response.get_json()["fields"]
    assert set(fields) == {"status", "moderation_state", "author", "author_id", "receipt", "draft", "draft_id", "id",
                           "created_at", "submitter.author", "submitter.is_staff"}
    assert all(messages == ["不接受此字段。"] for messages in fields.values())
    assert _rows() == []


def test_malformed_json_and_wrong_media_type(post_comment, open_draft, citizen_token):
    response = post_comment(open_draft.id, None, citizen_token, raw="{not json")
    assert response.status_code == 400 and response.get_json()["error"] == "malformed_json"
    response = post_comment(open_draft.id, None, citizen_token, raw='["a list"]')
    assert response.status_code == 400
    response = post_comment(open_draft.id, None, citizen_token, raw="body=x", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415 and response.mimetype == "application/json"


def test_lone_surrogates_are_refused_not_a_500(post_comment, open_draft, citizen_token):
    raw = json.dumps(_valid(body="意见\ud800", submitter={"name": "\udfff"}))
    response = post_comment(open_draft.id, None, citizen_token, raw=raw)
    assert response.status_code == 422
    assert set(response.get_json()["fields"]) == {"body", "submitter.name"}


def test_oversized_body_is_413_json(post_comment, open_draft, citizen_token):
    response = post_comment(open_draft.id, _valid(body="长" * 300_000), citizen_token)
    assert response.status_code == 413
    assert response.mimetype == "application/json"
    assert response.get_json()["error"] == "payload_too_large"
    # The largest valid opinion, even fully \u-escaped, is well inside the limit.
    largest = _valid(body="\U0001f600" * service.MAX_BODY_LENGTH,
                     proposed_text="\U0001f600" * service.MAX_PROPOSED_TEXT_LENGTH,
                     reason="\U0001f600" * service.MAX_REASON_LENGTH)
    raw = json.dumps(largest, ensure_ascii=True)
    assert post_comment(open_draft.id, None, citizen_token, raw=raw).status_code == 201
    assert _rows()[0].body == "\U0001f600" * service.MAX_BODY_LENGTH


# --- POST: idempotency -----------------------------------------------------------------------

def test_same_idempotency_key_stores_once_and_answers_200(post_comment, open_draft, citizen_token, frozen_now):
    key = {"Idempotency-Key": "8c1b4f0e-retry-1"}
    first = post_comment(open_draft.id, _valid(), citizen_token, headers=key)
    assert first.status_code == 201
    second = post_comment(open_draft.id, _valid(), citizen_token, headers=key)
    assert second.status_code == 200
    assert second.get_json() == first.get_json()
    # Even after the draft closed: the retry reports what was stored.
    frozen_now.advance(days=31)
    third = post_comment(open_draft.id, _valid(), citizen_token, headers=key)
    assert third.status_code == 200 and third.get_json() == first.get_json()
    assert len(_rows()) == 1


def test_idempotency_keys_are_per_account_and_per_draft(post_comment, open_draft, make_draft, citizen_token,
                                                        make_user, issue_token):
    key = {"Idempotency-Key": "same-key"}
    other_token = issue_token(make_user("citizen"))
    assert post_comment(open_draft.id, _valid(), citizen_token, headers=key).status_code == 201
    assert post_comment(open_draft.id, _valid(), other_token, headers=key).status_code == 201
    assert post_comment(open_draft.id, _valid(), citizen_token, headers={"Idempotency-Key": "another"}).status_code == 201
    other_draft = make_draft(OTHER_DRAFT, title="另一条例", published=True)
    response = post_comment(other_draft.id, _valid(provision="art.9"), citizen_token, headers=key)
    assert response.status_code == 422 and response.get_json()["error"] == "idempotency_key_conflict"
    assert set(response.get_json()["fields"]) == {"Idempotency-Key"}
    assert len(_rows()) == 3


@pytest.mark.parametrize("change", [
    {"body": "另一条意见。"}, {"provision": "art.3"}, {"provision": None}, {"stance": "support"},
    {"submitter": {"category": "citizen", "name": "李四", "region": "某区某街道", "contact": "13800000000"}},
    {"publish_name": True},
])
def test_same_idempotency_key_with_another_body_is_422(post_comment, open_draft, citizen_token, change):
    key = {"Idempotency-Key": "pay-like-1"}
    first = post_comment(open_draft.id, _valid(), citizen_token, headers=key)
    assert first.status_code == 201
    response = post_comment(open_draft.id, _valid(**change), citizen_token, headers=key)
    assert response.status_code == 422
    body = response.get_json()
    assert body["error"] == "idempotency_key_conflict"
    assert set(body["fields"]) == {"Idempotency-Key"} and "Idempotency-Key" in body["message"]
    assert len(_rows()) == 1
    # The first request, sent again (its JSON spelt differently), still answers 200.
    again = post_comment(open_draft.id, None, citizen_token, headers=key,
                         raw=json.dumps(dict(reversed(list(_valid().items()))), indent=2, ensure_ascii=True))
    assert again.status_code == 200 and again.get_json() == first.get_json()


def test_opinions_stored_without_a_fingerprint_match_any_retry(post_comment, open_draft, citizen_token):
    """Rows stored before fingerprints were kept have NULL: unknown, taken as a match."""
    key = {"Idempotency-Key": "legacy-1"}
    first = post_comment(open_draft.id, _valid(), citizen_token, headers=key)
    opinion = _rows()[0]
    assert opinion.submission_fingerprint is not None
    opinion.submission_fingerprint = None
    db.session.commit()
    response = post_comment(open_draft.id, _valid(body="改过的内容"), citizen_token, headers=key)
    assert response.status_code == 200 and response.get_json() == first.get_json()


@pytest.mark.parametrize("value", ["", "x" * 101, "含中文", "with space"])
def test_malformed_idempotency_key_is_422(post_comment, open_draft, citizen_token, value):
    response = post_comment(open_draft.id, _valid(), citizen_token, headers={"Idempotency-Key": value.encode().decode("latin-1")})
    assert response.status_code == 422
    assert set(response.get_json()["fields"]) == {"Idempotency-Key"}


def test_concurrent_retries_with_one_key_store_one_row(app, open_draft, citizen_token):
    """Several threads send the same request at once, each through its own client and
    database connection (SQLite or PostgreSQL, whichever the suite runs on)."""
    threads_count = 8
    barrier = threading.Barrier(threads_count)
    results: list[tuple[int, dict]] = []
    errors: list[BaseException] = []
    payload = json.dumps(_valid())
    draft_id = open_draft.id
    db.session.commit()

    def send():
        try:
            client = app.test_client()
            barrier.wait(timeout=10)
            response = client.post(f"/api/v1/drafts/{draft_id}/comments", data=payload, content_type="application/json",
                                   headers={**bearer(citizen_token), "Idempotency-Key": "concurrent-1"})
            results.append((response.status_code, response.get_json()))
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=send) for _ in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors
    statuses = Counter(status for status, _body in results)
    assert statuses == {201: 1, 200: threads_count - 1}, results
    assert len({body["id"] for _status, body in results}) == 1
    assert db.session.scalar(select(func.count()).select_from(Opinion)) == 1


# --- XSS and personal data ------------------------------------------------------------------

def test_xss_is_stored_verbatim_and_returned_as_json_strings_never_with_contact(
        post_comment, api_get, open_draft, citizen_token):
    open_draft.shows_opinions_publicly = True
    db.session.commit()
    payload = _valid(body=XSS, proposed_text=XSS, reason=XSS, publish_name=True,
                     submitter={"name": XSS[:50], "region": XSS, "contact": "secret@example.org " + XSS})
    assert post_comment(open_draft.id, payload, citizen_token).status_code == 201
    assert post_comment(open_draft.id, _valid(body="不公开姓名", submitter={"name": "赵六", "contact": "13900000000"}),
                        citizen_token).status_code == 201
    [row, _second] = _rows()
    assert row.body == XSS and row.region == XSS
    response = api_get(f"/drafts/{open_draft.id}/provisions/art.3/opinions")
    assert response.status_code == 200 and response.mimetype == "application/json"
    text = response.get_data(as_text=True)
    assert "secret@example.org" not in text and "13900000000" not in text and "赵六" not in text
    assert "contact" not in text and row.receipt_code not in text
    items = response.get_json()["items"]
    assert [item["body"] for item in items] == ["不公开姓名", XSS]
    assert items[1]["proposed_text"] == XSS and items[1]["reason"] == XSS and items[1]["region"] == XSS
    assert items[1]["name"] == XSS[:50] and items[0]["name"] is None
    # Receipts say nothing personal either.
    receipt = api_get(f"/receipts/{row.receipt_code}").get_data(as_text=True)
    assert "secret@example.org" not in receipt and XSS not in receipt and json.dumps(XSS) not in receipt


# --- GET /drafts/<id>/tally ---------------------------------------------------------------------

def _brute_force(draft):
    version_id = draft.current_version.id
    provisions = {p.id: p for p in db.session.scalars(select(Provision).where(Provision.version_id == version_id))}
    totals, hidden, pending, stances, categories, submitters = (Counter(), Counter(), Counter(), defaultdict(Counter),
                                                                defaultdict(Counter), defaultdict(set))
    for row in db.session.scalars(select(Opinion).where(Opinion.version_id == version_id)):
        keys = ["*"]
        pid = row.provision_id
        while pid is not None:
            keys.append(provisions[pid].key)
            pid = provisions[pid].parent_id
        if row.provision_id is None:
            keys.append("whole")
        for key in keys:
            if row.moderation_state == "hidden":
                hidden[key] += 1
                continue
            totals[key] += 1
            pending[key] += row.moderation_state == "pending"
            stances[key][row.stance] += 1
            categories[key][row.category] += 1
            submitters[key].add(row.submitter_key)
    return totals, hidden, pending, stances, categories, submitters


def _nonzero(counts):
    return {key: value for key, value in counts.items() if value}


def _seed_history(open_draft, make_user, frozen_now):
    citizens = [make_user("citizen") for _ in range(3)]
    deputy = make_user("deputy")
    staff = make_user("staff")
    keys = [None, "art.1", "art.2", "art.2.2", "art.3.1.1", "art.3.1.3", "art.3", "art.5"]
    stances = ["support", "oppose", "amend", "add", "delete", "other"]
    stored = []
    for n in range(40):
        author = (citizens + [deputy])[n % 4]
        category = None if author is deputy else ["citizen", "expert", "organisation"][n % 3]
        submitted = service.submit_opinion(
            open_draft, service.OpinionInput(body=f"意见{n}", stance=stances[n % 6], provision_key=keys[n % len(keys)],
                                             category=category),
            author=author, now=frozen_now.now)
        opinion = db.session.get(Opinion, submitted.id)
        stored.append(opinion)
    for opinion in stored[::5]:
        service.hide_opinion(opinion, reason="与草案无关", by=staff, now=frozen_now.now)
    for opinion in stored[1::7]:
        opinion.moderation_state = "pending"
    db.session.delete(stored[3])
    db.session.commit()


@pytest.mark.parametrize("id_order", [True, False], ids=["ids-in-document-order", "positions-joined"])
def test_tally_numbers_equal_compute_tally_and_a_brute_force_count(api_get, open_draft, make_user, frozen_now,
                                                                   staff_token, monkeypatch, id_order):
    from participation.tally import compute as tally_module

    monkeypatch.setattr(tally_module, "USE_ID_ORDER", id_order)
    _seed_history(open_draft, make_user, frozen_now)
    response = api_get(f"/drafts/{open_draft.id}/tally", staff_token)
    assert response.status_code == 200
    body = response.get_json()
    tally = compute_tally(open_draft.id, open_draft.current_version.id)
    expected = tally.as_dict()
    for name in ("total", "pending", "hidden", "represented", "submitters"):
        assert body[name] == expected[name], name
    assert _nonzero(body["by_stance"]) == expected["by_stance"]
    assert _nonzero(body["by_category"]) == expected["by_category"]
    assert body["version"] == {"number": 1, "reading": "consultation"}
    assert [clause["key"] for clause in body["provisions"]] == [clause["key"] for clause in expected["provisions"]]
    for got, want in zip([body["whole_draft"], *body["provisions"]], [expected["whole_draft"], *expected["provisions"]]):
        for name in ("key", "kind", "label", "total", "own_total", "pending", "hidden", "represented", "submitters"):
            assert got[name] == want[name], (got["key"], name)
        assert _nonzero(got["by_stance"]) == want["by_stance"], got["key"]
        assert _nonzero(got["by_category"]) == want["by_category"], got["key"]
        assert set(got["by_stance"]) == {"support", "oppose", "amend", "add", "delete", "other"}

    totals, hidden, pending, stances, categories, submitters = _brute_force(open_draft)
    assert body["total"] == totals["*"] and body["hidden"] == hidden["*"] and body["pending"] == pending["*"]
    assert body["submitters"] == len(submitters["*"])
    assert body["whole_draft"]["total"] == totals["whole"]
    assert body["whole_draft"]["submitters"] == len(submitters["whole"])
    for clause in body["provisions"]:
        key = clause["key"]
        assert clause["total"] == totals[key], key
        assert clause["hidden"] == hidden[key], key
        assert clause["pending"] == pending[key], key
        assert _nonzero(clause["by_stance"]) == dict(stances[key]), key
        assert _nonzero(clause["by_category"]) == dict(categories[key]), key
        assert clause["submitters"] == len(submitters[key]), key
    assert body["total"] > 0 and body["hidden"] > 0 and body["pending"] > 0


def test_tally_is_public_for_published_drafts_without_pending_and_hidden(api_get, open_draft, make_user, frozen_now,
                                                                        citizen_token):
    _seed_history(open_draft, make_user, frozen_now)
    for token in (None, citizen_token):
        body = api_get(f"/drafts/{open_draft.id}/tally", token).get_json()
        # The public reading: the opinions pending review are not counted at all.
        public = compute_tally(open_draft.id, open_draft.current_version.id, published_only=True)
        assert body["total"] == public.total < compute_tally(open_draft.id, open_draft.current_version.id).total
        assert body["submitters"] == public.overall.submitters and body["counted"] == "published"
        assert body["pending"] is None and body["hidden"] is None
        assert all(clause["pending"] is None and clause["hidden"] is None for clause in body["provisions"])


def test_tally_of_unpublished_or_unknown_draft(api_get, make_draft, citizen_token, staff_token):
    unpublished = make_draft()
    assert api_get(f"/drafts/{unpublished.id}/tally").status_code == 404
    assert api_get(f"/drafts/{unpublished.id}/tally", citizen_token).status_code == 404
    response = api_get(f"/drafts/{unpublished.id}/tally", staff_token)
    assert response.status_code == 200 and response.get_json()["total"] == 0
    assert api_get("/drafts/4242/tally").status_code == 404


def test_tally_moves_with_submissions(post_comment, api_get, open_draft, citizen_token):
    before = api_get(f"/drafts/{open_draft.id}/tally").get_json()
    assert post_comment(open_draft.id, _valid(stance="oppose"), citizen_token).status_code == 201
    after = api_get(f"/drafts/{open_draft.id}/tally").get_json()
    assert after["total"] == before["total"] + 1
    clauses = {clause["key"]: clause for clause in after["provisions"]}
    for key in ("art.3", "art.3.1", "art.3.1.2", "ch.2"):
        assert clauses[key]["total"] == 1 and clauses[key]["by_stance"]["oppose"] == 1, key
    assert clauses["art.3.1.2"]["own_total"] == 1 and clauses["art.3"]["own_total"] == 0
    assert clauses["art.1"]["total"] == 0


# --- GET /drafts/<id>/provisions/<key>/opinions ----------------------------------------------

def _publish_many(draft, author, frozen_now, keys):
    ids = []
    for n, key in enumerate(keys):
        frozen_now.advance(seconds=1 if n % 3 else 0)  # some share a timestamp: the id breaks ties
        submitted = service.submit_opinion(
            draft, service.OpinionInput(body=f"第{n}条意见", provision_key=key, contact="13800000000",
                                        submitter_name="实名", is_name_public=n % 2 == 0),
            author=author, now=frozen_now.now)
        opinion = db.session.get(Opinion, submitted.id)
        ids.append(opinion.id)
    db.session.commit()
    return ids


def test_clause_listing_pages_through_an_article_and_its_parts_newest_first(api_get, open_draft, citizen, frozen_now):
    open_draft.shows_opinions_publicly = True
    db.session.commit()
    keys = ["art.3", "art.3.1", "art.3.1.1", "art.3.1.3", "art.2", None] * 9
    ids = _publish_many(open_draft, citizen, frozen_now, keys)
    hidden = db.session.get(Opinion, ids[0])
    hidden.moderation_state = "hidden"
    held = db.session.get(Opinion, ids[1])
    held.moderation_state = "pending"
    db.session.commit()
    expected = [i for i, key in zip(ids, keys) if key and key.startswith("art.3")][2:]
    expected.reverse()

    seen, cursor, pages = [], None, 0
    while True:
        query = "?per_page=7" + (f"&cursor={cursor}" if cursor else "")
        response = api_get(f"/drafts/{open_draft.id}/provisions/art.3/opinions{query}")
        assert response.status_code == 200, response.get_data(as_text=True)
        body = response.get_json()
        assert body["total"] == len(expected) and body["per_page"] == 7
        assert body["provision"] == {"key": "art.3", "kind": "article", "label": "第三条"}
        assert len(body["items"]) <= 7
        seen += [item["id"] for item in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == expected and pages == -(-len(expected) // 7)
    item = body["items"][-1]
    assert set(item) == {"id", "provision", "provision_label", "stance", "body", "proposed_text", "reason", "category",
                         "region", "name", "submitted_at"}
    labels = {item["provision"]: item["provision_label"]
              for item in api_get(f"/drafts/{open_draft.id}/provisions/art.3/opinions?per_page=50").get_json()["items"]}
    assert labels["art.3.1.3"] == "第三条第（三）项"
    # A paragraph lists only itself and its items.
    body = api_get(f"/drafts/{open_draft.id}/provisions/art.3.1.3/opinions").get_json()
    assert body["total"] == keys.count("art.3.1.3") and {item["provision"] for item in body["items"]} == {"art.3.1.3"}


def test_clause_listing_visibility(api_get, open_draft, make_draft, citizen, citizen_token, staff_token, frozen_now):
    _publish_many(open_draft, citizen, frozen_now, ["art.1"])
    path = f"/drafts/{open_draft.id}/provisions/art.1/opinions"
    for token in (None, citizen_token):
        response = api_get(path, token)
        assert response.status_code == 404 and response.get_json()["error"] == "not_found"
    assert api_get(path, staff_token).get_json()["total"] == 1
    unpublished = make_draft()
    assert api_get(f"/drafts/{unpublished.id}/provisions/art.1/opinions").status_code == 404
    open_draft.shows_opinions_publicly = True
    db.session.commit()
    assert api_get(path).get_json()["total"] == 1
    for key in ("art.99", "ch.1", "x" * 100):
        assert api_get(f"/drafts/{open_draft.id}/provisions/{key}/opinions").status_code == 404, key


def test_clause_listing_rejects_bad_parameters(api_get, open_draft):
    open_draft.shows_opinions_publicly = True
    db.session.commit()
    # Well-formed cursors past any real id or time are fine (and no 500 on PostgreSQL).
    for cursor in ("99999999999999999-9999999999", "0-0"):
        assert api_get(f"/drafts/{open_draft.id}/provisions/art.1/opinions?cursor={cursor}").status_code == 200
    for query in ("cursor=garbage", "cursor=1-", "cursor=123456789012345678-1", "per_page=0", "per_page=51", "per_page=x"):
        response = api_get(f"/drafts/{open_draft.id}/provisions/art.1/opinions?{query}")
        assert response.status_code == 422, query


# --- GET /receipts/<code> ---------------------------------------------------------------------

def test_receipt_lookup_tells_the_status_only(post_comment, api_get, open_draft, citizen_token, staff, frozen_now):
    created = post_comment(open_draft.id, _valid(), citizen_token).get_json()
    code = created["receipt"]
    body = api_get(f"/receipts/{code}").get_json()
    assert body == {"receipt": code, "status": "published", "status_label": "已公开",
                    "draft": {"id": open_draft.id, "title": open_draft.title}, "provision": "art.3.1.2",
                    "submitted_at": body["submitted_at"],
                    # The answer waits for the draft's 意见采纳情况 (tests/feedback/test_receipt_answers.py).
                    "feedback_published": False, "disposition": None, "disposition_label": None, "reason": None,
                    "feedback_url": None}
    sloppy = code.replace("-", " ").lower()
    assert api_get(f"/receipts/{sloppy}").get_json()["receipt"] == code
    opinion = db.session.get(Opinion, created["id"])
    service.hide_opinion(opinion, reason="含有广告", by=staff, now=frozen_now.now)
    db.session.commit()
    body = api_get(f"/receipts/{code}").get_json()
    assert body["status"] == "hidden" and "含有广告" not in json.dumps(body, ensure_ascii=False)
    opinion.moderation_state = "pending"
    db.session.commit()
    assert api_get(f"/receipts/{code}").get_json()["status"] == "received"


def test_unknown_or_malformed_receipt_is_404(api_get):
    for code in ("ABCD-2345-WXYZ", "nonsense", "%E4%B8%AD"):
        response = api_get(f"/receipts/{code}")
        assert response.status_code == 404 and response.get_json()["error"] == "not_found"


# --- health -------------------------------------------------------------------------------------

def test_healthz_and_readyz(app, client):
    import search

    # A fresh instance has no search index until its indexer's first cycle builds it
    # (readyz says so: tests/search/test_search_healing.py); build it, as that cycle would.
    assert search.drain(app).ok
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}
    assert response.headers["Cache-Control"] == "no-store"
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "checks": {
        "database": {"state": "ok"},
        "rate_limits": {"state": "ok"},
        "search": {"state": "ok", "backlog": 0, "oldest_age_seconds": None},
    }}
    assert response.headers["Cache-Control"] == "no-store"


def test_readyz_is_503_when_the_database_is_unreachable(app, client, monkeypatch):
    from sqlalchemy.exc import OperationalError

    def broken(*args, **kwargs):
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    monkeypatch.setattr(db.session, "execute", broken)
    response = client.get("/readyz")
    assert response.status_code == 503 and response.get_json() == {
        "status": "unavailable", "checks": {"database": {"state": "unavailable"}}}
    assert client.get("/healthz").status_code == 200
