"""``flask plan-calls create|close|list``, including every refusal."""
from __future__ import annotations

import pytest

from participation import clock
from participation.extensions import db
from participation.models import PlanCall


@pytest.fixture
def cli(runner):
    def invoke(*args):
        result = runner.invoke(args=[str(a) for a in args])
        db.session.expire_all()
        return result

    return invoke


def test_create_opens_a_call_now_and_prints_its_id(cli):
    result = cli("plan-calls", "create", "--title", "关于征集2027年度立法计划项目建议的公告", "--year", "2027",
                 "--days", "20", "--area", "民生保障、生态环境", "--area", "城市管理", "--anonymous")
    assert result.exit_code == 0, result.output
    call = db.session.get(PlanCall, int(result.stdout.strip()))
    assert call.year == 2027 and call.focus_areas == ["民生保障", "生态环境", "城市管理"]
    assert call.allows_anonymous_proposals
    assert call.status_at(clock.now()).value == "open"
    assert (call.closes_at - call.opens_at).days == 20
    assert "已开始征集" in result.stderr


@pytest.mark.parametrize("args, message", [
    (("--title", "", "--year", "2027"), "--title"),
    (("--title", "公告", "--year", "明年"), "--year"),
    (("--title", "公告", "--year", "1999"), "--year"),
    (("--title", "公告", "--year", "2027", "--days", "0"), "--days"),
    (("--title", "公告", "--year", "2027", "--days", "abc"), "--days"),
])
def test_create_refuses_bad_input_without_a_traceback(cli, args, message):
    result = cli("plan-calls", "create", *args)
    assert result.exit_code != 0
    assert message in result.output and "Traceback" not in result.output
    assert db.session.query(PlanCall).count() == 0


def test_create_needs_title_and_year(cli):
    result = cli("plan-calls", "create", "--year", "2027")
    assert result.exit_code == 2 and "--title" in result.output


def test_close_and_list(cli, make_proposal):
    call_id = int(cli("plan-calls", "create", "--title", "征集公告", "--year", "2027").stdout.strip())
    make_proposal(db.session.get(PlanCall, call_id))
    listed = cli("plan-calls", "list")
    assert listed.exit_code == 0
    line = listed.stdout.strip().splitlines()[0].split("\t")
    assert line[0] == str(call_id) and line[1] == "2027" and line[2].startswith("open")
    assert "~" in line[3] and "1" in line[4] and line[5] == "征集公告"

    closed = cli("plan-calls", "close", call_id)
    assert closed.exit_code == 0, closed.output
    assert db.session.get(PlanCall, call_id).status_at(clock.now()).value == "closed"
    assert cli("plan-calls", "list").stdout.split("\t")[2].startswith("closed")

    again = cli("plan-calls", "close", call_id)
    assert again.exit_code == 1 and "已经截止" in again.output and "Traceback" not in again.output


def test_close_unknown_call(cli):
    result = cli("plan-calls", "close", 999)
    assert result.exit_code == 1 and "999" in result.output
    assert cli("plan-calls", "close", "abc").exit_code == 2


def test_list_empty(cli):
    result = cli("plan-calls", "list")
    assert result.exit_code == 0 and result.stdout == "" and "共 0 次征集" in result.stderr
