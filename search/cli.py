"""``flask search …``: rebuild, the worker, one drain, status."""
from __future__ import annotations

import signal
import sys

import click
from flask import current_app
from flask.cli import AppGroup

search_cli = AppGroup("search", help="全文搜索索引：重建、索引进程、状态。")


def _require_enabled() -> None:
    if not current_app.config.get("SEARCH_ENABLED", True):
        raise click.ClickException("搜索未启用（SEARCH_ENABLED=0）。")


@search_cli.command("rebuild")
@click.option("--procs", type=click.IntRange(1, 64), default=None,
              help="并行进程数（默认：SEARCH_REBUILD_PROCS，或 CPU 核数）。")
@click.option("--wait", type=click.IntRange(0, 86400), default=600, show_default=True,
              help="等待正在写索引的进程结束的最长秒数。")
def rebuild_command(procs, wait):
    """从数据库重建整个索引：在旁边建好后切换，期间搜索照常可用。"""
    from search.indexer import rebuild
    from search.rebuilding import rebuild_size

    _require_enabled()
    opinions, drafts = rebuild_size()
    click.echo(f"重建搜索索引：{opinions} 条意见，{drafts} 部草案的条文。")
    with click.progressbar(length=max(opinions, 1), label="索引意见", show_pos=True, show_percent=True,
                           file=sys.stderr) as bar:
        try:
            result = rebuild(current_app._get_current_object(), procs=procs, progress=bar.update, lock_timeout=wait)
        except TimeoutError as exc:
            raise click.ClickException(f"另一个进程正在写索引，{wait} 秒内未结束：{exc}") from exc
        if opinions == 0:
            bar.update(1)
    rate = result.opinions / result.seconds if result.seconds else 0
    click.echo(f"完成：{result.generation}，{result.opinions} 条意见、{result.provisions} 个条文文档、"
               f"{result.proposals} 件立法项目建议，"
               f"用时 {result.seconds:.1f} 秒（{rate:.0f} 条/秒）；重建期间的 {result.caught_up} 项变更已补上。")


@search_cli.command("worker")
def worker_command():
    """在前台持续处理待索引的变更（生产环境的索引进程，配合 SEARCH_INDEXER=external）。"""
    from search.indexer import Indexer

    _require_enabled()
    app = current_app._get_current_object()
    indexer = Indexer(app, use_leader_lock=True)

    def stop(signum, frame):
        click.echo("收到停止信号，处理完当前批次后退出。", err=True)
        indexer.stop(timeout=0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    click.echo(f"搜索索引进程已启动（进程 {__import__('os').getpid()}），索引目录：{app.config['SEARCH_INDEX_PATH']}")
    indexer.run()
    click.echo("搜索索引进程已退出。")


@search_cli.command("drain")
@click.option("--wait", type=click.IntRange(0, 3600), default=30, show_default=True,
              help="等待其他写入进程的最长秒数。")
def drain_command(wait):
    """把当前所有待索引的变更写入索引一次（必要时先重建）。"""
    from search.indexer import drain

    _require_enabled()
    result = drain(current_app._get_current_object(), lock_timeout=wait)
    if result.busy:
        raise click.ClickException("另一个进程正在写索引，请稍后再试。")
    if result.error:
        later = f"；{result.retry_in:.0f} 秒后再尝试重建" if result.retry_in else ""
        raise click.ClickException(f"未能写入索引：{result.error}（待索引的变更都保留着{later}）")
    click.echo(f"已处理 {result.processed} 项变更" + ("（先重建了索引）" if result.rebuilt else "") + "。")


@search_cli.command("status")
def status_command():
    """索引状态：当前版本、文档数、待处理的变更、健康状况（降级时退出码为 1）。"""
    from search.backend import IndexUnavailable, schema_id
    from search.healthcheck import health
    from search.indexer import backlog
    from search.settings import Settings

    settings = Settings.from_app(current_app)
    store = settings.store
    click.echo(f"索引目录：{settings.index_path}")
    click.echo(f"索引方式：SEARCH_INDEXER={settings.mode}")
    try:
        opened = store.open()
        click.echo(f"当前版本：{opened.name}（{opened.document_count()} 个文档）")
        built = opened.meta.get("schema")
        click.echo(f"结构版本：{built}" + ("" if built == schema_id() else f"（过期，当前程序为 {schema_id()}，将自动重建）"))
    except IndexUnavailable as exc:
        click.echo(f"索引不可用：{exc}（下一次写入时会从数据库重建）")
    waiting = backlog()
    age = f"，最早的已等待 {waiting.oldest_age:.1f} 秒" if waiting.oldest_age is not None else ""
    click.echo(f"待索引的变更：{waiting.count} 项{age}")
    status = store.read_status()
    if status:
        click.echo("最近一次：" + "，".join(f"{key}={value}" for key, value in status.items()))
    # The same verdict as /readyz's "search" check.
    check = health(current_app._get_current_object())
    if check["state"] == "ok":
        click.echo("健康状况：正常")
        return
    click.echo(f"健康状况：降级（search：{'、'.join(check.get('reasons') or [check.get('reason', '?')])}）"
               f"——{check.get('detail', '')}")
    click.get_current_context().exit(1)
