"""The indexer's incidents: failed cycles and failed rebuilds in a row, and when to rebuild.

A drain cycle that fails (a failing merge, an unwritable file) leaves the outbox as it
is and is recorded in status.json (``state=error``, ``error``, ``failures`` in a row,
``since``, ``stuck_on``: the first outbox id of the failing batch); after
``SEARCH_HEAL_AFTER_FAILURES`` in a row the index is rebuilt aside from the database and
swapped in, then the outbox drained (``search.indexer``: ``_cycle``, ``_heal``). A
rebuild that fails is retried after a backoff (``backoff_delay``: doubling, capped). A
locked index (another writer) is not a failure. ``Failures`` is that bookkeeping, kept
in status.json; ``search.healthcheck`` reads it for ``/readyz``.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timezone

from search.settings import Settings


def _now() -> float:
    """The clock of the healing schedule (wall-clock seconds: the schedule is kept in
    status.json and read by other processes). Tests replace it instead of sleeping."""
    return time.time()


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, timezone.utc).isoformat(timespec="seconds")


def backoff_delay(attempt: int, base: float, cap: float) -> float:
    """Seconds between the failure of rebuild attempt ``attempt - 1`` and attempt
    ``attempt`` (1, 2, … within one incident): the first at once, then ``base``,
    ``2·base``, ``4·base`` … never more than ``cap``."""
    if attempt <= 1:
        return 0.0
    return min(cap, base * 2 ** min(attempt - 2, 32))


@dataclass
class Failures:
    """The indexer's current incident: consecutive failed cycles and failed rebuilds.

    Kept in status.json (every writer holds the writer lock, so there is one at a
    time) rather than in memory, so the count goes on when the failing process is
    restarted by its supervisor or another process takes over, and ``/readyz`` and
    ``flask search status`` read it from any process. Any cycle that works ends the
    incident (status ``idle``, no failure fields)."""

    count: int = 0
    since: str | None = None
    stuck_on: int | None = None
    error: str | None = None
    rebuilds: int = 0            # failed rebuild attempts of this incident
    retry_at: float | None = None  # no rebuild attempt before (epoch seconds)

    @classmethod
    def from_status(cls, status: dict) -> "Failures":
        def number(key, kind):
            value = status.get(key)
            try:
                return kind(value) if value is not None else None
            except (TypeError, ValueError):
                return None

        return cls(count=number("failures", int) or 0, since=status.get("since") if status.get("failures") else None,
                   stuck_on=number("stuck_on", int), error=status.get("error") if status.get("failures") else None,
                   rebuilds=number("rebuilds_failed", int) or 0, retry_at=number("retry_at", float))

    def failed(self, error: str, stuck_on: int | None, now: float, settings: Settings) -> None:
        if not self.count:
            self.since = _iso(now)
        self.count += 1
        self.error = error
        if stuck_on is not None:
            self.stuck_on = stuck_on
        if self.count >= settings.heal_after and self.retry_at is None and self.rebuilds:
            # A rebuild earlier in this incident worked, the trouble came back: the
            # next one keeps to the schedule instead of starting it over.
            self.retry_at = now + backoff_delay(self.rebuilds + 1, settings.heal_backoff, settings.heal_backoff_max)

    def rebuild_failed(self, error: str, now: float, settings: Settings, *, counted: bool = False) -> None:
        """``counted``: this cycle's failure is already counted (its drain failed)."""
        if counted:
            self.error = error
        else:
            self.failed(error, None, now, settings)
        self.rebuilds += 1
        self.retry_at = now + backoff_delay(self.rebuilds + 1, settings.heal_backoff, settings.heal_backoff_max)

    def fields(self, now: float | None = None) -> dict:
        """For status.json (empty when there is no incident)."""
        if not self.count and not self.rebuilds:
            return {}
        values = {"failures": self.count, "since": self.since, "stuck_on": self.stuck_on, "error": self.error,
                  "rebuilds_failed": self.rebuilds}
        if self.retry_at is not None:
            now = _now() if now is None else now
            values["retry_at"] = self.retry_at
            values["retry_in"] = round(max(self.retry_at - now, 0.0), 3)
        return values
