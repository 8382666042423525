"""The leadership overview counts legislative-plan proposals received in the period:
total, by call, proposer category, classification and channel (hidden ones left out),
in the summary line, on the page, in the API and in the Excel workbook."""
from __future__ import annotations

import io
from datetime import date, timedelta

import pytest

from participation import clock
from participation.extensions import db
from participation.queries.overview import Period, overview_figures
from participation.services import classifications, proposals as proposal_service


@pytest.fixture
def proposal_world(app, make_call, make_proposal, make_user, frozen_now):
    staff = make_user("staff")
    first = make_call(title="2027年度征集")
    second = make_call(title="2028年度征集", year=2028)
    made = [
        make_proposal(first, title="某市甲条例"),
        make_proposal(first, title="某市乙条例", category="expert", channel="api"),
        make_proposal(first, title="某市丙条例", category="government", unit="某局"),
        make_proposal(second, author=make_user("deputy"), title="某市丁条例"),
    ]
    hidden = make_proposal(second, title="某市戊条例")
    proposal_service.hide_proposal(hidden, reason="无关", by=staff, now=clock.now())
    classifications.classify(made[0], classifications.ClassificationInput("formal"), by=staff, now=clock.now())
    classifications.classify(made[1], classifications.ClassificationInput("not_included", reason="不成熟"),
                             by=staff, now=clock.now())
    db.session.commit()
    today = clock.utc_to_local(frozen_now.now).date()
    return {"staff": staff, "calls": (first, second), "period": Period(today - timedelta(days=1), today)}


def test_the_figures(app, proposal_world, frozen_now):
    counts = overview_figures(proposal_world["period"], frozen_now.now).proposals
    first, second = proposal_world["calls"]
    assert counts.total == 4
    assert [(row.id, row.proposals) for row in counts.by_call] == [(first.id, 3), (second.id, 1)]
    assert counts.by_category == {"citizen": 1, "deputy": 1, "liaison_point": 0, "organisation": 0,
                                  "government": 1, "expert": 1}
    assert counts.by_classification["formal"] == 1 and counts.by_classification["not_included"] == 1
    assert counts.by_classification["pending"] == 2 and sum(counts.by_classification.values()) == 4
    assert counts.by_channel == {"web": 3, "api": 1, "batch": 0}
    summary = overview_figures(proposal_world["period"], frozen_now.now).summary
    assert "征集立法项目建议 4 件" in summary and summary.endswith("。")


def test_outside_the_period_nothing_counts(app, proposal_world, frozen_now):
    overview = overview_figures(Period(date(2020, 1, 1), date(2020, 12, 31)), frozen_now.now)
    assert overview.proposals.total == 0 and overview.proposals.by_call == []
    assert "立法项目建议" not in overview.summary


def test_page_api_and_workbook(app, client, login, proposal_world, make_user):
    from openpyxl import load_workbook

    from participation.services import accounts

    period = proposal_world["period"]
    args = {"from": period.start.isoformat(), "to": period.end.isoformat()}
    login(proposal_world["staff"])
    page = client.get("/staff/overview", query_string=args).get_data(as_text=True)
    assert 'id="table-proposal_calls"' in page and "2027年度征集" in page and "征集立法项目建议 4 件" in page
    block = page.split('id="table-proposal_classifications"', 1)[1].split("</table>", 1)[0]
    assert "列入正式项目" in block and "不予列入" in block
    workbook = load_workbook(io.BytesIO(client.get("/staff/overview.xlsx", query_string=args).data))
    cells = [row for row in workbook["概要"].iter_rows(values_only=True)]
    assert ("征集立法项目建议", 4, None) in cells or ("征集立法项目建议", 4) in [row[:2] for row in cells]
    assert ("2027年度征集", 2027, 3) in [row[:3] for row in cells]
    _token, secret = accounts.issue_api_token(make_user("staff"), name="概览")
    db.session.commit()
    body = client.get("/api/v1/overview", query_string=args, headers={"Authorization": f"Bearer {secret}"}).get_json()
    assert body["proposals"]["total"] == 4
    assert body["proposals"]["by_call"][0]["title"] == "2027年度征集"
    assert body["proposals"]["by_channel"] == {"web": 3, "api": 1, "batch": 0}
