"""Every error under /api/ is JSON: {"error", "message"} and, for 422, "fields"."""
from __future__ import annotations

import pytest

from tests.api.helpers import bearer


def _error(response, status, code):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert body["error"] == code
    assert isinstance(body["message"], str) and body["message"]
    return body


def test_unknown_path_is_json_404(client):
    body = _error(client.get("/api/v1/no-such-thing"), 404, "not_found")
    assert "fields" not in body
    _error(client.get("/api/v1/"), 404, "not_found")


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_unsupported_method_is_json_405_with_allow(client, method):
    for path in ("/api/v1/drafts", "/api/v1/drafts/1", "/api/v1/me", "/api/v1/openapi.json"):
        response = getattr(client, method)(path)
        _error(response, 405, "method_not_allowed")
        assert set(response.headers["Allow"].replace(" ", "").split(",")) == {"GET", "HEAD", "OPTIONS"}


def test_the_allow_header_is_restored_by_one_hook_for_every_api_blueprint(app, client):
    from participation.api.errors import _add_allow_header

    # The search API has its own blueprint: the app-wide hook is still added once.
    assert "search_api" in app.blueprints
    assert app.after_request_funcs[None].count(_add_allow_header) == 1
    response = client.post("/api/v1/search")
    assert response.status_code == 405 and "GET" in response.headers["Allow"]


def test_validation_error_lists_fields(api_get):
    body = _error(api_get("/drafts?per_page=500"), 422, "validation_failed")
    assert set(body["fields"]) == {"per_page"}


def test_service_errors_map_to_statuses(probe_app):
    client = probe_app.test_client()
    body = _error(client.get("/api/v1/_probe/conflict"), 409, "conflict")
    assert body["message"] == "草案已经发布。"
    body = _error(client.get("/api/v1/_probe/invalid"), 422, "validation_failed")
    assert body["fields"] == {"title": ["请填写草案标题。"]}
    _error(client.get("/api/v1/_probe/gone"), 404, "not_found")


@pytest.fixture
def poster(probe_app, make_user, issue_token):
    client = probe_app.test_client()
    headers = bearer(issue_token(make_user("citizen")))

    def post(**kwargs):
        return client.post("/api/v1/_probe/echo", headers={**headers, **kwargs.pop("headers", {})}, **kwargs)

    return post


def test_json_bodies_are_read(poster):
    response = poster(json={"标题": "中文"})
    assert response.status_code == 200
    assert response.get_json()["received"] == {"标题": "中文"}


@pytest.mark.parametrize("data", [b"{not json", b"", b"[1, 2]", b"null", b"\xff\xfe{}", b'{"a": 1'])
def test_malformed_json_is_400(poster, data):
    body = _error(poster(data=data, content_type="application/json"), 400, "malformed_json")
    assert "JSON" in body["message"]


def test_a_body_that_is_not_declared_json_is_415(poster):
    _error(poster(data="a=1", content_type="application/x-www-form-urlencoded"), 415, "unsupported_media_type")


def test_an_oversized_body_is_json_413(probe_app, poster):
    probe_app.config["MAX_CONTENT_LENGTH"] = 1024
    _error(poster(data=b'{"a": "' + b"x" * 4096 + b'"}', content_type="application/json"), 413, "payload_too_large")


def test_an_unexpected_failure_is_json_500_and_logged(probe_app, caplog):
    response = probe_app.test_client().get("/api/v1/_probe/crash")
    body = _error(response, 500, "internal_error")
    assert "boom" not in body["message"]  # no internals leak to clients
    assert any("unhandled API error" in record.message for record in caplog.records)


def test_html_pages_keep_their_html_errors(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert response.mimetype == "text/html"
