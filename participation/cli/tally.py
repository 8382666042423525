"""``flask --app app tally …``: check and repair the counts behind the tally (意见统计).

The counts are kept by database triggers (participation.tally.upkeep). ``check``
compares them, version by version, with a count made from scratch from the opinion
rows, and verifies that the triggers are in place; ``rebuild`` puts the triggers back
and recounts. Both take an optional draft id (default: every draft).
"""
from __future__ import annotations

import click
from flask.cli import AppGroup
from flask_babel import gettext as _

from participation.tally import upkeep as tally_upkeep
from participation.cli.users import in_chinese, note
from participation.extensions import db
from participation.models import Draft
from participation.unit_of_work import writes

tally_cli = AppGroup("tally", help="意见统计：核对、重建统计数据。")


def _versions(draft_id: int | None) -> list[int]:
    if draft_id is not None and db.session.get(Draft, draft_id) is None:
        raise click.ClickException(_("没有编号为 %(id)d 的草案。", id=draft_id))
    return tally_upkeep.version_ids(draft_id)


@tally_cli.command("check")
@click.argument("draft_id", type=int, required=False)
@in_chinese
def check(draft_id):
    """Compare the maintained counts with a count from scratch; exit 1 on any difference."""
    versions = _versions(draft_id)
    problems = tally_upkeep.trigger_problems(db.session.connection())
    for problem in problems:
        click.echo(_("触发器：%(problem)s", problem=problem))
    if problems:
        note(_("统计触发器缺失或与代码不一致，新的意见不会计入统计。请运行 flask tally rebuild。"))
    differing = 0
    for version_id in versions:
        differences = tally_upkeep.check_version(version_id)
        differing += bool(differences)
        for difference in differences:
            click.echo(_("版本 %(version)d，%(table)s：少 %(missing)d 行，多 %(extra)d 行",
                         version=version_id, table=difference.table, missing=difference.missing,
                         extra=difference.extra))
            for example in difference.examples:
                click.echo(f"    {example}")
    db.session.rollback()
    if problems or differing:
        raise click.ClickException(_("统计数据与重新计数的结果不一致（%(n)d 个版本）。请运行 flask tally rebuild。",
                                     n=differing))
    note(_("已核对 %(n)d 个版本：统计数据与重新计数的结果一致，触发器完好。", n=len(versions)))


@tally_cli.command("rebuild")
@click.argument("draft_id", type=int, required=False)
@in_chinese
@writes
def rebuild(draft_id):
    """Reinstall the triggers and recount the tally from the opinion rows."""
    versions = _versions(draft_id)
    tally_upkeep.install_triggers(db.session.connection())
    for version_id in versions:
        tally_upkeep.rebuild_version(version_id)
    db.session.commit()
    note(_("已重建 %(n)d 个版本的意见统计，并重新安装了统计触发器。", n=len(versions)))
