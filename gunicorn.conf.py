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

# gunicorn 27 opens a control socket at one fixed path per user (~/.gunicorn/gunicorn.ctl)
# unless told otherwise: two instances on one machine (a test run's servers, or a staging
# and a production app) would take it from each other. Nothing here uses it.
control_socket_disable = True


def nworkers_changed(server, new_value, old_value):
    os.environ["WEB_PROCESSES"] = str(new_value)
    from participation.web.ratelimit_storage import per_process_warning

    warning = per_process_warning(_workers_config(server), int(new_value))
    if warning:
        server.log.warning(warning)


def _workers_config(server) -> dict:
    """The app's settings as its workers will read them from the environment. gunicorn
    applies its own ``env`` setting (``-e NAME=VALUE``) only after this hook, at start-up
    and on reload: lay it over the environment meanwhile."""
    from participation.config import config_from_env, instance_path_from_env

    overrides = dict(getattr(getattr(server, "cfg", None), "env", None) or {})
    previous = {name: os.environ.get(name) for name in overrides}
    os.environ.update(overrides)
    try:
        return config_from_env(instance_path_from_env())
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def post_worker_init(worker):
    app = worker.wsgi
    config = getattr(app, "config", None)
    if config is None or not config.get("SEARCH_ENABLED"):
        return
    from search import analysis

    analysis.warm()
