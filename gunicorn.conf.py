"""gunicorn's hooks for this app. gunicorn reads ./gunicorn.conf.py from the folder it is
started in (``make run`` and the tests start it from the project folder); settings on the
command line (--bind, --workers, --threads) still apply on top of this file.

* ``nworkers_changed`` (the master, at start-up before any worker is forked or the app
  preloaded, on reload and on TTIN/TTOU): exports the worker count as ``WEB_PROCESSES``
  for the app (participation/config.py), and warns when rate limits are counted per
  process, so that N workers would allow N times every limit.
* ``post_worker_init`` (each worker, after loading the app, before serving): loads
  jieba's dictionaries, so the worker's first search is complete rather than spending
  its time budget on loading them.
"""
from __future__ import annotations

import os


def nworkers_changed(server, new_value, old_value):
    os.environ["WEB_PROCESSES"] = str(new_value)
    from participation.config import config_from_env, instance_path_from_env
    from participation.ratelimit_storage import per_process_warning

    warning = per_process_warning(config_from_env(instance_path_from_env()), int(new_value))
    if warning:
        server.log.warning(warning)


def post_worker_init(worker):
    app = worker.wsgi
    config = getattr(app, "config", None)
    if config is None or not config.get("SEARCH_ENABLED"):
        return
    from search import analysis

    analysis.warm()
