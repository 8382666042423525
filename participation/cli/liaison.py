"""``flask --app app liaison …``: 基层立法联系点 from the command line."""
from __future__ import annotations

import click
from flask.cli import AppGroup
from flask_babel import gettext as _

from participation.cli.users import in_chinese, note, service_errors
from participation.extensions import db
from participation.services import liaison as liaison_service
from participation.unit_of_work import writes

liaison = AppGroup("liaison", help="基层立法联系点：创建、列出。")


@liaison.command("create")
@click.argument("name")
@click.option("--region", default="", help="所在区域，例如“某某区”。")
@click.option("--address", default="", help="地址。")
@in_chinese
@writes
def create_point(name, region, address):
    """Create a liaison point; prints its id."""
    with service_errors({"name": "NAME"}):
        point = liaison_service.create_liaison_point(name=name, region=region, address=address)
    db.session.commit()
    note(_("已创建联系点“%(name)s”（编号 %(id)d）。", name=point.name, id=point.id))
    click.echo(point.id)


@liaison.command("list")
@in_chinese
def list_points():
    """List liaison points: id, status, number of operators, name, region."""
    points = list(db.session.scalars(liaison_service.liaison_points_query()))
    counts = liaison_service.operator_counts(point.id for point in points)
    for point in points:
        status = _("启用") if point.is_active else _("已停用")
        operators = _("信息员 %(n)d 人", n=counts.get(point.id, 0))
        click.echo("\t".join([str(point.id), status, operators, point.name, point.region or "-"]))
    note(_("共 %(n)d 个联系点。", n=len(points)))
