"""站内消息 and the channels that deliver them.

``notify`` writes one inbox row per person and event (never two: the rows are unique on
(user, event_key), and the insert skips a row that exists, so two concurrent
publications of one event store it once and neither fails), then hands the new rows to
every registered channel. The inbox is the row itself; another channel (email:
``participation.mail``) registers a function with ``register_channel`` that is called in
the same transaction with the new rows' ids — it enqueues delivery jobs — so a channel
is added without touching the events.

Each account chooses per event and channel (``NotificationPreference``; without a row
the channel is on). A row is written when either channel is on; with the inbox off it is
kept out of the inbox (``in_inbox``) and only the email is made from it.

Events that reach the followers of a draft (``FOLLOWER_KINDS``) are announced once
(``announce``: the first to insert the event's key wins) and fanned out by a background
job (``notifications.fanout`` in ``participation.mail.tasks``), never in the request."""
from __future__ import annotations

import enum
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from sqlalchemy import exists, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from participation.extensions import db
from participation.models import (
    AnnouncedEvent, Batch, Disposition, Draft, Notification, NotificationPreference, Opinion, Role, User,
)


class NotificationKind(str, enum.Enum):
    FEEDBACK_PUBLISHED = "feedback_published"  # 意见采纳情况已发布
    OPINION_HIDDEN = "opinion_hidden"          # 您的意见被屏蔽
    DRAFT_OPENED = "draft_opened"              # 关注的草案开始征求意见
    DRAFT_CLOSING = "draft_closing"            # 关注的草案即将截止（三天前）
    NEW_READING = "new_reading"                # 关注的草案有了新的审次文本
    BATCH_DISPOSED = "batch_disposed"          # 联系点批次的意见已全部处理


INBOX = "inbox"
EMAIL = "email"
CHANNELS = (INBOX, EMAIL)

#: What followers of a draft hear about (accounts and confirmed email addresses).
FOLLOWER_KINDS = (NotificationKind.DRAFT_OPENED, NotificationKind.DRAFT_CLOSING, NotificationKind.NEW_READING,
                  NotificationKind.FEEDBACK_PUBLISHED)

#: How many days before the deadline followers hear that a draft is about to close.
CLOSING_SOON_DAYS = 3

#: Rows per INSERT statement of a fan-out (well under SQLite's bound-parameter limit).
INSERT_CHUNK = 1000


def kinds_for(user) -> list[NotificationKind]:
    """The events an account can hear about: the settings page offers these."""
    kinds = [NotificationKind.FEEDBACK_PUBLISHED, NotificationKind.OPINION_HIDDEN, NotificationKind.DRAFT_OPENED,
             NotificationKind.DRAFT_CLOSING, NotificationKind.NEW_READING]
    if getattr(user, "role", None) == Role.OPERATOR.value:
        kinds.append(NotificationKind.BATCH_DISPOSED)
    return kinds


def default_enabled(kind: str, channel: str) -> bool:
    """Every event on both channels unless the account turns it off: email only ever
    goes to a verified address, and every email carries a one-click unsubscribe."""
    return True


Channel = Callable[[list[int]], None]
_channels: list[Channel] = []


def register_channel(channel: Channel) -> None:
    if channel not in _channels:
        _channels.append(channel)


def insert_ignoring_duplicates(table, rows: list[dict], *, unique: list[str], returning=()) -> list:
    """INSERT ``rows`` into ``table``, skipping each row that would break the unique
    constraint on ``unique`` (ON CONFLICT DO NOTHING, on SQLite and PostgreSQL alike);
    returns the ``returning`` columns of the rows actually inserted."""
    if not rows:
        return []
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(table).on_conflict_do_nothing(index_elements=unique)
    if not returning:
        db.session.execute(statement, rows)
        return []
    result = db.session.execute(statement.returning(*returning), rows)
    return result.all()


def _chunks(items: list, size: int) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _disabled_channels(user_ids: list[int], kind: str) -> dict[int, set[str]]:
    """The channels each of ``user_ids`` turned off (or, where the default is off, did
    not turn on) for ``kind``."""
    explicit: dict[int, dict[str, bool]] = {}
    for user_id, channel, is_enabled in db.session.execute(select(
            NotificationPreference.user_id, NotificationPreference.channel, NotificationPreference.is_enabled).where(
            NotificationPreference.kind == kind, NotificationPreference.user_id.in_(user_ids))):
        explicit.setdefault(user_id, {})[channel] = is_enabled
    return {user_id: {channel for channel in CHANNELS
                      if not explicit.get(user_id, {}).get(channel, default_enabled(kind, channel))}
            for user_id in user_ids}


def notify(user_ids, *, kind: NotificationKind, event_key: str, now: datetime,
           draft_id: int | None = None, payload: dict | None = None) -> list[int]:
    """Put the event in the inbox of each of ``user_ids`` (a list or a SELECT of user
    ids) who does not have it yet and has not turned both channels off for ``kind``;
    returns the ids of the new rows. Core inserts of ``INSERT_CHUNK`` rows, so a
    fan-out of thousands is a handful of statements."""
    if not isinstance(user_ids, (list, tuple, set)):
        user_ids = list(db.session.scalars(user_ids))
    table = Notification.__table__
    new_ids: list[int] = []
    for chunk in _chunks(sorted(set(user_ids)), INSERT_CHUNK):
        disabled = _disabled_channels(chunk, kind.value)
        rows = [{"user_id": user_id, "kind": kind.value, "event_key": event_key, "draft_id": draft_id,
                 "payload": dict(payload or {}), "created_at": now, "in_inbox": INBOX not in disabled[user_id]}
                for user_id in chunk if disabled[user_id] != set(CHANNELS)]
        new_ids += [row.id for row in insert_ignoring_duplicates(
            table, rows, unique=["user_id", "event_key"], returning=[table.c.id])]
    if new_ids:
        new_ids.sort()
        for channel in _channels:
            channel(new_ids)
    return new_ids


def announce(event_key: str, *, now: datetime) -> bool:
    """Claim ``event_key``: True for the first caller (who then announces the event),
    False for every later one, concurrent or not."""
    return bool(insert_ignoring_duplicates(
        AnnouncedEvent.__table__, [{"event_key": event_key, "created_at": now}], unique=["event_key"],
        returning=[AnnouncedEvent.__table__.c.event_key]))


def announce_to_followers(draft: Draft, kind: NotificationKind, *, event_key: str, now: datetime,
                          payload: dict | None = None):
    """Enqueue the fan-out of an event to ``draft``'s followers, once per ``event_key``
    (None when it was announced before). The job is sent when the caller commits."""
    from participation import jobs

    if not announce(f"followers:{event_key}", now=now):
        return None
    return jobs.enqueue("notifications.fanout", draft_id=draft.id, params={
        "kind": kind.value, "event_key": event_key, "payload": {"title": draft.title, **(payload or {})}})


# --- the events --------------------------------------------------------------------------

def notify_feedback_published(draft, *, now: datetime) -> list[int]:
    """Everyone with an account who commented on ``draft`` (web or API), and the
    operators of every liaison point that sent a batch on it, hear that its feedback is
    published; its followers hear it through the fan-out job."""
    authors = set(db.session.scalars(select(Opinion.author_id).where(
        Opinion.draft_id == draft.id, Opinion.author_id.is_not(None)).distinct()))
    points = select(Batch.liaison_point_id).where(Batch.draft_id == draft.id)
    operators = set(db.session.scalars(select(User.id).where(
        User.role == Role.OPERATOR.value, User.liaison_point_id.in_(points), User.is_enabled.is_(True))))
    event_key = f"feedback_published:{draft.id}"
    new_ids = notify(sorted(authors | operators), kind=NotificationKind.FEEDBACK_PUBLISHED, event_key=event_key,
                     draft_id=draft.id, payload={"title": draft.title}, now=now)
    # Followers who commented have the row already (one per person and event); the
    # others' rows say they follow the draft.
    announce_to_followers(draft, NotificationKind.FEEDBACK_PUBLISHED, event_key=event_key, now=now,
                          payload={"followed": True})
    return new_ids


def notify_opinion_hidden(opinion: Opinion, *, now: datetime) -> list[int]:
    """The author (an account) of an opinion staff hid hears it, with the reason. Each
    hiding is its own event: hidden, shown again and hidden again is told twice."""
    if opinion.author_id is None:
        return []
    title = db.session.scalar(select(Draft.title).where(Draft.id == opinion.draft_id)) or ""
    return notify([opinion.author_id], kind=NotificationKind.OPINION_HIDDEN,
                  event_key=f"opinion_hidden:{opinion.id}:{now:%Y%m%d%H%M%S}", draft_id=opinion.draft_id, now=now,
                  payload={"title": title, "reason": opinion.hidden_reason, "receipt": opinion.receipt_code or ""})


def notify_new_reading(draft: Draft, version, *, now: datetime):
    """Followers hear that ``draft`` has the new reading ``version``."""
    return announce_to_followers(draft, NotificationKind.NEW_READING, event_key=f"new_reading:{version.id}", now=now,
                                 payload={"reading": version.reading, "number": version.number})


def notify_disposed_batches(draft_id: int, *, now: datetime) -> int:
    """Tell the operators of each liaison point whose batch on the draft now has a
    disposition for every opinion — once per batch, however often dispositions are
    recorded afterwards. Returns how many batches were announced now.

    Submitters see the dispositions only when the feedback report is published; the
    operators learn here that their point's batch is fully handled."""
    pending = exists().where(Opinion.batch_id == Batch.id, Opinion.disposition == Disposition.PENDING.value)
    done = db.session.execute(select(Batch.id, Batch.liaison_point_id, Batch.activity_date, Batch.row_count).where(
        Batch.draft_id == draft_id, ~pending)).all()
    announced = 0
    title = None
    for batch in done:
        event_key = f"batch_disposed:{batch.id}"
        if not announce(event_key, now=now):
            continue
        announced += 1
        if title is None:
            title = db.session.scalar(select(Draft.title).where(Draft.id == draft_id)) or ""
        operators = select(User.id).where(User.role == Role.OPERATOR.value,
                                          User.liaison_point_id == batch.liaison_point_id, User.is_enabled.is_(True))
        notify(operators, kind=NotificationKind.BATCH_DISPOSED, event_key=event_key, draft_id=draft_id, now=now,
               payload={"title": title, "batch_id": batch.id, "point_id": batch.liaison_point_id,
                        "activity_date": batch.activity_date.isoformat(), "count": batch.row_count})
    return announced


def announce_due_events(now: datetime, *, lookback_days: int = 7) -> int:
    """The time-based events, for the five-minute scan: drafts that opened (within
    ``lookback_days``, so that a first deployment does not announce old drafts) and
    drafts that close within ``CLOSING_SOON_DAYS``. Each event's key makes it once
    (a deadline moved later is a new closing-soon event). Returns how many fan-outs
    were enqueued."""
    live = (Draft.published_at.is_not(None), Draft.feedback_published_at.is_(None), Draft.opens_at <= now,
            Draft.closes_at > now)
    enqueued = 0
    for draft in db.session.scalars(select(Draft).where(*live, Draft.opens_at > now - timedelta(days=lookback_days))):
        enqueued += announce_to_followers(draft, NotificationKind.DRAFT_OPENED, event_key=f"draft_opened:{draft.id}",
                                          now=now, payload={"closes_at": draft.closes_at.isoformat()}) is not None
    for draft in db.session.scalars(select(Draft).where(
            *live, Draft.closes_at <= now + timedelta(days=CLOSING_SOON_DAYS))):
        enqueued += announce_to_followers(
            draft, NotificationKind.DRAFT_CLOSING, event_key=f"draft_closing:{draft.id}:{draft.closes_at:%Y%m%d%H%M}",
            now=now, payload={"closes_at": draft.closes_at.isoformat()}) is not None
    return enqueued


# --- preferences ---------------------------------------------------------------------------

def preferences_of(user) -> dict[tuple[str, str], bool]:
    """(kind, channel) → on/off for every event ``user`` can hear about."""
    explicit = {(row.kind, row.channel): row.is_enabled for row in db.session.scalars(
        select(NotificationPreference).where(NotificationPreference.user_id == user.id))}
    return {(kind.value, channel): explicit.get((kind.value, channel), default_enabled(kind.value, channel))
            for kind in kinds_for(user) for channel in CHANNELS}


def set_preference(user, kind: str, channel: str, is_enabled: bool, *, now: datetime) -> bool:
    """Record one choice; False when it was already so."""
    row = db.session.scalar(select(NotificationPreference).where(
        NotificationPreference.user_id == user.id, NotificationPreference.kind == kind,
        NotificationPreference.channel == channel))
    if row is None:
        if is_enabled == default_enabled(kind, channel):
            return False
        insert_ignoring_duplicates(NotificationPreference.__table__, [
            {"user_id": user.id, "kind": kind, "channel": channel, "is_enabled": is_enabled, "updated_at": now}],
            unique=["user_id", "kind", "channel"])
        db.session.flush()
        return True
    if row.is_enabled == is_enabled:
        return False
    row.is_enabled, row.updated_at = is_enabled, now
    db.session.flush()
    return True


def set_preferences(user, chosen: set[tuple[str, str]], *, now: datetime) -> int:
    """Turn on exactly the (kind, channel) pairs in ``chosen`` among those ``user`` can
    choose; returns how many changed."""
    return sum(set_preference(user, kind, channel, (kind, channel) in chosen, now=now)
               for kind, channel in preferences_of(user))


# --- the inbox -----------------------------------------------------------------------------

def inbox_query(user_id: int):
    return (select(Notification).where(Notification.user_id == user_id, Notification.in_inbox.is_(True))
            .order_by(Notification.created_at.desc(), Notification.id.desc()))


def unread_count(user_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == user_id, Notification.in_inbox.is_(True), Notification.read_at.is_(None))) or 0


def mark_read(user_id: int, *, now: datetime, notification_id: int | None = None) -> int:
    """Mark one (or, without ``notification_id``, every) unread notification of the user read."""
    query = update(Notification).where(Notification.user_id == user_id, Notification.read_at.is_(None))
    if notification_id is not None:
        query = query.where(Notification.id == notification_id)
    return db.session.execute(query.values(read_at=now).execution_options(synchronize_session=False)).rowcount or 0
