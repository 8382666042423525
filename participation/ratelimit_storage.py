"""``local://``: the in-process rate-limit storage, without a thread per request.

``limits``' own ``memory://`` storage expires old counters from a ``threading.Timer``
that it starts again, 10 ms later, whenever the previous one has ended: under steady
traffic nearly every rate-limited request creates and starts a thread (about a fifth of
the CPU of an API submission, see bench/README.md). This storage is the same counters
with expiry done inline instead: a counter past its window is already dropped when it
is read (``MemoryStorage.get``), and the sweep of everything else that expired runs at
most once a second, from whichever request comes by.

Like ``memory://`` it counts per process. Deployments with several processes that need
exact limits across them set ``RATELIMIT_STORAGE_URI`` to a shared store (Redis).
"""
from __future__ import annotations

import threading
import time

from limits.storage import MemoryStorage

SWEEP_INTERVAL_SECONDS = 1.0


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
