"""Bearer-token authentication for the API.

The API never looks at the session cookie: a browser that is signed in to the site is
anonymous here unless it sends ``Authorization: Bearer <token>``. That is what makes it
safe to exempt the API from CSRF protection.

Every API request is authenticated before its view runs (``authenticate_request``):

* no ``Authorization`` header: anonymous, ``current_api_user()`` is None;
* a live token: ``current_api_user()`` is its account;
* anything else (another scheme, an unknown, revoked or malformed token, a disabled
  account): 401 with ``WWW-Authenticate: Bearer``, even on public endpoints, so a
  client with a broken token finds out at once instead of silently seeing less.

Views that need an account use ``@token_required``; per-object rules go through
``participation.policies`` and ``require(allowed)``.
"""
from __future__ import annotations

import functools
from datetime import timedelta

from flask import current_app, request
from flask_babel import gettext as _
from sqlalchemy import or_
from sqlalchemy.exc import SQLAlchemyError

from participation import clock
from participation.api.errors import ApiError
from participation import unit_of_work
from participation.database import SQLITE_BUSY_TIMEOUT_SECONDS, connect
from participation.extensions import db
from participation.models import ApiToken, User
from participation.services.accounts import TokenHolder, find_token_holder

# last_used_at is informative ("used in the last few minutes"); writing it on every
# request would turn every read into a write.
TOUCH_INTERVAL = timedelta(minutes=5)
TOUCH_LOCK_TIMEOUT_MS = 2000
REALM = "api"
_UNRESOLVED = object()
_ENVIRON_KEY = "participation.api_token"


def _challenge(error: str | None = None) -> dict:
    # RFC 6750 §3: no error code when the request carried no credentials at all.
    value = f'Bearer realm="{REALM}"'
    if error:
        value += f', error="{error}"'
    return {"WWW-Authenticate": value}


def token_missing() -> ApiError:
    return ApiError(401, "unauthorized", _("需要 API 令牌：请在请求头中加入 Authorization: Bearer <令牌>。"),
                    headers=_challenge())


def token_invalid() -> ApiError:
    return ApiError(401, "invalid_token", _("API 令牌无效、已被撤销，或其账户已停用。"),
                    headers=_challenge("invalid_token"))


def _bearer_credentials() -> str | None:
    """The token from the Authorization header; None when there is no header.
    Raises 401 for a header that is not a well-formed bearer credential."""
    header = request.headers.get("Authorization")
    if header is None:
        return None
    scheme, _sep, credentials = header.strip().partition(" ")
    credentials = credentials.strip()
    if scheme.lower() != "bearer" or not credentials or " " in credentials:
        raise token_invalid()
    return credentials


def _resolve() -> TokenHolder | None:
    # Cached on the request, not on ``g``: ``g`` lives as long as the application
    # context, which a test (or a script) may keep across several requests.
    cached = request.environ.get(_ENVIRON_KEY, _UNRESOLVED)
    if cached is not _UNRESOLVED:
        return cached
    secret = _bearer_credentials()
    if secret is None:
        request.environ[_ENVIRON_KEY] = None
        return None
    holder = find_token_holder(secret)
    if holder is None:
        raise token_invalid()
    # Inside a write unit the use is recorded in its transaction; otherwise on a
    # separate connection, so that the request's own transaction stays a read.
    _touch(holder, separate_connection=not unit_of_work.is_writing())
    request.environ[_ENVIRON_KEY] = holder
    return holder


def _touch(holder: TokenHolder, *, separate_connection: bool) -> None:
    """Record when the token was last used, at most once per TOUCH_INTERVAL.

    Outside a write unit (the token is resolved before the view opens its unit) the
    update runs in its own short write transaction on a separate connection, so the
    request's own transaction stays a read that never queues behind writers. Inside a
    write unit it runs in the unit's transaction, which already holds the write lock (a
    second writer connection would wait for it forever).
    """
    now = clock.now()
    if holder.token_last_used_at is not None and now - holder.token_last_used_at < TOUCH_INTERVAL:
        return
    table = ApiToken.__table__
    statement = (
        table.update()
        .where(table.c.id == holder.token_id)
        # Concurrent requests with one token: only the first in an interval writes.
        .where(or_(table.c.last_used_at.is_(None), table.c.last_used_at < now - TOUCH_INTERVAL))
        .values(last_used_at=now)
    )
    if not separate_connection:
        db.session.connection().execute(statement)
        return
    try:
        _execute_briefly(statement)
    except SQLAlchemyError:
        # Bookkeeping only: never fail the request over it.
        current_app.logger.warning("could not record the use of API token %s", holder.token_id, exc_info=True)


def _execute_briefly(statement) -> None:
    """Run ``statement`` in its own write transaction, giving up after
    TOUCH_LOCK_TIMEOUT_MS instead of the usual long wait when another writer holds the
    lock: a read must not stall behind a long write for the sake of bookkeeping."""
    with connect(db.engine, write=True) as connection:
        sqlite = connection.dialect.name == "sqlite"
        # Straight on the driver connection (autocommit on SQLite, see
        # participation.database), so that no transaction begins before ours.
        raw = connection.connection.dbapi_connection if sqlite else None
        if raw is not None:
            raw.execute(f"PRAGMA busy_timeout={TOUCH_LOCK_TIMEOUT_MS}")
        try:
            with connection.begin():
                if connection.dialect.name == "postgresql":
                    connection.exec_driver_sql(f"SET LOCAL lock_timeout = {TOUCH_LOCK_TIMEOUT_MS}")
                connection.execute(statement)
        finally:
            if raw is not None:
                raw.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_SECONDS * 1000}")


def authenticate_request() -> None:
    """``before_request`` hook of API blueprints: resolve the bearer token or refuse."""
    _resolve()


def current_api_holder() -> TokenHolder | None:
    """The bearer token and its account as plain columns, or None for an anonymous
    request: what rate-limit keys, ``@token_required`` and the submission hot path use
    (no ORM objects)."""
    return _resolve()


def _row(model, id_of):
    """The ORM row of ``model`` for the request's token holder, loaded on first use and
    kept on the request; None for an anonymous request."""
    holder = _resolve()
    if holder is None:
        return None
    key = f"participation.api_row.{model.__name__}"
    row = request.environ.get(key)
    if row is None:
        row = request.environ[key] = db.session.get(model, id_of(holder))
    return row


def current_api_token() -> ApiToken | None:
    """The request's token as an ORM row (loaded on first use), or None."""
    return _row(ApiToken, lambda holder: holder.token_id)


def current_api_user() -> User | None:
    """The account of the request's bearer token as an ORM row (loaded on first use),
    or None for an anonymous request. ``participation.policies`` functions accept None
    as "anonymous"."""
    return _row(User, lambda holder: holder.id)


def token_rate_limit_key() -> str:
    """Rate-limit key per token (per address for anonymous requests). Rate limits run
    before the blueprint's authentication hook; resolving here refuses a bad token with
    401 just the same (and caches it for the view)."""
    holder = _resolve()
    return f"api-token:{holder.token_id}" if holder is not None else f"api-anonymous:{request.remote_addr}"


def token_required(view):
    """Refuse with 401 unless the request carries a live bearer token."""

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if _resolve() is None:
            raise token_missing()
        return view(*args, **kwargs)

    wrapped.api_token_required = True
    return wrapped


def require(allowed: bool) -> None:
    """Refuse unless ``allowed`` (the result of a ``policies.can_*`` call): 401 for an
    anonymous request, 403 for an account without the right."""
    if allowed:
        return
    if _resolve() is None:
        raise token_missing()
    raise ApiError(403, "forbidden", _("您的账户没有执行此操作的权限。"))
