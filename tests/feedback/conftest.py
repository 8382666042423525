"""Fixtures of the feedback loop: the opinion fixtures, and a draft whose comment period
has closed."""
from __future__ import annotations

from datetime import timedelta

import pytest

from tests.opinions.conftest import make_opinion, open_draft  # noqa: F401  (fixtures)


@pytest.fixture
def close_draft(frozen_now):
    """Move the clock past ``draft``'s closing time."""

    def close(draft):
        frozen_now.set(draft.closes_at + timedelta(minutes=1))
        return draft

    return close
