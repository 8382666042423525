"""The outbox port: how the domain tells derived data kept outside it (the search
index) about a write that no ORM event sees.

Derived data follows most writes through SQLAlchemy's session events. The opinion
submission stores its row with a Core INSERT instead (``services.opinions``), so it
calls ``record_opinion_stored`` in the same transaction; ``search.tracking`` registers
the recorder that writes the outbox row. The domain never imports search: with search
turned off nothing is registered, and the call does nothing.
"""
from __future__ import annotations

from typing import Callable

from sqlalchemy.orm import Session

#: ``recorder(session, opinion_id)``: write what the stored opinion needs, on the
#: session's connection (its transaction: both are stored or neither).
OpinionRecorder = Callable[[Session, int], None]

_opinion_recorders: list[OpinionRecorder] = []


def register_opinion_recorder(recorder: OpinionRecorder) -> None:
    if recorder not in _opinion_recorders:
        _opinion_recorders.append(recorder)


def unregister_opinion_recorder(recorder: OpinionRecorder) -> None:
    if recorder in _opinion_recorders:
        _opinion_recorders.remove(recorder)


def record_opinion_stored(session: Session, opinion_id: int) -> None:
    """Called by the submission service right after it stored opinion ``opinion_id``."""
    for recorder in list(_opinion_recorders):
        recorder(session, opinion_id)
