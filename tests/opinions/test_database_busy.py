"""The database refusing for a while — its write lock held by another connection past
the wait the app allows — answers 503 with Retry-After on the page and in the API,
never a 500, and stores nothing (the client can retry with the same Idempotency-Key).

On SQLite the app's busy timeout is cut to a second; on PostgreSQL the
app's connections get a ``lock_timeout``. The lock holder is a connection of its own:
a ``sqlite3`` connection in ``BEGIN IMMEDIATE``, or a PostgreSQL transaction holding
``LOCK TABLE opinions IN EXCLUSIVE MODE``."""
from __future__ import annotations

import json
import sqlite3
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, func, select, text as sql
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from participation import database
from participation.api import auth as api_auth
from participation.extensions import db
from participation.models import Opinion
from tests.api.helpers import bearer
from tests.opinions.conftest import ITEM_KEY


@pytest.fixture
def app_config(app_config, monkeypatch):
    if app_config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        monkeypatch.setattr(database, "SQLITE_BUSY_TIMEOUT_SECONDS", 1)
        monkeypatch.setattr(api_auth, "SQLITE_BUSY_TIMEOUT_SECONDS", 1)
        app_config["SQLALCHEMY_ENGINE_OPTIONS"] = {"connect_args": {"timeout": 1}}
    else:
        app_config["SQLALCHEMY_ENGINE_OPTIONS"] = {"connect_args": {"options": "-c lock_timeout=300"}}
    return app_config


@contextmanager
def write_lock_held(database_url: str):
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        connection = sqlite3.connect(url.database, isolation_level=None, timeout=30)
        connection.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            connection.execute("ROLLBACK")
            connection.close()
        return
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            transaction = connection.begin()
            connection.execute(sql("LOCK TABLE opinions IN EXCLUSIVE MODE"))
            try:
                yield
            finally:
                transaction.rollback()
    finally:
        engine.dispose()


def _opinions() -> int:
    count = db.session.scalar(select(func.count()).select_from(Opinion))
    db.session.commit()
    return count


def test_the_api_answers_503_with_retry_after_and_a_retry_stores_once(app, client, make_user, make_draft,
                                                                        database_url):
    draft = make_draft(published=True)
    from participation.services import accounts

    _token, token = accounts.issue_api_token(make_user("citizen"), name="锁测试")
    draft_id = draft.id
    db.session.commit()
    payload = json.dumps({"provision": None, "stance": "support", "body": "锁被占用时提交的意见。",
                          "submitter": {"category": "citizen"}})
    headers = {**bearer(token), "Idempotency-Key": "busy-retry-1"}
    with write_lock_held(database_url):
        refused = client.post(f"/api/v1/drafts/{draft_id}/comments", data=payload, headers=headers,
                              content_type="application/json")
    assert refused.status_code == 503, refused.get_data(as_text=True)
    assert refused.headers["Retry-After"] == str(database.DATABASE_RETRY_AFTER_SECONDS)
    body = refused.get_json()
    assert body["error"] == "service_unavailable" and "稍后" in body["message"]
    assert _opinions() == 0
    retried = client.post(f"/api/v1/drafts/{draft_id}/comments", data=payload, headers=headers,
                          content_type="application/json")
    assert retried.status_code == 201
    assert _opinions() == 1


def test_the_opinion_form_answers_503_with_a_chinese_page(app, client, login, make_user, make_draft, open_form,
                                                           database_url):
    draft = make_draft(published=True)
    login(make_user("citizen"))
    data = open_form(draft, ITEM_KEY, body="锁被占用时从网页提交的意见。")
    draft_id = draft.id
    db.session.commit()
    with write_lock_held(database_url):
        refused = client.post(f"/drafts/{draft_id}/opinions/new", data=data)
    assert refused.status_code == 503
    assert refused.headers["Retry-After"] == str(database.DATABASE_RETRY_AFTER_SECONDS)
    assert "系统繁忙" in refused.get_data(as_text=True)
    assert _opinions() == 0
