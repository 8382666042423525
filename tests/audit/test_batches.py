"""A batch that staff enter on a liaison point's behalf is on the record; an operator's
own batch is not a staff action."""
from __future__ import annotations

from tests.batches.conftest import (  # noqa: F401  (fixtures)
    activity, draft, import_file, make_point, operator, point, row, staff, xlsx, zh,
)


def test_a_batch_entered_by_staff_is_recorded(import_file, xlsx, staff, point, draft, entries):
    import_file(xlsx([row(body="意见一")]))  # by the point's operator: not recorded
    assert entries("liaison_point.batch_on_behalf") == []
    batch, created = import_file(xlsx([row(body="意见一"), row(body="意见二")]), filename="代录.xlsx", user=staff)
    import_file(xlsx([row(body="意见一"), row(body="意见二")]), filename="代录.xlsx", user=staff)  # the same again
    [entry] = entries("liaison_point.batch_on_behalf")
    assert (entry.actor_id, entry.object_type, entry.object_id, entry.draft_id, entry.count) == (
        staff.id, "liaison_point", point.id, draft.id, 2)
    assert entry.new["batch_id"] == batch.id and entry.new["source_filename"] == "代录.xlsx"
