"""``flask --app app demo load`` and ``flask --app app demo docx OUT.docx``."""
from __future__ import annotations

import os
import unicodedata
from pathlib import Path

import click
from flask.cli import AppGroup

from participation import clock, labels, queries
from participation.cli.drafts import in_default_locale
from participation.demo import ACCOUNTS, DemoRefused, demo_docx_bytes, load_demo
from participation.extensions import db
from participation.unit_of_work import writes

demo_cli = AppGroup("demo", help="演示数据：示例草案和各角色的演示账户。")

DEFAULT_URL = "http://127.0.0.1:5000/"


def _pad(text: str, width: int) -> str:
    """Pad to a terminal width, counting a Chinese character as two columns."""
    used = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
    return text + " " * max(width - used, 1)


def _print_accounts(url: str) -> None:
    click.echo("")
    click.echo(f"  打开 {url}")
    click.echo("")
    click.echo("  演示账户（密码仅用于演示）：")
    for account in ACCOUNTS:
        extra = ""
        if account.deputy_number:
            extra = f"  代表证号 {account.deputy_number}，{account.delegation}，{account.professional_group}"
        elif account.liaison_point:
            extra = f"  {account.liaison_point}"
        role = labels.label(labels.ROLE, account.role)
        click.echo(f"    {_pad(role, 16)}{_pad(account.email, 28)}{_pad(account.password, 16)}{extra}".rstrip())
    click.echo("")


@demo_cli.command("load")
@click.option("--url", default=lambda: os.environ.get("PUBLIC_URL", DEFAULT_URL), show_default=DEFAULT_URL,
              help="打印给用户的网址（默认取环境变量 PUBLIC_URL）。")
@in_default_locale
@writes
def load_command(url: str):
    """加载演示数据（只加载一次，重复运行不做改动），并打印演示账户。"""
    try:
        result = load_demo(clock.now())
    except DemoRefused as exc:
        db.session.rollback()
        click.echo(f"未加载演示数据：{exc}", err=True)
        return
    db.session.commit()
    if result.loaded:
        click.echo("已加载演示数据：")
    else:
        click.echo("演示数据已经加载过，本次未做任何改动。")
    for draft in result.drafts:
        status = labels.label(labels.DRAFT_STATUS, draft.status_at(clock.now()))
        click.echo(f"  草案 {draft.id}（{status}）：{draft.title}")
    for call in queries.all_calls():
        status = labels.label(labels.PLAN_CALL_STATUS, call.status_at(clock.now()).value)
        total = queries.call_tally(call.id, published_only=False).total
        click.echo(f"  立法计划征集 {call.id}（{status}，{total} 件建议）：{call.title}")
    for plan in queries.published_plans():
        click.echo(f"  {plan.title}（已发布，{len(plan.projects)} 个项目）：{url.rstrip('/')}/plans/{plan.year}")
    _print_accounts(url)


@demo_cli.command("docx")
@click.argument("out", type=click.Path(dir_okay=False, writable=True, path_type=Path))
@in_default_locale
def docx_command(out: Path):
    """把一份示例草案写成 Word（.docx）文件，用于试用导入功能。"""
    if out.suffix.lower() != ".docx":
        raise click.ClickException("输出文件名应以 .docx 结尾。")
    try:
        out.write_bytes(demo_docx_bytes())
    except OSError as exc:
        raise click.ClickException(f"无法写入 {out}：{exc.strerror}") from exc
    click.echo(f"已写入 {out}")
