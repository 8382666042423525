"""Two uploads of the same file at the same moment store one batch. Each runs in its own
thread, application context, session and connection, and both pass the "already
stored?" look-up before either commits (it is made to miss), so the unique constraint
alone decides."""
from __future__ import annotations

import threading

from sqlalchemy import func, select

from participation import clock
from participation.extensions import db
from participation.models import Batch, Draft, LiaisonPoint, Opinion, User
from participation import batches
from participation.batches import storing
from participation.unit_of_work import writing
from tests.batches.conftest import row


def test_simultaneous_uploads_of_one_file_store_one_batch(app, monkeypatch, operator, point, draft, xlsx, activity):
    data = xlsx([row(body=f"意见{n}") for n in range(200)])
    ids = (point.id, draft.id, operator.id)
    db.session.rollback()
    monkeypatch.setattr(storing, "find_existing", _miss_then_look(storing.find_existing))
    barrier = threading.Barrier(2)
    results: list = []
    errors: list = []

    def upload():
        try:
            with app.app_context():
                target_point, target_draft, user = (db.session.get(LiaisonPoint, ids[0]),
                                                    db.session.get(Draft, ids[1]), db.session.get(User, ids[2]))
                checked = batches.check(batches.FileSource(data, "意见.xlsx"), target_draft, target_point)
                db.session.rollback()
                barrier.wait(timeout=30)
                with writing():
                    batch, created = batches.store(checked, activity, user, clock.now())
                    db.session.commit()
                results.append((batch.id, created))
                db.session.remove()
        except Exception as exc:  # reported below with the other thread's result
            errors.append(exc)

    threads = [threading.Thread(target=upload) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    assert sorted(created for _id, created in results) == [False, True]
    assert results[0][0] == results[1][0]
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Batch)) == 1
    assert db.session.scalar(select(func.count()).select_from(Opinion)) == 200


def _miss_then_look(real):
    """The first look-up of each thread misses (both believe they are first); the one
    made after losing the race finds the winner."""
    seen: set[int] = set()

    def find(*args):
        me = threading.get_ident()
        if me not in seen:
            seen.add(me)
            return None
        return real(*args)

    return find
