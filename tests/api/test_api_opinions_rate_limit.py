"""Submissions are limited per token (OPINION_API_RATE_LIMIT), on top of the API's
per-address limit; the refusal is JSON."""
from __future__ import annotations

import json

import pytest

from tests.api.helpers import bearer


@pytest.fixture
def app_config(app_config):
    app_config["RATELIMIT_ENABLED"] = True
    app_config["API_RATE_LIMIT"] = "100 per minute"
    app_config["OPINION_API_RATE_LIMIT"] = "2 per minute"
    return app_config


def test_submissions_are_limited_per_token(client, make_draft, make_user, issue_token):
    draft = make_draft(published=True)
    first, second = issue_token(make_user("citizen")), issue_token(make_user("citizen"))
    payload = json.dumps({"provision": None, "stance": "support", "body": "赞成。"})

    def post(token):
        return client.post(f"/api/v1/drafts/{draft.id}/comments", data=payload, content_type="application/json",
                           headers=bearer(token))

    assert [post(first).status_code for _ in range(3)] == [201, 201, 429]
    refused = post(first)
    assert refused.status_code == 429 and refused.mimetype == "application/json"
    assert refused.get_json()["error"] == "too_many_requests"
    assert "Retry-After" in refused.headers
    # Another token from the same address is not held back, and reads are not counted.
    assert post(second).status_code == 201
    assert client.get(f"/api/v1/drafts/{draft.id}/tally", headers=bearer(first)).status_code == 200


def test_a_bad_token_is_still_401_under_rate_limiting(client, make_draft):
    draft = make_draft(published=True)
    response = client.post(f"/api/v1/drafts/{draft.id}/comments", data="{}", content_type="application/json",
                           headers=bearer("lpp_wrong"))
    assert response.status_code == 401


def test_the_per_address_limit_still_applies_to_submissions(app, client, make_draft, make_user, issue_token):
    # The per-token limit lives on a blueprint nested in the API's, so that one
    # Flask-Limiter pass checks both: the API's own limit must not be lost on the way.
    app.config["API_RATE_LIMIT"] = "3 per minute"
    app.config["OPINION_API_RATE_LIMIT"] = "100 per minute"
    draft = make_draft(published=True)
    tokens = [issue_token(make_user("citizen")) for _ in range(4)]
    payload = json.dumps({"provision": None, "stance": "support", "body": "赞成。"})
    statuses = [client.post(f"/api/v1/drafts/{draft.id}/comments", data=payload, content_type="application/json",
                            headers=bearer(token)).status_code for token in tokens]
    assert statuses == [201, 201, 201, 429]


def test_submissions_report_the_per_token_limit_and_need_no_csrf_token(app, client, make_draft, make_user,
                                                                       issue_token):
    app.config["WTF_CSRF_ENABLED"] = True  # the API is exempt, its nested blueprints too
    draft = make_draft(published=True)
    response = client.post(f"/api/v1/drafts/{draft.id}/comments", content_type="application/json",
                           data=json.dumps({"provision": None, "stance": "support", "body": "赞成。"}),
                           headers=bearer(issue_token(make_user("citizen"))))
    assert response.status_code == 201
    assert response.headers["X-RateLimit-Limit"] == "2" and response.headers["X-RateLimit-Remaining"] == "1"
