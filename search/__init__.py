"""Full-text search: derived data rebuilt from the database at any time.

Reads the domain's models; the domain never imports this package. Wired into an app by
``init_app(app)`` (called at the end of ``create_app``).

The small interface the rest of the platform needs:

* changes are picked up by themselves (``search.tracking`` listens to every session
  and writes outbox rows in the same transaction);
* ``drain(app)`` applies waiting changes now (the indexer does it in the background);
* ``rebuild(app)`` rebuilds everything from the database;
* ``run_search(params, user)`` (``search.service``) searches with filters.

Configuration (environment variable of the same name, or ``create_app`` overrides):

``SEARCH_ENABLED``            1 (default) / 0: no tracking, no indexer, the page says so
``SEARCH_INDEX_PATH``         default ``INSTANCE_PATH/search``
``SEARCH_INDEXER``            ``thread`` (default: a background thread in each web
                              process, one of them active), ``external`` (only
                              ``flask search worker`` writes; the default under
                              TESTING, where tests call ``drain()``), ``off``
``SEARCH_STALE_SECONDS``      age of the oldest waiting change after which pages say
                              results may be incomplete and ``/readyz`` says search is
                              degraded (default 10)
``SEARCH_HEAL_AFTER_FAILURES`` failed indexer cycles in a row after which the index is
                              rebuilt from the database (default 3)
``SEARCH_HEAL_BACKOFF_SECONDS`` wait before retrying a failed rebuild, doubled each time
                              (default 5) up to ``SEARCH_HEAL_BACKOFF_MAX_SECONDS`` (300)
``SEARCH_POLL_SECONDS``       indexer poll interval (default 0.5)
``SEARCH_TIME_BUDGET_SECONDS`` longest a search may visit matches (default 1.0)
``SEARCH_REBUILD_PROCS``      processes for ``flask search rebuild`` (default: CPU count)
"""
from __future__ import annotations

import functools
import os
import threading
from pathlib import Path

from search.healthcheck import health  # noqa: F401
from search.indexer import drain, ensure_thread, rebuild, stop_thread  # noqa: F401
from search.settings import MODES  # noqa: F401

_TRUE = ("1", "true", "yes", "on")


def _env_flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in _TRUE


def _configure(app) -> None:
    config = app.config
    config.setdefault("SEARCH_ENABLED", _env_flag("SEARCH_ENABLED", True))
    config.setdefault("SEARCH_INDEX_PATH", os.environ.get("SEARCH_INDEX_PATH")
                      or str(Path(app.instance_path) / "search"))
    config.setdefault("SEARCH_INDEXER", os.environ.get("SEARCH_INDEXER") or ("external" if app.testing else "thread"))
    config.setdefault("SEARCH_STALE_SECONDS", float(os.environ.get("SEARCH_STALE_SECONDS", 10)))
    config.setdefault("SEARCH_POLL_SECONDS", float(os.environ.get("SEARCH_POLL_SECONDS", 0.5)))
    config.setdefault("SEARCH_TIME_BUDGET_SECONDS", float(os.environ.get("SEARCH_TIME_BUDGET_SECONDS", 1.0)))
    config.setdefault("SEARCH_REBUILD_PROCS", int(os.environ.get("SEARCH_REBUILD_PROCS", 0)))
    config.setdefault("SEARCH_HEAL_AFTER_FAILURES", int(os.environ.get("SEARCH_HEAL_AFTER_FAILURES", 3)))
    config.setdefault("SEARCH_HEAL_BACKOFF_SECONDS", float(os.environ.get("SEARCH_HEAL_BACKOFF_SECONDS", 5)))
    config.setdefault("SEARCH_HEAL_BACKOFF_MAX_SECONDS", float(os.environ.get("SEARCH_HEAL_BACKOFF_MAX_SECONDS", 300)))
    if config["SEARCH_INDEXER"] not in MODES:
        raise RuntimeError(f"SEARCH_INDEXER={config['SEARCH_INDEXER']!r}: expected one of {', '.join(MODES)}")
    config["SEARCH_INDEX_PATH"] = str(Path(config["SEARCH_INDEX_PATH"]).resolve())


def init_app(app) -> None:
    """Register the outbox model, the change listeners, the search page, the API
    endpoint, the ``flask search`` commands and the ``search`` readiness check of
    ``/readyz``; start the indexer thread on the first request when
    ``SEARCH_INDEXER=thread``."""
    from participation.extensions import csrf
    from search import analysis, models, tracking  # noqa: F401  (models: the outbox table)
    from search.api import bp as api_bp
    from search.cli import search_cli
    from search.views import bp as views_bp

    _configure(app)
    app.extensions["search"] = {"enabled": app.config["SEARCH_ENABLED"]}
    analysis.configure(app.instance_path)
    tracking.install()
    app.register_blueprint(views_bp)
    csrf.exempt(api_bp)  # bearer tokens only, like the rest of the API
    app.register_blueprint(api_bp)
    app.cli.add_command(search_cli)

    if not app.config["SEARCH_ENABLED"]:
        return
    # participation.web.health runs the checks registered here (it never imports search).
    app.extensions.setdefault("readiness_checks", {})["search"] = functools.partial(health, app)
    started_in: dict[str, int | None] = {"pid": None}
    lock = threading.Lock()

    @app.before_request
    def _start_background_work():
        # Per process, not at import: gunicorn forks workers after loading the app
        # (threads do not survive a fork), and `flask run`'s reloader parent serves
        # nothing.
        pid = os.getpid()
        if started_in["pid"] == pid:
            return
        with lock:
            if started_in["pid"] == pid:
                return
            started_in["pid"] = pid
            if app.config["SEARCH_INDEXER"] == "thread":
                ensure_thread(app)  # warms jieba first thing
            elif not app.testing:
                threading.Thread(target=analysis.warm, name="jieba-warm", daemon=True).start()
