"""Fixtures for the accounts tests: people of every role, liaison points, CSRF-aware
clients and cheap password hashing where many accounts are made per test."""
from __future__ import annotations

import re
from functools import partial

import pytest
from flask_babel import force_locale
from werkzeug.security import generate_password_hash

from participation.extensions import db

STRONG_PASSWORD = "a-brand-new-passphrase"
_CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@pytest.fixture
def zh(app):
    """Chinese messages outside a request (services called straight from a test)."""
    with force_locale("zh_CN"):
        yield


@pytest.fixture
def fast_hashing(monkeypatch):
    """One cheap PBKDF2 round instead of scrypt, for tests that make many accounts; the
    algorithm itself is checked in test_services."""
    from participation.services import accounts

    monkeypatch.setattr(accounts, "generate_password_hash",
                        partial(generate_password_hash, method="pbkdf2:sha256:1"))


@pytest.fixture
def make_point(app):
    from participation.services.liaison import create_liaison_point, update_liaison_point

    counter = {"n": 0}

    def make(name=None, *, region="测试区", address="", active=True):
        counter["n"] += 1
        point = create_liaison_point(name=name or f"测试街道基层立法联系点{counter['n']}", region=region,
                                     address=address)
        if not active:
            update_liaison_point(point, name=point.name, region=point.region, address=point.address,
                                 is_active=False)
        db.session.commit()
        return point

    return make


@pytest.fixture
def new_client(app, login):
    """Another browser: ``new_client()`` anonymous, ``new_client(user)`` signed in."""

    def make(user=None, **environ):
        client = app.test_client()
        if environ:
            client.environ_base.update(environ)
        if user is not None:
            login(user, test_client=client)
        return client

    return make


def csrf_token(client, path="/login") -> str:
    html = client.get(path).get_data(as_text=True)
    match = _CSRF_RE.search(html)
    assert match, f"no csrf_token on {path}"
    return match.group(1)


def text(response) -> str:
    return response.get_data(as_text=True)


def redirects_to_login(response) -> bool:
    return response.status_code == 302 and "/login" in response.headers.get("Location", "")
