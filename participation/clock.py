"""The server clock. Statuses and deadlines are always judged by ``now()``; tests move
time by monkeypatching this function."""
from __future__ import annotations

from datetime import datetime

from participation.database import utcnow


def now() -> datetime:
    return utcnow()
