"""The server clock, and the conversions between the configured local time zone (forms,
CLI, pages) and the aware UTC datetimes stored in the database.

Statuses and deadlines are always judged by ``now()``; tests move time by
monkeypatching this function. Staff type comment-period times as local wall-clock times
(the HTML ``datetime-local`` input has no zone); everything stored is aware UTC
(``participation.database``).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from flask import current_app

from participation.database import utcnow


def now() -> datetime:
    return utcnow()

#: The format of an HTML ``datetime-local`` input value (minutes precision).
FORM_FORMAT = "%Y-%m-%dT%H:%M"


def local_zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["TIMEZONE"])


#: Zones that keep China Standard Time: people call it 北京时间, not "Asia/Shanghai".
BEIJING_TIME_ZONES = frozenset({"Asia/Shanghai", "Asia/Chongqing", "Asia/Chungking", "Asia/Harbin", "PRC"})


def zone_label() -> str:
    """The configured zone as people name it: 北京时间 (Beijing time) for China's zone,
    else its identifier."""
    key = current_app.config["TIMEZONE"]
    if key in BEIJING_TIME_ZONES:
        from flask_babel import gettext

        return gettext("北京时间")
    return key


def local_to_utc(value: datetime) -> datetime:
    """A wall-clock time in the configured zone (naive, as a form gives it) as aware UTC.

    An aware value is only converted. In a zone with daylight saving, a time that falls
    in the autumn overlap is read as the first occurrence (``fold=0``).
    """
    if value.tzinfo is None:
        value = value.replace(tzinfo=local_zone())
    return value.astimezone(timezone.utc)


def utc_to_local(value: datetime) -> datetime:
    """An aware datetime as an aware datetime in the configured zone."""
    if value.tzinfo is None:
        raise ValueError("naive datetime: expected aware UTC")
    return value.astimezone(local_zone())


def to_form_value(value: datetime | None) -> datetime | None:
    """A naive local datetime (seconds dropped) to prefill a ``datetime-local`` field."""
    if value is None:
        return None
    return utc_to_local(value).replace(tzinfo=None, second=0, microsecond=0)


def format_local(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """Plain local-time text for the CLI (pages use the ``local_datetime`` filter)."""
    if value is None:
        return "-"
    return utc_to_local(value).strftime(fmt)


@dataclass(frozen=True)
class TimeLeft:
    """What remains of a comment period, rounded up so that "1 天" is shown until the
    last day ends rather than "0 天"."""

    days: int
    hours: int
    seconds: float

    @property
    def less_than_a_day(self) -> bool:
        return self.seconds < 86400


def time_left(until: datetime | None, now: datetime) -> TimeLeft | None:
    if until is None or until <= now:
        return None
    seconds = (until - now).total_seconds()
    return TimeLeft(days=math.ceil(seconds / 86400), hours=math.ceil(seconds / 3600), seconds=seconds)


def add_days(value: datetime, days: int) -> datetime:
    """``days`` calendar days later in local time (the same wall-clock time), as UTC."""
    local = utc_to_local(value).replace(tzinfo=None) + timedelta(days=days)
    return local_to_utc(local)
