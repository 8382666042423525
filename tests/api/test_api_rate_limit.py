"""The API is rate limited per address; the refusal is JSON too."""
from __future__ import annotations

import pytest


@pytest.fixture
def app_config(app_config):
    app_config["RATELIMIT_ENABLED"] = True
    app_config["API_RATE_LIMIT"] = "3 per minute"
    return app_config


def test_too_many_requests_is_json_429(client):
    statuses = [client.get("/api/v1/drafts").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    response = client.get("/api/v1/drafts")
    assert response.status_code == 429
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert body["error"] == "too_many_requests"
    assert body["message"]


def test_refusal_reports_the_limit_and_when_to_retry(client):
    answers = [client.get("/api/v1/drafts") for _ in range(4)]
    assert [a.headers["X-RateLimit-Remaining"] for a in answers] == ["2", "1", "0", "0"]
    refused = answers[-1]
    assert refused.headers["X-RateLimit-Limit"] == "3"
    assert 0 < int(refused.headers["Retry-After"]) <= 60
    assert int(refused.headers["X-RateLimit-Reset"]) >= int(answers[0].headers["X-RateLimit-Reset"])


def test_limits_count_per_route(client):
    # As Flask-Limiter counted them (its storage keys: address, then endpoint).
    assert [client.get("/api/v1/drafts").status_code for _ in range(3)] == [200, 200, 200]
    assert client.get("/api/v1/drafts/999999").status_code == 404


def test_a_limit_string_may_hold_several_limits(app, client):
    app.config["API_RATE_LIMIT"] = "5 per hour; 2 per minute"
    statuses = [client.get("/api/v1/drafts").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    # The shorter window is checked and reported first, as Flask-Limiter sorts them.
    assert client.get("/api/v1/drafts").headers["X-RateLimit-Limit"] == "2"


def test_rate_limiting_can_be_turned_off(app, client):
    from participation.extensions import limiter

    limiter.enabled = False
    try:
        responses = [client.get("/api/v1/drafts") for _ in range(5)]
    finally:
        limiter.enabled = True
    assert [r.status_code for r in responses] == [200] * 5
    assert "X-RateLimit-Limit" not in responses[-1].headers
