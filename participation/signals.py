"""Signals the domain sends about writes that no ORM event sees.

Derived data kept outside the domain (the search index) follows the database through
SQLAlchemy's session events; a write made with a Core statement on the session's
connection (the opinion submission hot path) asks here for the rows to write with it
instead. The domain never imports its listeners: ``search.tracking`` connects to these.
"""
from __future__ import annotations

from typing import NamedTuple

from blinker import Namespace

_signals = Namespace()


class OpinionCompanionRow(NamedTuple):
    """A row written with each opinion the submission service stores:
    ``INSERT INTO <table> (<columns>) SELECT <expressions> FROM new``, where ``new`` is
    the stored opinion's row, its columns named as ``new.<column>`` (``new.id``,
    ``new.created_at`` …). On PostgreSQL it is part of the opinion's own INSERT
    statement, so that the two are written by one statement; on SQLite it is the next
    statement, in the same transaction. Expressions are SQL written by the receiver,
    never user input."""

    table: str
    columns: tuple[str, ...]
    expressions: tuple[str, ...]


#: Sent with ``sender`` the ORM session before the submission service stores an opinion
#: with a Core INSERT. A receiver returns the ``OpinionCompanionRow`` to write with it,
#: or None for nothing.
opinion_companion_rows = _signals.signal("opinion-companion-rows")
