"""Fixtures of legislative-plan calls: an open call and proposals on it."""
from __future__ import annotations

from datetime import timedelta

import pytest

from participation import clock
from participation.extensions import db


@pytest.fixture
def make_call(app):
    from participation.services import plan_calls

    def make(*, title="关于征集2027年度立法计划项目建议的公告", year=2027, days=30, published=True,
             areas=("民生保障", "生态环境", "城市管理"), anonymous=False, moderation="post", opens_in=None,
             by=None, now=None):
        now = now or clock.now()
        opens_at = now + (opens_in or timedelta(0))
        data = plan_calls.PlanCallInput(
            title=title, year=year, announcement="欢迎社会各界提出立法项目建议。", focus_areas=list(areas),
            opens_at=opens_at, closes_at=opens_at + timedelta(days=days), allows_anonymous_proposals=anonymous,
            moderation_mode=moderation)
        call = plan_calls.create_call(data, by=by, now=now, publish=published)
        db.session.commit()
        return call

    return make


@pytest.fixture
def make_proposal(app, make_user):
    """A proposal on ``call``; by a new citizen unless ``author`` is given (or None
    where the call allows anonymous proposals)."""
    from participation.services import proposals

    citizen = {}

    counter = {"n": 0}

    def make(call, *, author="citizen", title=None, category=None, channel="web", attachments=None, now=None, **fields):
        counter["n"] += 1
        if author == "citizen":
            if "user" not in citizen:
                citizen["user"] = make_user("citizen")
            author = citizen["user"]
        data = proposals.ProposalInput(
            title=title or f"某市示例保护条例{counter['n']}", necessity=fields.pop("necessity", "很有必要。"),
            problems=fields.pop("problems", "问题较多。"), measures=fields.pop("measures", "建立制度。"),
            category=category, **fields)
        stored = proposals.submit_proposal(call, data, author=author, now=now or clock.now(), channel=channel,
                                           attachments=attachments)
        db.session.commit()
        from participation.models import Proposal

        return db.session.get(Proposal, stored.id)

    return make
