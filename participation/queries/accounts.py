"""Read helpers for accounts."""
from __future__ import annotations

from sqlalchemy import case, func, or_, select

from participation.extensions import db
from participation.models import ApiToken, User
from participation.queries.paging import MAX_ID


def get_user(user_id: int) -> User | None:
    if not 0 < user_id <= MAX_ID:
        return None
    return db.session.get(User, user_id)


def accounts_query(*, role: str | None = None, search: str = "", enabled: bool | None = None):
    """Accounts filtered by role, status and a search on e-mail or name; newest first."""
    stmt = select(User)
    if role:
        stmt = stmt.where(User.role == role)
    if enabled is not None:
        stmt = stmt.where(User.is_enabled.is_(enabled))
    search = (search or "").strip().lower()
    if search:
        stmt = stmt.where(or_(
            func.lower(User.email).contains(search, autoescape=True),
            func.lower(User.display_name).contains(search, autoescape=True),
            func.lower(func.coalesce(User.deputy_number, "")).contains(search, autoescape=True),
        ))
    return stmt.order_by(User.created_at.desc(), User.id.desc())


def tokens_query(user: User):
    """An account's tokens, live ones first, newest first."""
    return (
        select(ApiToken)
        .where(ApiToken.user_id == user.id)
        .order_by(case((ApiToken.revoked_at.is_(None), 0), else_=1), ApiToken.created_at.desc(), ApiToken.id.desc())
    )
