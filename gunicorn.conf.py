"""gunicorn's hooks for this app. gunicorn reads ./gunicorn.conf.py from the folder it is
started in (``make run`` and the tests start it from the project folder); settings on the
command line (--bind, --workers, --threads) still apply on top of this file.

* ``post_worker_init`` (each worker, after loading the app, before serving): loads
  jieba's dictionaries, so the worker's first search is complete rather than spending
  its time budget on loading them.
"""
from __future__ import annotations

import os


def post_worker_init(worker):
    app = worker.wsgi
    config = getattr(app, "config", None)
    if config is None or not config.get("SEARCH_ENABLED"):
        return
    from search import analysis

    analysis.warm()
