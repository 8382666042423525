"""Bounds shared by every look-up and listing."""
from __future__ import annotations

# Integer primary keys are 32-bit on PostgreSQL: a larger id in a URL cannot exist, and
# looking it up would be a database error rather than "not found".
MAX_ID = 2**31 - 1
# Beyond any real listing; keeps the OFFSET within what the database accepts.
MAX_PAGE = 100_000
