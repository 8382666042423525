"""Errors raised by services and turned into user messages by the views and the API."""
from __future__ import annotations


class ServiceError(Exception):
    """A use case refused. ``message`` is shown to the user (already translated)."""

    status_code = 400

    def __init__(self, message: str, *, fields: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.message = message
        self.fields = fields or {}


class ValidationFailed(ServiceError):
    status_code = 422


class IdempotencyKeyConflict(ValidationFailed):
    """An ``Idempotency-Key`` used before for a different request (another body, file
    or target): 422 with the error code ``idempotency_key_conflict``, as payment APIs
    answer, rather than silently replaying the first request's result."""

    code = "idempotency_key_conflict"


class Conflict(ServiceError):
    status_code = 409


class NotFound(ServiceError):
    status_code = 404


class Forbidden(ServiceError):
    status_code = 403


class Throttled(ServiceError):
    status_code = 429
