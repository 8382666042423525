"""Fixtures for the search tests: opinions written straight to the database (every
non-null column set), a published draft whose opinions are public, and helpers to run
the indexer synchronously (tests run with SEARCH_INDEXER=external: nothing indexes in
the background unless a test starts the thread itself)."""
from __future__ import annotations

import itertools
import uuid

import pytest

from participation.extensions import db
from participation.models import Opinion, Provision
from participation.database import utcnow

_counter = itertools.count(1)


@pytest.fixture
def public_draft(make_draft):
    draft = make_draft(published=True)
    draft.shows_opinions_publicly = True
    db.session.commit()
    return draft


@pytest.fixture
def make_opinion(app):
    def make(draft, body, *, key=None, stance="amend", category="citizen", state="published",
             proposed_text="", reason="", region="", submitter_name="", is_name_public=False,
             contact="", liaison_point_id=None, created_at=None, commit=True):
        provision = None
        if key is not None:
            provision = db.session.scalar(
                db.select(Provision).where(Provision.version_id == draft.current_version.id, Provision.key == key))
            assert provision is not None, key
        n = next(_counter)
        opinion = Opinion(
            draft_id=draft.id, version_id=draft.current_version.id,
            provision_id=provision.id if provision else None, provision_key=key,
            stance=stance, body=body, proposed_text=proposed_text, reason=reason,
            category=category, region=region, submitter_name=submitter_name, is_name_public=is_name_public,
            contact=contact, author_id=None, submitter_key=f"u:{n}", liaison_point_id=liaison_point_id,
            moderation_state=state, receipt_code=f"T{n:05d}{uuid.uuid4().hex[:8]}",
            created_at=created_at or utcnow(),
        )
        db.session.add(opinion)
        if commit:
            db.session.commit()
        return opinion

    return make


@pytest.fixture
def drain(app):
    """Run the indexer once, synchronously; fails the test unless it worked."""
    import search

    def run(**kwargs):
        # End the test's own transaction first, as a request would: on SQLite it holds
        # the write lock the indexer needs to delete applied outbox rows.
        db.session.commit()
        result = search.drain(app, **kwargs)
        assert result.ok, result
        return result

    return run


@pytest.fixture
def search_api(client):
    def run(headers=None, **params):
        response = client.get("/api/v1/search", query_string=params, headers=headers or {})
        assert response.status_code == 200, response.get_data(as_text=True)[:1000]
        return response.get_json()

    return run


def hit_ids(result, kind="opinion"):
    return [hit["id"] for hit in result["hits"] if hit["type"] == kind]


@pytest.fixture
def token_headers(make_user):
    """Authorization headers of a new account with the given role."""
    from participation.services import accounts

    def make(role="staff"):
        user = make_user(role)
        _token, secret = accounts.issue_api_token(user, name="搜索测试")
        db.session.commit()
        return {"Authorization": f"Bearer {secret}"}

    return make
