"""``flask --app app drafts …``: import, publish, extend, close, list and report drafts.

``import`` prints only the new id on stdout (scripts capture it); the structure report
goes to stderr. Every command exits non-zero with a message on bad input.
"""
from __future__ import annotations

import functools
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from flask_babel import force_locale

from participation import clock, labels, queries
from participation.errors import ServiceError
from participation.extensions import db
from participation.models import Draft
from participation.services import drafts as draft_service
from participation.clock import add_days, format_local
from participation.unit_of_work import writes

drafts_cli = AppGroup("drafts", help="法规草案：导入、发布、延长、截止、列表、结构报告。")


def in_default_locale(command):
    """Run a command in the site's default language. Messages from services are
    translated through Flask-Babel, whose locale selector reads the request's session,
    and a command has no request."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        with force_locale(current_app.config.get("BABEL_DEFAULT_LOCALE", "zh_CN")):
            return command(*args, **kwargs)

    return wrapper


def _load(draft_id: int) -> Draft:
    draft = queries.get_draft(draft_id)
    if draft is None:
        raise click.ClickException(f"没有编号为 {draft_id} 的草案。")
    return draft


def _fail(exc: ServiceError):
    db.session.rollback()
    raise click.ClickException(exc.message)


def _summary_lines(draft: Draft) -> list[str]:
    version = draft.current_version
    outline = queries.draft_outline(version.id)
    counts = "，".join(f"{labels.label(labels.PROVISION_KIND, kind)} {count}" for kind, count in outline.counts_in_order())
    return [
        f"结构：{counts}",
        f"检查：错误 {version.error_count} 个，提示 {version.warning_count} 个，未能归入条文的文字 {len(version.unplaced)} 段",
    ]


def _issue_lines(draft: Draft) -> list[str]:
    lines = []
    for issue in draft.current_version.issues:
        where = f"第{issue['line']}行" if issue.get("line") else "—"
        key = f" [{issue['key']}]" if issue.get("key") else ""
        severity = labels.label(labels.ISSUE_SEVERITY, issue["severity"])
        lines.append(f"  {severity}  {where}{key}  {issue['message']}")
    return lines


@drafts_cli.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--title", required=True, help="草案标题。")
@click.option("--issuing-body", default=None, help="起草单位（默认为 DEFAULT_ISSUING_BODY）。")
@click.option("--summary", default="", help="草案说明。")
@in_default_locale
@writes
def import_command(file: Path, title: str, issuing_body: str | None, summary: str):
    """导入 .docx、.txt 或 .md 文件为新草案（未发布），输出草案编号。"""
    if not file.is_file():
        raise click.ClickException(f"文件不存在：{file}")
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise click.ClickException(f"无法读取文件 {file}：{exc.strerror}") from exc
    if issuing_body is None:
        issuing_body = current_app.config["DEFAULT_ISSUING_BODY"]
    try:
        document, source_format, filename, raw = draft_service.parse_source(filename=file.name, data=data, text=None)
        draft = draft_service.import_draft(
            title=title, document=document, source_format=source_format, source_filename=filename,
            source_bytes=raw, created_by=None, issuing_body=issuing_body, summary=summary,
        )
    except ServiceError as exc:
        _fail(exc)
    db.session.commit()
    for line in [f"已导入草案 {draft.id}：{draft.title}（未发布）", *_summary_lines(draft)]:
        click.echo(line, err=True)
    if draft.current_version.error_count:
        click.echo("结构检查有错误，修正前不能发布；用 `flask --app app drafts report "
                   f"{draft.id}` 查看。", err=True)
    click.echo(draft.id)


@drafts_cli.command("publish")
@click.argument("draft_id", metavar="ID", type=int)
@click.option("--days", type=click.IntRange(1, draft_service.MAX_COMMENT_DAYS),
              default=draft_service.DEFAULT_COMMENT_DAYS, show_default=True, help="征求意见天数。")
@in_default_locale
@writes
def publish_command(draft_id: int, days: int):
    """立即开始征求意见，为期 N 天。"""
    draft = _load(draft_id)
    now = clock.now()
    try:
        draft_service.publish_draft(draft, opens_at=now, closes_at=add_days(now, days), now=now)
    except ServiceError as exc:
        _fail(exc)
    db.session.commit()
    click.echo(f"已发布草案 {draft.id}：征求意见 {format_local(draft.opens_at)} 至 {format_local(draft.closes_at)}")


@drafts_cli.command("close")
@click.argument("draft_id", metavar="ID", type=int)
@in_default_locale
@writes
def close_command(draft_id: int):
    """立即截止征求意见。"""
    draft = _load(draft_id)
    try:
        draft_service.close_draft(draft, now=clock.now())
    except ServiceError as exc:
        _fail(exc)
    db.session.commit()
    click.echo(f"已截止草案 {draft.id} 的征求意见（{format_local(draft.closes_at)}）")


@drafts_cli.command("extend")
@click.argument("draft_id", metavar="ID", type=int)
@click.option("--days", type=click.IntRange(1, draft_service.MAX_COMMENT_DAYS), required=True,
              help="把截止时间推后的天数。")
@in_default_locale
@writes
def extend_command(draft_id: int, days: int):
    """把截止时间推后 N 天。"""
    draft = _load(draft_id)
    if draft.closes_at is None:
        raise click.ClickException("草案尚未发布，不能延长征求意见期。")
    try:
        draft_service.extend_draft(draft, closes_at=add_days(draft.closes_at, days), now=clock.now())
    except ServiceError as exc:
        _fail(exc)
    db.session.commit()
    click.echo(f"草案 {draft.id} 的截止时间已延长至 {format_local(draft.closes_at)}")


@drafts_cli.command("list")
@in_default_locale
def list_command():
    """列出全部草案及其状态。"""
    now = clock.now()
    drafts = list(db.session.scalars(queries.drafts_with_status_query(None, now, include_unpublished=True)))
    if not drafts:
        click.echo("还没有草案。")
        return
    articles = queries.article_counts(d.current_version.id for d in drafts if d.current_version)
    click.echo("编号\t状态\t条数\t开始\t截止\t标题")
    for draft in drafts:
        version = draft.current_version
        status = labels.label(labels.DRAFT_STATUS, draft.status_at(now))
        count = articles.get(version.id, 0) if version else 0
        click.echo(f"{draft.id}\t{status}\t{count}\t{format_local(draft.opens_at)}\t"
                   f"{format_local(draft.closes_at)}\t{draft.title}")


@drafts_cli.command("report")
@click.argument("draft_id", metavar="ID", type=int)
@in_default_locale
def report_command(draft_id: int):
    """输出草案的结构统计和检查结果。"""
    draft = _load(draft_id)
    if draft.current_version is None:
        raise click.ClickException(f"草案 {draft_id} 没有文本。")
    status = labels.label(labels.DRAFT_STATUS, draft.status_at(clock.now()))
    click.echo(f"草案 {draft.id}：{draft.title}（{status}）")
    for line in _summary_lines(draft):
        click.echo(line)
    issues = _issue_lines(draft)
    if issues:
        click.echo("问题：")
        for line in issues:
            click.echo(line)
    for text in draft.current_version.unplaced:
        click.echo(f"  未归入条文：{text}")
