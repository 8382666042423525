"""The overview's figures equal counts made in Python from the same opinions, periods
are cut in the configured time zone, and bad periods are refused by name."""
from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from sqlalchemy import delete

from participation import labels
from participation.extensions import db
from participation.models import Opinion
from participation.queries.overview import MAX_PERIOD_DAYS, Period, PeriodError, overview_figures, parse_period
from tests.overview.conftest import Spec, utc

BEIJING = ZoneInfo("Asia/Shanghai")
YEAR = Period(date(2026, 1, 1), date(2026, 12, 31))
NOW = utc(2027, 3, 1)


def _local_month(moment: datetime) -> str:
    return moment.astimezone(BEIJING).strftime("%Y-%m")


def brute_force(specs: list[Spec], period: Period, world) -> dict:
    """The figures, counted one opinion at a time."""
    start = datetime.combine(period.start, datetime.min.time(), BEIJING)
    end = datetime.combine(period.end + timedelta(days=1), datetime.min.time(), BEIJING)
    counted = [s for s in specs if start <= s.created_at < end and s.state != "hidden"]
    points = Counter(s.point for s in counted if s.point is not None)
    delegations = Counter(s.delegation for s in counted if s.delegation)
    deputies = {d: len({s.submitter for s in counted if s.delegation == d}) for d in delegations}
    drafts = Counter(s.draft for s in counted)
    return {
        "total": len(counted),
        "represented": sum(s.represented for s in counted),
        "by_month": Counter(_local_month(s.created_at) for s in counted),
        "by_channel": Counter(s.channel for s in counted),
        "by_category": Counter(s.category for s in counted),
        "by_disposition": Counter(s.disposition for s in counted),
        "disposed": sum(s.disposition != "pending" for s in counted),
        "adopted": sum(s.disposition in ("adopted", "partly_adopted") for s in counted),
        "points": {world["points"][i].name: n for i, n in points.items()},
        "silent": sorted(p.name for i, p in enumerate(world["points"]) if i not in points and p.is_active),
        "delegations": {d: (n, deputies[d]) for d, n in delegations.items()},
        "drafts": {world["drafts"][i].title: n for i, n in drafts.items()},
    }


def assert_matches(overview, expected: dict) -> None:
    assert overview.total == expected["total"]
    assert overview.represented == expected["represented"]
    assert {m: n for m, n in overview.by_month if n} == dict(expected["by_month"])
    assert {k: n for k, n in overview.by_channel.items() if n} == dict(expected["by_channel"])
    assert {k: n for k, n in overview.by_category.items() if n} == dict(expected["by_category"])
    assert {k: n for k, n in overview.by_disposition.items() if n} == dict(expected["by_disposition"])
    assert (overview.disposed, overview.adopted) == (expected["disposed"], expected["adopted"])
    assert {p.name: p.opinions for p in overview.points} == expected["points"]
    assert sorted(p.name for p in overview.silent_points) == expected["silent"]
    assert {r.delegation: (r.opinions, r.deputies) for r in overview.by_delegation} == expected["delegations"]
    assert {r.title: r.opinions for r in overview.top_drafts} == expected["drafts"]
    assert [r.opinions for r in overview.top_drafts] == sorted(expected["drafts"].values(), reverse=True)


FIXED = [
    Spec(utc(2026, 1, 5, 2), channel="web", category="citizen", disposition="adopted", submitter="u:1"),
    Spec(utc(2026, 1, 6, 2), channel="api", category="organisation", disposition="partly_adopted", submitter="u:2"),
    Spec(utc(2026, 3, 9, 8), draft=1, channel="batch", category="lawyer", point=0, represented=12,
         disposition="not_adopted", submitter="b:1"),
    Spec(utc(2026, 3, 9, 8), draft=1, channel="batch", category="deputy", point=0, submitter="b:2"),
    Spec(utc(2026, 3, 10, 8), draft=1, channel="batch", category="enterprise", point=1, submitter="b:3",
         disposition="for_study"),
    Spec(utc(2026, 6, 1, 1), draft=2, channel="web", category="deputy", delegation="东城区代表团", submitter="u:7"),
    Spec(utc(2026, 6, 2, 1), draft=2, channel="web", category="deputy", delegation="东城区代表团", submitter="u:7"),
    Spec(utc(2026, 6, 3, 1), draft=2, channel="api", category="deputy", delegation="西城区代表团", submitter="u:8",
         disposition="adopted"),
    Spec(utc(2026, 7, 1, 1), draft=2, channel="web", state="hidden", disposition="adopted", submitter="u:9"),
    Spec(utc(2026, 8, 1, 1), draft=0, channel="web", state="pending", submitter="u:10"),
    Spec(utc(2025, 12, 31, 1), channel="web", submitter="u:11"),   # last year
    Spec(utc(2027, 1, 2, 1), channel="web", submitter="u:12"),     # next year
]


def test_figures_equal_a_count_in_python(app, overview_world):
    overview_world["add"](FIXED)
    overview = overview_figures(YEAR, NOW)
    assert_matches(overview, brute_force(FIXED, YEAR, overview_world))
    assert overview.total == 9 and overview.represented == 20
    assert [month for month, _n in overview.by_month] == [f"2026-{m:02d}" for m in range(1, 13)]
    assert overview.from_points == 3 and overview.from_deputies == 4
    # The inactive point sent nothing and is not listed as silent; the active ones sent.
    assert overview.silent_points == []
    assert (overview.share(overview.disposed), overview.share(overview.adopted)) == (55.6, 33.3)
    assert list(overview.by_channel) == list(labels.CHANNEL)


def test_points_that_sent_nothing(app, overview_world):
    overview_world["add"]([Spec(utc(2026, 5, 1), channel="batch", point=1)])
    overview = overview_figures(YEAR, NOW)
    assert [p.name for p in overview.points] == ["乙律所联系点"]
    assert [p.name for p in overview.silent_points] == ["甲街道联系点"]  # not the inactive 丙


def test_an_evening_in_beijing_on_new_years_eve_belongs_to_december(app, overview_world):
    evening = datetime(2026, 12, 31, 23, 30, tzinfo=BEIJING)       # 15:30 UTC
    midnight = datetime(2027, 1, 1, 0, 0, tzinfo=BEIJING)          # 16:00 UTC on 31 December
    just_before_year = datetime(2025, 12, 31, 23, 59, tzinfo=BEIJING)
    first_moment = datetime(2026, 1, 1, 0, 0, tzinfo=BEIJING)       # 16:00 UTC on 31 December 2025
    overview_world["add"]([Spec(moment.astimezone(timezone.utc)) for moment in
                           (evening, midnight, just_before_year, first_moment)])
    overview = overview_figures(YEAR, NOW)
    months = dict(overview.by_month)
    assert overview.total == 2 and months["2026-12"] == 1 and months["2026-01"] == 1
    next_year = overview_figures(Period(date(2027, 1, 1), date(2027, 1, 31)), NOW)
    assert next_year.total == 1 and next_year.by_month == [("2027-01", 1)]
    one_day = overview_figures(Period(date(2026, 12, 31), date(2026, 12, 31)), NOW)
    assert one_day.total == 1 and one_day.by_month == [("2026-12", 1)]


def test_draft_counts_by_what_happened_in_the_period(app, overview_world, frozen_now):
    first, second, third = overview_world["drafts"]
    first.opens_at, first.closes_at = utc(2026, 2, 1), utc(2026, 3, 1)
    first.feedback_published_at = utc(2026, 4, 1)
    second.opens_at, second.closes_at = utc(2026, 11, 20), utc(2027, 1, 10)   # closes after the period
    third.opens_at, third.closes_at = utc(2025, 12, 1), utc(2026, 1, 1)
    db.session.commit()
    counts = overview_figures(YEAR, NOW).drafts
    assert (counts.opened, counts.closed, counts.feedback_published) == (2, 2, 1)
    # A closing still ahead of the clock has not happened.
    early = overview_figures(YEAR, utc(2026, 2, 15)).drafts
    assert (early.opened, early.closed, early.feedback_published) == (1, 1, 1)


def test_summary_line(app, overview_world):
    overview_world["add"](FIXED)
    for draft, opened in zip(overview_world["drafts"], (utc(2026, 2, 1), utc(2025, 2, 1), utc(2025, 3, 1))):
        draft.opens_at = opened
    db.session.commit()
    summary = overview_figures(YEAR, NOW).summary
    assert summary.startswith("本期共公开征求 1 部法规草案意见，收到意见 9 条（其中基层立法联系点报送 3 条、人大代表提出 4 条）")
    assert "已处理 5 条（55.6%），其中采纳和部分采纳 3 条（33.3%）" in summary and summary.endswith("。")
    assert "已处理" not in overview_figures(Period(date(2020, 1, 1), date(2020, 1, 31)), NOW).summary


@pytest.mark.parametrize("raw_from, raw_to, field", [
    ("2026-13-01", None, "from"), ("2026-02-30", None, "from"), ("20260101", None, "from"),
    ("２０２６-01-01", None, "from"), ("yesterday", "2026-01-01", "from"), (None, "2026/12/31", "to"),
    ("2026-05-01", "2026-04-30", "to"), ("2000-01-01", "2026-12-31", "to"), ("0001-01-01", None, "from"),
    (None, "9999-12-31", "to"), ("2026-01-01\n", "x" * 5000, "to"),
])
def test_bad_periods_name_the_parameter(app, raw_from, raw_to, field):
    with pytest.raises(PeriodError) as caught:
        parse_period(raw_from, raw_to, date(2026, 6, 1))
    assert field in caught.value.fields and all(caught.value.fields[field])


def test_periods_default_to_the_calendar_year(app):
    assert parse_period(None, None, date(2026, 6, 1)) == YEAR
    assert parse_period("", " ", date(2026, 6, 1)) == YEAR
    assert parse_period("2026-03-01", None, date(2026, 6, 1)) == Period(date(2026, 3, 1), date(2026, 12, 31))
    assert parse_period("2026-03-01", "2026-03-01", date(2026, 6, 1)).months()[0][0] == "2026-03"
    longest = parse_period("2017-01-01", (date(2017, 1, 1) + timedelta(days=MAX_PERIOD_DAYS - 1)).isoformat(),
                           date(2026, 6, 1))
    assert len(longest.months()) == 121


SPECS = st.builds(
    Spec,
    created_at=st.datetimes(min_value=datetime(2025, 12, 25), max_value=datetime(2027, 1, 5),
                            timezones=st.just(timezone.utc)),
    draft=st.integers(0, 2),
    channel=st.sampled_from(["web", "api", "batch"]),
    category=st.sampled_from(list(labels.SUBMITTER_CATEGORY)),
    disposition=st.sampled_from(list(labels.DISPOSITION)),
    point=st.none() | st.integers(0, 2),
    delegation=st.none() | st.sampled_from(["东城区代表团", "西城区代表团"]),
    submitter=st.sampled_from([f"u:{n}" for n in range(5)]),
    state=st.sampled_from(["published", "pending", "hidden"]),
    represented=st.integers(1, 30),
)
PERIODS = st.sampled_from([YEAR, Period(date(2026, 12, 31), date(2027, 1, 1)), Period(date(2026, 2, 28), date(2026, 3, 1)),
                           Period(date(2025, 12, 1), date(2026, 12, 31))])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(specs=st.lists(SPECS, max_size=30), period=PERIODS)
def test_property_overview_equals_a_python_count(app, overview_world, specs, period):
    overview_world["add"](specs)
    try:
        assert_matches(overview_figures(period, NOW), brute_force(specs, period, overview_world))
    finally:
        db.session.execute(delete(Opinion))
        db.session.commit()


def test_sqlite_reads_the_period_without_an_index():
    """SQLite's planner skip-scanned ix_opinions_draft_created and fetched each row by id
    (ten times slower, bench/bench_overview.py); PostgreSQL gets the plain column."""
    from sqlalchemy import func, select
    from sqlalchemy.dialects import postgresql, sqlite

    from participation.queries.overview import _received

    statement = select(func.count()).where(*_received(utc(2026, 1, 1), utc(2027, 1, 1)))
    assert "+opinions.created_at >=" in str(statement.compile(dialect=sqlite.dialect()))
    rendered = str(statement.compile(dialect=postgresql.dialect()))
    assert "opinions.created_at >=" in rendered and "+opinions" not in rendered
