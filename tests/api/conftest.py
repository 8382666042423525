"""Fixtures for the JSON API: tokens, a client that speaks bearer, and the app with the
probe blueprint of tests/api/helpers.py."""
from __future__ import annotations

import pytest

from participation.extensions import db
from participation.services import accounts
from tests.api.helpers import bearer, probe


@pytest.fixture
def probe_app(app):
    """The test app with the probe blueprint (registered before any request)."""
    app.register_blueprint(probe)
    return app


@pytest.fixture
def issue_token(app):
    def issue(user, name="测试令牌") -> str:
        _token, secret = accounts.issue_api_token(user, name=name)
        db.session.commit()
        return secret

    return issue


@pytest.fixture
def api_get(client):
    """GET /api/v1<path>, with a bearer token when given.

    The test and the requests share one database session (one application context), so
    it is ended before the request, as it is when a real request starts, and after it:
    otherwise the request's read transaction would linger into the test, and a write
    the test makes next would fail on SQLite once another connection (the token's
    last-used bookkeeping) has committed since that transaction began."""

    def get(path: str, token: str | None = None, **kwargs):
        db.session.rollback()
        headers = dict(kwargs.pop("headers", {}))
        if token:
            headers.update(bearer(token))
        response = client.get(f"/api/v1{path}", headers=headers, **kwargs)
        db.session.rollback()
        return response

    return get
