"""Fixtures of the 操作记录 tests: the opinion fixtures, and reading the log."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from participation.extensions import db
from participation.models import AuditEntry
from tests.opinions.conftest import make_opinion, open_draft  # noqa: F401  (fixtures)


@pytest.fixture
def entries():
    """The entries recorded so far (optionally of one action), oldest first."""

    def read(action: str | None = None) -> list[AuditEntry]:
        stmt = select(AuditEntry).order_by(AuditEntry.id)
        if action:
            stmt = stmt.where(AuditEntry.action == action)
        return list(db.session.scalars(stmt))

    return read
