"""``local://``: the in-process rate-limit storage, without a thread per request.

``limits``' own ``memory://`` storage expires old counters from a ``threading.Timer``
that it starts again, 10 ms later, whenever the previous one has ended: under steady
traffic nearly every rate-limited request creates and starts a thread (about a fifth of
the CPU of an API submission, measured with bench/bench_submit_cost.py). This storage is the same counters
with expiry done inline instead: a counter past its window is already dropped when it
is read (``MemoryStorage.get``), and the sweep of everything else that expired runs at
most once a second, from whichever request comes by.

Like ``memory://`` it counts per process: with N web processes every limit is in effect
N times higher. ``per_process_limits`` says when that is the case; gunicorn.conf.py logs
it at start-up and ``register_readiness_check`` reports it to ``/readyz``. Deployments with
several processes set ``RATELIMIT_STORAGE_URI`` to a shared store (Redis).
"""
from __future__ import annotations

import threading
import time
from collections.abc import Mapping

from limits.storage import MemoryStorage

SWEEP_INTERVAL_SECONDS = 1.0
# Storages whose counters live in the memory of one process (Flask-Limiter's default is
# memory://).
PER_PROCESS_SCHEMES = ("local", "memory", "async+memory")
SHARED_STORAGE_EXAMPLE = "redis://127.0.0.1:6379/0"


def per_process_limits(config: Mapping, processes: int | None = None) -> dict | None:
    """Why the configured rate limits do not hold across the app's processes, or None.

    ``config``: the app's configuration (or ``config_from_env``'s dict); ``processes``:
    how many processes serve the app, default ``config["WEB_PROCESSES"]``. The answer is
    the readiness checks' shape: ``{"state": "degraded", "reason": "per_process_storage",
    "processes": N}``."""
    if processes is None:
        processes = int(config.get("WEB_PROCESSES") or 1)
    if processes <= 1 or not config.get("RATELIMIT_ENABLED", True):
        return None
    uri = str(config.get("RATELIMIT_STORAGE_URI") or "memory://")
    if uri.partition("://")[0].strip().lower() not in PER_PROCESS_SCHEMES:
        return None
    return {"state": "degraded", "reason": "per_process_storage", "processes": processes}


def per_process_warning(config: Mapping, processes: int) -> str | None:
    """The start-up log line for ``per_process_limits``, naming the fix; None when fine."""
    if per_process_limits(config, processes) is None:
        return None
    uri = config.get("RATELIMIT_STORAGE_URI") or "memory://"
    return (f"Rate limits are counted in each process (RATELIMIT_STORAGE_URI={uri}) but {processes} "
            f"processes serve this app: every limit is in effect {processes} times higher. Set "
            f"RATELIMIT_STORAGE_URI={SHARED_STORAGE_EXAMPLE} (a Redis server shared by the processes), "
            f"or run a single worker.")


def register_readiness_check(app) -> None:
    """Register ``per_process_limits`` among the app's readiness checks (``/readyz``):
    a callable without arguments, None when fine, else a dict saying what is degraded."""
    app.extensions.setdefault("readiness_checks", {})["rate_limits"] = lambda: per_process_limits(app.config)


class LocalMemoryStorage(MemoryStorage):
    STORAGE_SCHEME = ["local"]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options):
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        # The base class has just started its first timer; it runs once, harmlessly.
        self._sweep_lock = threading.Lock()
        self._next_sweep = time.monotonic() + SWEEP_INTERVAL_SECONDS

    # MemoryStorage calls ``self.__schedule_expiry()`` (name-mangled to this name)
    # before every counter change; here it sweeps inline instead of starting a timer.
    def _MemoryStorage__schedule_expiry(self) -> None:
        now = time.monotonic()
        if now < self._next_sweep or not self._sweep_lock.acquire(blocking=False):
            return
        try:
            self._next_sweep = now + SWEEP_INTERVAL_SECONDS
            self._MemoryStorage__expire_events()
        finally:
            self._sweep_lock.release()
