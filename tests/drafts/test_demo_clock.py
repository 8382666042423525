"""The demo agrees with the clock: nothing it stores is stamped after the moment it was
loaded, and nothing is reviewed, answered or moderated before it was submitted."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from participation.database import UTCDateTime
from participation.extensions import db
from participation.models import Opinion, Proposal

#: Times that are meant to lie ahead: deadlines, expiries, the end of a comment period.
FUTURE_BY_DESIGN = {"closes_at", "expires_at", "opens_at", "until", "retry_at", "due_at", "locked_until",
                    "not_before", "run_at"}


def test_nothing_in_the_demo_is_stamped_in_the_future(runner):
    from participation.database import utcnow

    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    now = utcnow()  # the load has finished: every stamp it made is before this
    late = []
    for table in db.metadata.sorted_tables:
        for column in table.columns:
            if not isinstance(column.type, UTCDateTime) or column.name in FUTURE_BY_DESIGN:
                continue
            latest = db.session.scalar(select(db.func.max(column)))
            if isinstance(latest, datetime) and latest > now:
                late.append(f"{table.name}.{column.name} = {latest.isoformat()} (now {now.isoformat()})")
    assert late == [], "\n".join(late)


def test_reviews_and_answers_come_after_submission(runner):
    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    for model in (Opinion, Proposal):
        for row in db.session.scalars(select(model)):
            for later in ("moderated_at", "disposed_at", "classified_at"):
                value = getattr(row, later, None)
                assert value is None or value >= row.created_at, (model.__name__, row.id, later)
