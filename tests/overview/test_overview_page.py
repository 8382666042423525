"""The overview page, its Excel and the API show the same figures; charts are inline
SVG with a title and their table beside them; bad dates get a clear message, never a
500; texts from people are never formulas in the workbook."""
from __future__ import annotations

import io
import re

import pytest
from openpyxl import load_workbook

from participation.api.overview import overview_document
from participation.extensions import db
from participation.queries.overview import Period, overview_figures
from participation.services import accounts
from tests.overview.conftest import Spec, utc
from tests.overview.test_overview_queries import FIXED

FORMULA_NAME = "=HYPERLINK(\"http://evil.example\",\"点我\")"


@pytest.fixture
def staffed(overview_world, make_user, frozen_now, login, client):
    frozen_now.set(utc(2026, 12, 4, 12))
    overview_world["points"][1].name = FORMULA_NAME
    overview_world["drafts"][2].title = "+1 条例（草案）"
    db.session.commit()
    overview_world["add"](FIXED)
    staff = make_user("staff")
    login(staff)
    token = accounts.issue_api_token(staff, name="overview")[1]
    db.session.commit()
    return {**overview_world, "token": token}


def _table(page: str, key: str) -> list[list[str]]:
    block = page.split(f'id="table-{key}"', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r"<tr>(.*?)</tr>", block.split("<tbody>", 1)[1], re.S)
    return [[re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
            for row in rows]


def test_page_shows_the_figures_with_charts_and_tables(client, staffed):
    response = client.get("/staff/overview")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'value="2026-01-01"' in page and 'value="2026-12-31"' in page
    assert "收到意见 9 条（其中基层立法联系点报送 3 条、人大代表提出 4 条）" in page
    months = _table(page, "months")
    assert len(months) == 12 and months[0] == ["2026-01", "2"] and months[2] == ["2026-03", "3"]
    assert _table(page, "channels") == [["网站", "4", "44.4%"], ["接口", "2", "22.2%"], ["联系点汇总", "3", "33.3%"]]
    assert ["甲街道联系点", "2", "13", "0", "0"] in _table(page, "points")
    assert _table(page, "delegations") == [["东城区代表团", "2", "1"], ["西城区代表团", "1", "1"]]
    assert _table(page, "silent_points") == [["无"]]
    # Every chart is an image with a title, and draws the numbers of its table.
    charts = re.findall(r'<svg class="overview-chart" role="img" aria-labelledby="(chart-[a-z_]+)-title".*?</svg>',
                        page, re.S)
    assert set(charts) == {"chart-months", "chart-channels", "chart-categories", "chart-dispositions",
                           "chart-points", "chart-delegations", "chart-drafts"}
    channel_chart = page.split('id="chart-channels"', 1)[1].split("</svg>", 1)[0]
    assert "<title" in channel_chart
    assert re.findall(r'data-label="([^"]+)" data-value="(\d+)"', channel_chart) == [
        ("网站", "4"), ("接口", "2"), ("联系点汇总", "3")]
    assert "<script" not in page.split("<main", 1)[-1] and "cdn" not in page.lower()


def test_a_period_narrows_the_figures(client, staffed):
    page = client.get("/staff/overview?from=2026-03-01&to=2026-03-31").get_data(as_text=True)
    assert _table(page, "months") == [["2026-03", "3"]]
    assert "收到意见 3 条" in page and "乙" not in page.split('id="table-silent_points"')[1].split("</table>")[0]


@pytest.mark.parametrize("query, field, message", [
    ("from=2026-02-30", "from", "日期格式应为 YYYY-MM-DD"),
    ("from=abc&to=2026-12-31", "from", "日期格式应为 YYYY-MM-DD"),
    ("from=2026-05-01&to=2026-04-01", "to", "结束日期不能早于开始日期"),
    ("from=1990-01-01&to=2026-04-01", "to", "统计期间不能超过十年"),
    ("to=2026-12-31%3Cscript%3E", "to", "日期格式应为 YYYY-MM-DD"),
])
def test_bad_dates_say_why_and_keep_the_defaults(client, staffed, query, field, message):
    response = client.get(f"/staff/overview?{query}")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in page and f'id="{field}-error"' in page and "以下为本年度的统计" in page
    assert "<script>" not in page
    assert "收到意见 9 条" in page  # the year's figures
    download = client.get(f"/staff/overview.xlsx?{query}")
    assert download.status_code == 303 and download.headers["Location"].startswith("/staff/overview?")


def test_excel_has_every_table_and_never_a_formula(client, staffed):
    response = client.get("/staff/overview.xlsx?from=2026-01-01&to=2026-12-31")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    assert "attachment" in response.headers["Content-Disposition"]
    workbook = load_workbook(io.BytesIO(response.data))
    assert workbook.sheetnames == ["概要", "按月份", "按渠道", "按提出人类别", "按处理情况", "基层立法联系点报送",
                                   "本期未报送意见的联系点", "人大代表意见（按代表团）", "意见最多的草案", "草案情况"]
    summary = {row[0]: row[1] for row in workbook["概要"].iter_rows(values_only=True)}
    assert summary["统计期间"] == "2026-01-01 — 2026-12-31" and summary["收到意见"] == 9
    assert summary["概述"].startswith("本期共公开征求")
    months = list(workbook["按月份"].iter_rows(values_only=True))
    assert months[0] == ("月份", "意见数") and len(months) == 13 and months[3] == ("2026-03", 3)
    points = {row[0]: row for row in workbook["基层立法联系点报送"].iter_rows(values_only=True)}
    cell = next(c for row in workbook["基层立法联系点报送"].iter_rows() for c in row if c.value == FORMULA_NAME)
    assert cell.data_type == "s" and cell.quotePrefix and points[FORMULA_NAME][1] == 1
    drafts = next(c for row in workbook["意见最多的草案"].iter_rows() for c in row if c.value == "+1 条例（草案）")
    assert drafts.data_type == "s" and drafts.quotePrefix
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for c in row:
                assert c.data_type != "f", (sheet.title, c.coordinate)


def test_api_gives_the_figures_of_the_page(client, staffed):
    headers = {"Authorization": f"Bearer {staffed['token']}"}
    response = client.get("/api/v1/overview", headers=headers)
    assert response.status_code == 200
    body = response.get_json()
    assert body == overview_document(overview_figures(Period.calendar_year(utc(2026, 12, 4).date()), utc(2026, 12, 4, 12)))
    assert body["from"] == "2026-01-01" and body["to"] == "2026-12-31" and body["time_zone"] == "Asia/Shanghai"
    assert body["total"] == 9 and body["from_liaison_points"] == 3 and body["adopted_share"] == 33.3
    assert body["by_channel"] == {"web": 4, "api": 2, "batch": 3}
    assert body["by_month"][2] == {"month": "2026-03", "opinions": 3}
    assert [p["name"] for p in body["liaison_points"]] == ["甲街道联系点", FORMULA_NAME]
    march = client.get("/api/v1/overview?from=2026-03-01&to=2026-03-31", headers=headers).get_json()
    assert march["total"] == 3 and march["by_month"] == [{"month": "2026-03", "opinions": 3}]


@pytest.mark.parametrize("query, fields", [
    ("from=2026-1-1", {"from"}), ("to=tomorrow", {"to"}), ("from=x&to=y", {"from", "to"}),
    ("from=2026-05-01&to=2026-04-01", {"to"}), ("from=2026-02-29", {"from"}), ("to=", {"to"}),
    ("from=0001-01-01&to=0001-01-31", {"from", "to"}), ("from=9999-12-31&to=9999-12-31", {"from", "to"}),
])
def test_api_refuses_bad_dates_by_name(client, staffed, query, fields):
    response = client.get(f"/api/v1/overview?{query}", headers={"Authorization": f"Bearer {staffed['token']}"})
    assert response.status_code == 422
    body = response.get_json()
    assert body["error"] == "validation_failed" and set(body["fields"]) == fields


def test_a_cleared_date_field_means_the_default(client, staffed):
    page = client.get("/staff/overview?from=&to=2026-03-31")
    assert page.status_code == 200 and _table(page.get_data(as_text=True), "months")[-1] == ["2026-03", "3"]


def test_empty_database_period(client, staffed):
    page = client.get("/staff/overview?from=2020-01-01&to=2020-01-31").get_data(as_text=True)
    assert "收到意见 0 条" in page and _table(page, "points") == [["无"]]
    assert "甲街道联系点" in page.split('id="table-silent_points"')[1].split("</table>")[0]
    # An empty chart is not drawn; its table still is.
    assert 'id="chart-months"' in page and 'id="chart-points"' not in page


def test_page_in_english(client, staffed):
    with client.session_transaction() as session:
        session["locale"] = "en"
    page = client.get("/staff/overview").get_data(as_text=True)
    assert "9 opinions were received (3 from grassroots liaison points, 4 from deputies)" in page
    assert "5 were disposed of (55.6%), of which 3 adopted or partly adopted (33.3%)" in page
    assert "Download Excel" in page and "(33.3%), feedback reports were published for 0 drafts." in page
