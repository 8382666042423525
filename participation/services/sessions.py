"""Server-side records of signed-in browsers (see ``LoginSession``)."""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, select

from participation.extensions import db
from participation.models import LoginSession, User


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def digest_of(secret: str | None) -> str | None:
    """What a session row stores for a cookie's secret (to mark "this browser")."""
    return _digest(secret) if secret else None


def start_login_session(user: User, *, lifetime: timedelta, ip: str, user_agent: str, now: datetime) -> str:
    """Record a new session and return the secret to keep in the cookie."""
    db.session.execute(delete(LoginSession).where(LoginSession.expires_at <= now))
    secret = secrets.token_urlsafe(32)
    db.session.add(LoginSession(
        user_id=user.id, secret_digest=_digest(secret), created_at=now, expires_at=now + lifetime,
        ip=(ip or "")[:64], user_agent=(user_agent or "")[:200],
    ))
    db.session.flush()
    return secret


def live_session_user_id(secret: str | None, now: datetime) -> int | None:
    """The account a session secret belongs to, or None when ended or expired."""
    if not secret or len(secret) > 100:
        return None
    row = db.session.execute(
        select(LoginSession.user_id, LoginSession.expires_at).where(LoginSession.secret_digest == _digest(secret))
    ).first()
    if row is None or row.expires_at <= now:
        return None
    return row.user_id


def end_login_session(secret: str | None) -> None:
    if secret:
        db.session.execute(delete(LoginSession).where(LoginSession.secret_digest == _digest(secret)))
        db.session.flush()


def end_all_login_sessions(user: User, *, except_secret: str | None = None) -> int:
    """End every session of the account (but the one given); returns how many."""
    statement = delete(LoginSession).where(LoginSession.user_id == user.id)
    if except_secret:
        statement = statement.where(LoginSession.secret_digest != _digest(except_secret))
    result = db.session.execute(statement)
    db.session.flush()
    return result.rowcount or 0


def live_sessions(user: User, now: datetime) -> list[LoginSession]:
    return list(db.session.scalars(
        select(LoginSession).where(LoginSession.user_id == user.id, LoginSession.expires_at > now)
        .order_by(LoginSession.created_at.desc())
    ))
