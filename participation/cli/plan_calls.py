"""``flask --app app plan-calls …``: 立法计划项目建议征集 from the command line: open a
call now for some days, close one, list them. The same services as the staff pages
(``services.plan_calls``); bad input is a clear message and a non-zero exit."""
from __future__ import annotations

import click
from flask.cli import AppGroup
from flask_babel import gettext as _
from sqlalchemy import func, select

from participation import clock, labels, queries
from participation.cli.users import in_chinese, note, service_errors
from participation.extensions import db
from participation.models import Proposal
from participation.services import plan_calls as service
from participation.unit_of_work import writes

plan_calls_cli = AppGroup("plan-calls", help="立法计划项目建议征集：开始、截止、列出。")

_OPTION_NAMES = {"title": "--title", "year": "--year", "days": "--days", "focus_areas": "--area"}
MAX_DAYS = 3650


@plan_calls_cli.command("create")
@click.option("--title", required=True, help="征集公告标题。")
@click.option("--year", required=True, help="计划年度，例如 2027。")
@click.option("--days", default="30", show_default=True, help="征集天数（从现在起）。")
@click.option("--area", "areas", multiple=True, help="重点领域（可重复，或用顿号分隔）。")
@click.option("--anonymous", is_flag=True, help="允许未登录的公众提出建议。")
@click.option("--announcement", default="", help="公告正文。")
@in_chinese
@writes
def create_call(title, year, days, areas, anonymous, announcement):
    """Open a call now for DAYS days; prints its id."""
    try:
        days = int(str(days).strip())
        if not 1 <= days <= MAX_DAYS:
            raise ValueError
    except ValueError:
        raise click.ClickException(_("--days: 征集天数应为 1 到 %(max)d 之间的整数。", max=MAX_DAYS)) from None
    focus_areas = [area for text in areas for area in service.parse_areas(text)]
    data = service.PlanCallInput(title=title, year=year, announcement=announcement, focus_areas=focus_areas,
                                 allows_anonymous_proposals=anonymous)
    with service_errors(_OPTION_NAMES):
        call = service.open_call_now(data, days=days, by=None, now=clock.now())
    db.session.commit()
    note(_("已开始征集“%(title)s”（编号 %(id)d），%(days)d 天后截止。", title=call.title, id=call.id, days=days))
    click.echo(call.id)


@plan_calls_cli.command("close")
@click.argument("call_id", type=int)
@in_chinese
@writes
def close_call(call_id):
    """End a call's period now."""
    call = queries.get_call(call_id) if 0 < call_id < 2**31 else None
    if call is None:
        raise click.ClickException(_("没有编号为 %(id)d 的征集。", id=call_id))
    with service_errors(_OPTION_NAMES):
        service.close_call(call, by=None, now=clock.now())
    db.session.commit()
    note(_("征集“%(title)s”（编号 %(id)d）已截止。", title=call.title, id=call.id))


@plan_calls_cli.command("list")
@in_chinese
def list_calls():
    """List calls: id, year, status, period, number of proposals, title."""
    now = clock.now()
    calls = queries.all_calls()
    counts = dict(db.session.execute(select(Proposal.call_id, func.count()).group_by(Proposal.call_id)).all())
    for call in calls:
        status = call.status_at(now).value
        period = "-"
        if call.opens_at is not None and call.closes_at is not None:
            period = f"{clock.utc_to_local(call.opens_at):%Y-%m-%d %H:%M}~{clock.utc_to_local(call.closes_at):%Y-%m-%d %H:%M}"
        click.echo("\t".join([str(call.id), str(call.year), f"{status}({labels.label(labels.PLAN_CALL_STATUS, status)})",
                              period, _("建议 %(n)d 件", n=counts.get(call.id, 0)), call.title]))
    note(_("共 %(n)d 次征集。", n=len(calls)))
