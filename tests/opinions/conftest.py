"""Fixtures for the opinion pages: open drafts, stored opinions and the form's fields."""
from __future__ import annotations

import html
import re
from html.parser import HTMLParser

import pytest
from sqlalchemy import func, select

from participation.extensions import db
from participation.models import Opinion
from participation.services import opinions as service

# The sample draft (tests/conftest.py SAMPLE_DRAFT): art.2 has two paragraphs, art.3
# one paragraph with three items.
ITEM_KEY = "art.3.1.2"
PARAGRAPH_KEY = "art.2.2"

XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'
XSS_ESCAPED = "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;"


def text(response) -> str:
    return response.get_data(as_text=True)


def opinion_count(**where) -> int:
    query = select(func.count()).select_from(Opinion)
    for name, value in where.items():
        query = query.where(getattr(Opinion, name) == value)
    return db.session.scalar(query)


def form_token(page: str) -> str:
    match = re.search(r'name="submission_token" type="hidden" value="([^"]*)"', page)
    assert match, "the form carries a submission token"
    return html.unescape(match.group(1))


def valid_form(token: str, provision: str = "", **overrides) -> dict:
    data = {
        "provision": provision, "submission_token": token, "stance": "amend",
        "body": "建议明确主管部门的职责分工。", "proposed_text": "", "reason": "", "category": "citizen",
        "region": "东城区", "submitter_name": "", "contact": "",
    }
    data.update(overrides)
    return {name: value for name, value in data.items() if value is not None}


@pytest.fixture
def open_draft(make_draft, frozen_now):
    return make_draft(published=True)


@pytest.fixture
def open_form(client):
    """GET the form (as whoever the client is) and return a valid form for it."""

    def fetch(draft, key: str = "", test_client=None, **overrides) -> dict:
        target = test_client or client
        url = f"/drafts/{draft.id}/opinions/new" + (f"?provision={key}" if key else "")
        response = target.get(url)
        assert response.status_code == 200, text(response)[:500]
        return valid_form(form_token(text(response)), key, **overrides)

    return fetch


@pytest.fixture
def make_opinion(frozen_now):
    """Store an opinion through the service, then put it in ``state``."""
    from participation.models import User

    def make(draft, *, key=None, author=None, state="published", body="一条意见", **fields):
        fields.setdefault("stance", "amend")
        author = db.session.get(User, author.id) if author is not None else None
        if author is None and not draft.allows_anonymous_opinions:
            draft.allows_anonymous_opinions = True
        submitted = service.submit_opinion(
            draft, service.OpinionInput(body=body, provision_key=key, **fields), author=author, now=frozen_now.now)
        opinion = db.session.get(Opinion, submitted.id)
        opinion.moderation_state = state
        if state == "hidden":
            opinion.hidden_reason = "测试屏蔽"
        db.session.commit()
        return opinion

    return make


class _Cells(HTMLParser):
    """Rows of the tally table: data-key → {data-col: text}."""

    def __init__(self):
        super().__init__()
        self.rows: dict[str, dict[str, str]] = {}
        self._row = None
        self._col = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "tr" and "data-key" in attrs:
            self._row = self.rows.setdefault(attrs["data-key"], {})
        elif tag == "td" and self._row is not None and "data-col" in attrs:
            self._col = attrs["data-col"]
            self._row[self._col] = ""

    def handle_endtag(self, tag):
        if tag == "td":
            self._col = None
        elif tag == "tr":
            self._row = None

    def handle_data(self, data):
        if self._row is not None and self._col is not None:
            self._row[self._col] += data.strip()


def tally_rows(page: str) -> dict[str, dict[str, int | str]]:
    parser = _Cells()
    parser.feed(page)
    rows = {}
    for key, cells in parser.rows.items():
        rows[key] = {name: (int(value) if value.isdigit() else (0 if value == "" else value))
                     for name, value in cells.items()}
    return rows
