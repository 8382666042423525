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
