"""The demo gives the overview something to show: opinions in several months, through
every channel, from both liaison points and from a deputy, on two drafts."""
from __future__ import annotations

from sqlalchemy import func, select

from participation import clock
from participation.demo import ACCOUNTS, DEMO_PASSWORD
from participation.extensions import db
from participation.models import Opinion, User
from participation.queries.overview import Period, overview_figures


def test_demo_figures_on_the_overview(runner, client, login, frozen_now):
    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    assert db.session.scalar(select(func.max(Opinion.created_at))) <= frozen_now.now
    # The closed draft opened 45 days ago: a year from then covers every demo opinion.
    today = clock.utc_to_local(frozen_now.now).date()
    overview = overview_figures(Period(today.replace(year=today.year - 1), today), frozen_now.now)
    assert overview.total == db.session.scalar(select(func.count()).select_from(Opinion))
    assert sum(1 for _month, count in overview.by_month if count) >= 2
    assert all(overview.by_channel[channel] for channel in ("web", "api", "batch"))
    assert len(overview.points) == 2 and overview.by_delegation and len(overview.top_drafts) == 2
    assert overview.disposed and overview.adopted and overview.drafts.feedback_published == 1

    staff = db.session.scalar(select(User).where(User.email == ACCOUNTS[1].email))
    login(staff, password=DEMO_PASSWORD)
    page = client.get("/staff/overview").get_data(as_text=True)
    assert "本期共公开征求" in page and 'role="img"' in page
