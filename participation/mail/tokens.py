"""Signed tokens in the links of emails: one-click unsubscribe, the confirmation of an
email-only follow, the verification of an account's address. Each purpose has its own
salt, so a token of one kind is refused by the others; ``load`` returns None for a
tampered, expired or foreign token and the page says so (400), never a 500."""
from __future__ import annotations

from flask import current_app
from itsdangerous import BadData, URLSafeTimedSerializer

UNSUBSCRIBE = "participation.mail.unsubscribe"
CONFIRM_FOLLOW = "participation.mail.confirm-follow"
VERIFY_EMAIL = "participation.mail.verify-email"

#: How long each link works. An unsubscribe link must keep working as long as the
#: messages it is in are read; the other two are answered within days or sent again.
MAX_AGE = {
    UNSUBSCRIBE: 365 * 24 * 3600,
    CONFIRM_FOLLOW: 3 * 24 * 3600,
    VERIFY_EMAIL: 3 * 24 * 3600,
}


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=purpose)


def dump(purpose: str, data: dict) -> str:
    return _serializer(purpose).dumps(data)


def load(purpose: str, token: str) -> dict | None:
    try:
        data = _serializer(purpose).loads(token or "", max_age=MAX_AGE[purpose])
    except (BadData, UnicodeError, ValueError):
        return None
    return data if isinstance(data, dict) else None
