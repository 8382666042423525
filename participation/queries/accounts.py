"""Read helpers for accounts."""
from __future__ import annotations

from participation.extensions import db
from participation.models import User
from participation.queries.paging import MAX_ID


def get_user(user_id: int) -> User | None:
    if not 0 < user_id <= MAX_ID:
        return None
    return db.session.get(User, user_id)
