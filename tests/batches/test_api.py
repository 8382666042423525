"""POST /api/v1/liaison-points/<id>/batches: multipart and JSON, 201/200/422, access,
limits (413 before the body is read)."""
from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from bench.batch_data import csv_bytes
from participation.extensions import db
from participation.models import Batch, Opinion
from participation.services import accounts
from tests.batches.conftest import row

ACTIVITY = {"kind": "座谈会", "date": "2026-01-05", "place": "社区活动室", "participants": 30}


@pytest.fixture
def token(app):
    def issue(user) -> dict:
        _token, secret = accounts.issue_api_token(user, name="批次接口")
        db.session.commit()
        return {"Authorization": f"Bearer {secret}"}

    return issue


def _count(model) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model))


def _multipart(client, point, headers, data, filename="意见.xlsx", **fields):
    form = {"draft": str(fields.pop("draft")), "kind": "forum", "date": "2026-01-05", "file": (io.BytesIO(data), filename)}
    form.update(fields)
    return client.post(f"/api/v1/liaison-points/{point.id}/batches", data=form, headers=headers,
                       content_type="multipart/form-data")


def _json(client, point, headers, body):
    return client.post(f"/api/v1/liaison-points/{point.id}/batches", json=body, headers=headers)


def test_multipart_upload_then_the_same_file_again(client, token, operator, point, draft, xlsx):
    headers = token(operator)
    data = xlsx([row("第三条第（三）项", "停车难", represented=4), row("总体意见", "赞成")])
    response = _multipart(client, point, headers, data, draft=draft.id)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["rows"] == 2 and body["represented"] == 5 and body["draft"] == draft.id
    assert body["liaison_point"] == point.id and body["entered_by_staff"] is False
    assert [r["row"] for r in body["receipts"]] == [2, 3]
    assert response.headers["Location"] == f"/batches/{body['id']}"
    again = _multipart(client, point, headers, data, "改了名字.xlsx", draft=draft.id)
    assert again.status_code == 200 and again.get_json()["id"] == body["id"]
    assert again.get_json()["receipts"] == body["receipts"]
    assert _count(Batch) == 1 and _count(Opinion) == 2


def test_multipart_gbk_csv(client, token, operator, point, draft):
    data = csv_bytes([row("第3条第2款第3项", "停车难", "反对", category="企业")], encoding="gbk")
    response = _multipart(client, point, token(operator), data, "意见.csv", draft=draft.id)
    assert response.status_code == 201 and response.get_json()["source"]["encoding"] == "gb18030"


def test_json_rows_with_chinese_words_and_keys(client, token, operator, point, draft):
    headers = token(operator)
    rows = [
        {"provision": "art.3.2.3", "body": "停车难", "stance": "修改", "category": "居民", "represented": 3},
        {"provision": "第三条第（一）项", "body": "设施维护", "stance": "support", "category": "lawyer", "name": "张三"},
        {"provision": None, "body": "总体赞成", "represented": 2},
    ]
    response = _json(client, point, headers, {"draft": draft.id, "activity": ACTIVITY, "rows": rows})
    assert response.status_code == 201, response.get_json()
    opinions = db.session.scalars(select(Opinion).order_by(Opinion.batch_row)).all()
    assert [(o.provision_key, o.stance, o.category, o.represented_count) for o in opinions] == [
        ("art.3.2.3", "amend", "citizen", 3), ("art.3.2.1", "support", "lawyer", 1), (None, "other", "citizen", 2)]
    again = _json(client, point, headers, {"draft": draft.id, "activity": ACTIVITY, "rows": rows})
    assert again.status_code == 200 and again.get_json()["id"] == response.get_json()["id"]


def test_idempotency_key(client, token, operator, point, draft):
    headers = {**token(operator), "Idempotency-Key": "forum-2026-01-05"}
    body = {"draft": draft.id, "activity": ACTIVITY, "rows": [{"body": "意见"}]}
    first = _json(client, point, headers, body)
    assert first.status_code == 201
    assert _json(client, point, headers, body).status_code == 200
    other = _json(client, point, headers, {**body, "rows": [{"body": "另一条"}]})
    assert other.status_code == 422 and "Idempotency-Key" in other.get_json()["message"]
    assert other.get_json()["error"] == "idempotency_key_conflict"
    assert set(other.get_json()["fields"]) == {"Idempotency-Key"}
    assert other.get_json()["errors"][0]["column"] == "Idempotency-Key"
    bad = _json(client, point, {**headers, "Idempotency-Key": "有中文"}, body)
    assert bad.status_code == 422 and bad.get_json()["errors"][0]["column"] == "Idempotency-Key"


def test_idempotency_key_with_another_file_is_422(client, token, operator, point, draft, xlsx):
    headers = {**token(operator), "Idempotency-Key": "forum-file-1"}
    first = _multipart(client, point, headers, xlsx([row("第三条", "意见一")]), draft=draft.id)
    assert first.status_code == 201
    again = _multipart(client, point, headers, xlsx([row("第三条", "意见一")]), draft=draft.id)
    assert again.status_code == 200 and again.get_json()["id"] == first.get_json()["id"]
    other = _multipart(client, point, headers, xlsx([row("第三条", "意见二")]), draft=draft.id)
    assert other.status_code == 422 and other.get_json()["error"] == "idempotency_key_conflict"
    assert _count(Batch) == 1


def test_every_row_error_is_reported_and_nothing_stored(client, token, operator, point, draft, xlsx):
    data = xlsx([row("第三条", "好的"), row("第九十九条", "", "支持吧"), row("第二章", "意见", represented="0")])
    response = _multipart(client, point, token(operator), data, draft=draft.id)
    assert response.status_code == 422
    body = response.get_json()
    assert body["error"] == "validation_failed" and "3" in body["message"] or "错误" in body["message"]
    assert [(e["row"], e["column"]) for e in body["errors"]] == [
        (3, "条款"), (3, "意见内容"), (3, "态度"), (4, "条款"), (4, "反映群众人数")]
    assert all(set(e) == {"row", "column", "value", "message"} for e in body["errors"])
    assert body["errors"][0]["value"] == "第九十九条"
    response = _json(client, point, token(operator), {"draft": draft.id, "activity": ACTIVITY, "rows": [
        {"body": "好"}, {"body": "", "stance": "maybe"}, {"body": 5, "colour": "red"}, "not an object"]})
    assert response.status_code == 422
    assert [(e["row"], e["column"]) for e in response.get_json()["errors"]] == [
        (2, "body"), (2, "stance"), (3, "colour"), (3, "body"), (4, "rows")]
    # The JSON rows take exactly the documented types and words.
    response = _json(client, point, token(operator), {"draft": draft.id, "activity": ACTIVITY, "rows": [
        {"body": "好", "represented": "2"}, {"body": "好", "stance": " 赞成", "category": "Lawyer"}]})
    assert [(e["row"], e["column"]) for e in response.get_json()["errors"]] == [
        (1, "represented"), (2, "stance"), (2, "category")]
    assert _count(Batch) == 0 and _count(Opinion) == 0


def test_request_level_errors_are_422_with_fields(client, token, operator, point, draft):
    headers = token(operator)
    response = _json(client, point, headers, {"draft": "abc", "activity": {"kind": "开会", "date": "明天", "x": 1},
                                              "extra": True})
    body = response.get_json()
    assert response.status_code == 422
    assert set(body["fields"]) == {"draft", "activity.kind", "activity.date", "activity.x", "extra", "rows"}
    assert {e["column"] for e in body["errors"]} == set(body["fields"]) and all(e["row"] is None for e in body["errors"])
    response = client.post(f"/api/v1/liaison-points/{point.id}/batches",
                           data={"draft": str(draft.id), "kind": "forum", "date": "2026-01-05"}, headers=headers,
                           content_type="multipart/form-data")
    assert response.status_code == 422 and "file" in response.get_json()["fields"]
    response = _multipart(client, point, headers, b"x" * 10, "意见.xlsm", draft=draft.id)
    assert response.status_code == 422 and "宏" in response.get_json()["errors"][0]["message"]
    response = client.post(f"/api/v1/liaison-points/{point.id}/batches", data=b"a,b", headers={**headers,
                           "Content-Type": "text/csv"})
    assert response.status_code == 415


def test_payload_too_large_is_refused_before_the_body_is_read(app, client, token, operator, point):
    headers = token(operator)
    limit = app.config["MAX_CONTENT_LENGTH"]

    class Unreadable(io.BytesIO):
        def read(self, *args):
            raise AssertionError("the body was read")

        read1 = readline = readinto = read

    response = client.post(f"/api/v1/liaison-points/{point.id}/batches", input_stream=Unreadable(),
                           headers={**headers, "Content-Type": "multipart/form-data; boundary=x"},
                           environ_overrides={"CONTENT_LENGTH": str(limit + 1)})
    assert response.status_code == 413 and response.get_json()["error"] == "payload_too_large"


def test_access(client, token, operator, staff, make_user, make_point, point, draft):
    body = {"draft": draft.id, "activity": ACTIVITY, "rows": [{"body": "意见"}]}
    assert _json(client, point, {}, body).status_code == 401
    citizen = token(make_user("citizen"))
    assert _json(client, point, citizen, body).status_code == 403
    # By role, the same answer for a point that does not exist.
    assert client.post("/api/v1/liaison-points/99999/batches", json=body, headers=citizen).status_code == 403
    other_operator = make_user("operator", liaison_point=make_point("别的联系点"))
    response = _json(client, point, token(other_operator), body)
    assert response.status_code == 404 and response.get_json()["error"] == "not_found"
    assert client.post("/api/v1/liaison-points/99999/batches", json=body,
                       headers=token(other_operator)).get_json() == response.get_json()
    assert client.post("/api/v1/liaison-points/99999/batches", json=body, headers=token(staff)).status_code == 404
    response = _json(client, point, token(staff), body)
    assert response.status_code == 201 and response.get_json()["entered_by_staff"] is True
    point.is_active = False
    db.session.commit()
    assert _json(client, point, token(operator), {**body, "rows": [{"body": "新的"}]}).status_code == 409


def test_closed_drafts(client, token, operator, staff, point, draft, frozen_now):
    frozen_now.advance(days=31)
    body = {"draft": draft.id, "activity": ACTIVITY, "rows": [{"body": "意见"}]}
    response = _json(client, point, token(operator), body)
    assert response.status_code == 409
    response = _json(client, point, token(staff), body)
    assert response.status_code == 422 and "late_reason" in response.get_json()["fields"]
    response = _json(client, point, token(staff), {**body, "activity": {**ACTIVITY, "late_reason": "逾期送达"}})
    assert response.status_code == 201 and response.get_json()["late_reason"] == "逾期送达"


def test_documented_in_openapi(client):
    document = client.get("/api/v1/openapi.json").get_json()
    operation = document["paths"]["/liaison-points/{point_id}/batches"]["post"]
    assert set(operation["requestBody"]["content"]) == {"application/json", "multipart/form-data"}
    assert {"200", "201", "413", "422"} <= set(operation["responses"])
    assert operation["responses"]["422"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/BatchValidationError"}
    error = document["components"]["schemas"]["BatchRowError"]
    assert set(error["required"]) == {"row", "column", "value", "message"}
