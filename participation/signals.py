"""Signals the domain sends about writes that no ORM event sees.

Derived data kept outside the domain (the search index) follows the database through
SQLAlchemy's session events; a write made with a Core statement on the session's
connection (the opinion submission hot path) announces itself here instead. The domain
never imports its listeners: ``search.tracking`` connects to these.
"""
from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

#: Sent with ``sender`` the ORM session and ``opinion_ids`` (a list of ids) right after
#: opinions were inserted in the session's transaction, before it commits.
opinions_stored = _signals.signal("opinions-stored")
