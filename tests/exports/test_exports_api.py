"""The exports API with staff tokens: create → follow → download with the same token;
the staff rows as JSON, cursor-paged; bad filters named in a 422."""
from __future__ import annotations

import pytest

from participation import jobs, queries
from participation.extensions import db
from participation.queries import StaffOpinionFilters
from participation.services import accounts
from tests.exports.conftest import read_docx, read_xlsx


@pytest.fixture
def tokens(export_world, make_user):
    staff, colleague, admin = export_world["staff"], make_user("staff"), make_user("admin")
    issued = {name: accounts.issue_api_token(user, name="t")[1]
              for name, user in (("staff", staff), ("colleague", colleague), ("admin", admin))}
    db.session.commit()
    return issued


def _call(client, method, url, token, **kwargs):
    db.session.rollback()
    response = client.open(url, method=method, headers={"Authorization": f"Bearer {token}"}, **kwargs)
    db.session.rollback()
    return response


@pytest.mark.parametrize("kind, reader", [("xlsx", read_xlsx), ("docx", read_docx)])
def test_create_follow_download(app, client, export_world, tokens, kind, reader):
    draft = export_world["draft"]
    created = _call(client, "POST", f"/api/v1/drafts/{draft.id}/exports", tokens["staff"],
                    json={"format": kind, "filter": {"clause": "第二条", "stance": "delete"}})
    assert created.status_code == 202, created.get_json()
    body = created.get_json()
    assert body["status_url"] == f"/api/v1/exports/{body['id']}" == created.headers["Location"]
    status = _call(client, "GET", body["status_url"], tokens["staff"]).get_json()
    assert (status["state"], status["download_url"]) == ("queued", None)
    jobs.run_pending(app)
    status = _call(client, "GET", body["status_url"], tokens["staff"]).get_json()
    assert status["state"] == "done" and status["progress"]["percent"] == 100
    assert status["download_url"] == f"/api/v1/exports/{body['id']}/download"
    download = _call(client, "GET", status["download_url"], tokens["staff"])
    assert download.status_code == 200 and "filename*=UTF-8''" in download.headers["Content-Disposition"]
    document = reader(download.data)
    if kind == "xlsx":
        receipts = [row[0] for row in document.worksheets[0].iter_rows(min_row=2, values_only=True)]
        expected = [o.receipt_code for o in db.session.scalars(queries.staff_opinions_query(
            draft.id, StaffOpinionFilters(clause="art.2", stance="delete")))]
        assert receipts == expected and len(expected) == 3
    else:
        assert any("共 3 条相同意见" in cell.text for table in document.tables for row in table.rows
                   for cell in row.cells)
    # Another staff member's token: as if it did not exist. An admin's: allowed.
    assert _call(client, "GET", body["status_url"], tokens["colleague"]).status_code == 404
    assert _call(client, "GET", status["download_url"], tokens["colleague"]).status_code == 404
    assert _call(client, "GET", status["download_url"], tokens["admin"]).status_code == 200


def test_not_ready_and_expired(app, client, export_world, tokens, frozen_now):
    created = _call(client, "POST", f"/api/v1/drafts/{export_world['draft'].id}/exports", tokens["staff"],
                    json={"format": "xlsx"}).get_json()
    download = f"/api/v1/exports/{created['id']}/download"
    response = _call(client, "GET", download, tokens["staff"])
    assert response.status_code == 409 and response.get_json()["error"] == "not_ready"
    jobs.run_pending(app)
    frozen_now.advance(hours=app.config["JOB_FILE_HOURS"], minutes=1)
    response = _call(client, "GET", download, tokens["staff"])
    assert response.status_code == 410 and response.get_json()["error"] == "expired"
    status = _call(client, "GET", f"/api/v1/exports/{created['id']}", tokens["staff"]).get_json()
    assert status["expired"] is True and status["download_url"] is None


@pytest.mark.parametrize("payload, fields", [
    ({"format": "pdf"}, {"format"}),
    ({}, {"format"}),
    ({"format": "xlsx", "filter": {"stance": "maybe", "batch": -1, "colour": "red"}},
     {"filter.stance", "filter.batch", "filter.colour"}),
    ({"format": "xlsx", "filter": "art.2"}, {"filter"}),
    ({"format": "xlsx", "extra": 1}, {"extra"}),
])
def test_bad_export_requests_name_their_fields(app, client, export_world, tokens, payload, fields):
    response = _call(client, "POST", f"/api/v1/drafts/{export_world['draft'].id}/exports", tokens["staff"],
                     json=payload)
    assert response.status_code == 422
    assert set(response.get_json()["fields"]) == fields


def test_opinions_as_json_match_the_staff_list_page_by_page(app, client, export_world, tokens):
    draft = export_world["draft"]
    expected = [o.receipt_code for o in db.session.scalars(queries.staff_opinions_query(draft.id,
                                                                                          StaffOpinionFilters()))]
    seen, cursor, pages = [], None, 0
    while True:
        url = f"/api/v1/drafts/{draft.id}/opinions?per_page=4" + (f"&cursor={cursor}" if cursor else "")
        body = _call(client, "GET", url, tokens["staff"]).get_json()
        assert body["total"] == len(expected)
        seen += [item["receipt"] for item in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == expected and pages == -(-len(expected) // 4)
    body = _call(client, "GET", f"/api/v1/drafts/{draft.id}/opinions?clause=art.3&category=expert",
                 tokens["staff"]).get_json()
    (item,) = body["items"]
    assert (item["contact"], item["provision_label"], item["name"]) == ("13800000000", "第三条第（二）项", "李四")
    batch = _call(client, "GET", f"/api/v1/drafts/{draft.id}/opinions?liaison_point={export_world['point'].id}",
                  tokens["staff"]).get_json()
    assert batch["total"] == 2 and {i["channel"] for i in batch["items"]} == {"batch"}
    assert batch["items"][0]["activity"]["kind"] == "forum"


def test_bad_list_parameters_are_named(app, client, export_world, tokens):
    response = _call(client, "GET", f"/api/v1/drafts/{export_world['draft'].id}/opinions"
                     "?stance=maybe&batch=abc&cursor=zz&per_page=0", tokens["staff"])
    assert response.status_code == 422
    assert set(response.get_json()["fields"]) == {"stance", "batch", "cursor", "per_page"}
