"""Thin HTML routes: load → policy → validate → service → commit once → redirect."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import abort, render_template, request
from flask_login import current_user

from participation.errors import NotFound, ServiceError
from participation.extensions import db

# The largest id a URL may name: PostgreSQL's integer (a larger one would fail the query).
MAX_ID = 2**31 - 1


def safe_next_url(target: str | None, default: str) -> str:
    """Only same-site relative paths are followed after sign-in or a language switch."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target


def require(allowed: bool) -> None:
    """Refuse unless ``allowed``: anonymous visitors are sent to sign in, signed-in
    users get 403."""
    if allowed:
        return
    if not current_user.is_authenticated:
        from participation.extensions import login_manager

        abort(login_manager.unauthorized())
    abort(403)


def load_visible(load, object_id, can_see=None, *, message: str | None = None):
    """load → policy → 404: the object with ``object_id`` when it exists and
    ``can_see(obj)`` is true. ``load`` is a model class (looked up by primary key) or a
    function of the id.

    Every route that loads an object by id (pages and API) goes through here, so an
    object the caller may not see answers exactly like one that does not exist: 404,
    never 403, which would confirm the id to an outsider. Refusals by role alone (a
    citizen in the staff area, 403) are checked before this call, so they too answer the
    same for every id. Pages get werkzeug's 404; the API passes ``message`` and gets a
    NotFound service error (its JSON body)."""
    obj = None
    if isinstance(object_id, int) and 0 < object_id <= MAX_ID:
        obj = db.session.get(load, object_id) if isinstance(load, type) else load(object_id)
    if obj is None or (can_see is not None and not can_see(obj)):
        if message is not None:
            raise NotFound(message)
        abort(404)
    return obj


def apply_field_errors(form, error: ServiceError) -> bool:
    """Attach a service's field errors to the matching form fields. Returns True when at
    least one field took an error (otherwise the caller flashes the message)."""
    placed = False
    for name, messages in error.fields.items():
        field = getattr(form, name, None)
        if field is not None and hasattr(field, "errors"):
            field.errors = list(field.errors) + list(messages)
            placed = True
    return placed


def form_page(template: str, form, **context):
    """A form's page: 422 when the posted form had errors, else 200."""
    return render_template(template, form=form, **context), (422 if form.errors else 200)


def client_ip() -> str:
    return request.remote_addr or "unknown"
