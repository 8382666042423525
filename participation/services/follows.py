"""关注: accounts follow a draft at once; visitors without an account subscribe by email
and confirm by a link (double opt-in) before anything but the confirmation is sent.
Unsubscribing an email-only follow deletes it."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import delete, func, select

from participation.errors import ValidationFailed
from participation.extensions import db
from participation.models import Draft, Follow
from participation.services.accounts import _EMAIL_RE
from participation.services.notifications import insert_ignoring_duplicates

MAX_EMAIL_LENGTH = 254


def is_following(user, draft_id: int) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return db.session.scalar(select(Follow.id).where(Follow.draft_id == draft_id, Follow.user_id == user.id)) is not None


def follower_count(draft_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(Follow).where(
        Follow.draft_id == draft_id, Follow.confirmed_at.is_not(None))) or 0


def follow_draft(user, draft: Draft, *, now: datetime) -> bool:
    """The account follows ``draft``; False when it already did (a double click, two tabs)."""
    inserted = insert_ignoring_duplicates(Follow.__table__, [
        {"draft_id": draft.id, "user_id": user.id, "confirmed_at": now, "created_at": now}],
        unique=["draft_id", "user_id"], returning=[Follow.__table__.c.id])
    return bool(inserted)


def unfollow_draft(user, draft: Draft) -> bool:
    result = db.session.execute(delete(Follow).where(Follow.draft_id == draft.id, Follow.user_id == user.id)
                                .execution_options(synchronize_session=False))
    return bool(result.rowcount)


def normalize_email(value: str | None) -> str:
    """The address lower-cased, or ValidationFailed naming the field ``email``."""
    # The same check as registration, so an address is valid in both places or neither.
    value = (value or "").strip().lower()
    if not _EMAIL_RE.match(value) or len(value) > MAX_EMAIL_LENGTH:
        raise ValidationFailed(_("请输入有效的电子邮箱地址。"), fields={"email": [_("请输入有效的电子邮箱地址。")]})
    return value


@dataclass(frozen=True)
class Subscription:
    follow: Follow
    needs_confirmation: bool  # False: the address already confirmed; nothing to send


def subscribe_by_email(draft: Draft, email: str, *, now: datetime) -> Subscription:
    """An unconfirmed follow of ``draft`` by ``email`` (or the existing one). The caller
    sends the confirmation link when ``needs_confirmation``."""
    email = normalize_email(email)
    insert_ignoring_duplicates(Follow.__table__, [{"draft_id": draft.id, "email": email, "created_at": now}],
                               unique=["draft_id", "email"])
    follow = db.session.scalar(select(Follow).where(Follow.draft_id == draft.id, Follow.email == email))
    return Subscription(follow=follow, needs_confirmation=follow.confirmed_at is None)


def confirm_subscription(follow_id: int, email: str, *, now: datetime) -> Follow | None:
    """Confirm the follow the link names, if it still exists for that address."""
    follow = db.session.get(Follow, follow_id)
    if follow is None or follow.email != email:
        return None
    if follow.confirmed_at is None:
        follow.confirmed_at = now
        db.session.flush()
    return follow


def remove_email_follow(follow_id: int, email: str) -> bool:
    result = db.session.execute(delete(Follow).where(Follow.id == follow_id, Follow.email == email)
                                .execution_options(synchronize_session=False))
    return bool(result.rowcount)
