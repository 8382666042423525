"""Thin HTML routes: load → policy → validate → service → commit once → redirect."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import abort, request
from flask_login import current_user

from participation.errors import ServiceError


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


def client_ip() -> str:
    return request.remote_addr or "unknown"
