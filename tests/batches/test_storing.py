"""Storing a batch (``batches.store``): all or nothing, never twice, attribution, the
tally, acceptance (``policies.batch_refusal``), receipts."""
from __future__ import annotations

import io
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bench.batch_data import csv_bytes
from participation.batches import storing
from participation.batches.rows import BatchRejected
from participation.errors import Conflict, IdempotencyKeyConflict, ValidationFailed
from participation.extensions import db
from participation.models import Batch, Opinion
from participation.services.opinions import find_by_receipt
from participation.tally.compute import compute_tally
from tests.batches.conftest import row

pytestmark = pytest.mark.usefixtures("zh")


def _count(model=Opinion) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


# --- storing ------------------------------------------------------------------------------

def test_a_batch_is_stored_with_its_rows_attributed_to_the_point(import_file, xlsx, draft, point, operator):
    data = xlsx([
        row("第三条第（三）项", "停车难", "修改", category="居民", name="王芳", region="东城区", represented=3),
        row("总体意见", "总体赞成", "赞成", category="律师", name="王 芳"),
        row("第二条第二款", "应当公开到小区", "新增", category="", name=""),
        row("第二条第二款", "同上", "赞成", category="人大代表", name=""),
    ])
    batch, created = import_file(data)
    assert created and batch.row_count == 4 and batch.represented_total == 6
    assert not batch.is_entered_by_staff and batch.entered_by_id == operator.id
    assert batch.stored_file == f"{batch.source_digest}.xlsx" and batch.version_id == draft.current_version.id
    opinions = db.session.scalars(select(Opinion).where(Opinion.batch_id == batch.id).order_by(Opinion.batch_row)).all()
    assert [o.batch_row for o in opinions] == [2, 3, 4, 5]
    assert [o.provision_key for o in opinions] == ["art.3.2.3", None, "art.2.2", "art.2.2"]
    assert [o.category for o in opinions] == ["citizen", "lawyer", "citizen", "deputy"]
    assert all(o.liaison_point_id == point.id and o.author_id is None and o.contact == "" for o in opinions)
    assert all(not o.is_name_public for o in opinions)
    # The same name at the same point is one submitter (spaces aside); unnamed rows each count.
    assert opinions[0].submitter_key == opinions[1].submitter_key
    assert len({o.submitter_key for o in opinions}) == 3
    assert "王芳" not in opinions[0].submitter_key
    # Every row has its own receipt, found like any opinion's.
    assert len({o.receipt_code for o in opinions}) == 4
    assert find_by_receipt(opinions[2].receipt_code.lower().replace("-", "")).id == opinions[2].id


def test_the_tally_counts_them_by_speaker_and_via_the_point(import_file, xlsx, draft, point, make_point, make_user,
                                                           activity):
    import_file(xlsx([row("第三条第（三）项", "甲", "赞成", category="居民", represented=5),
                      row("第三条", "乙", "反对", category="企业"),
                      row("", "丙", "赞成", category="专家")]))
    other = make_point("明理律所联系点")
    import_file(xlsx([row("第三条第二款", "丁", "修改", category="律师")]), target_point=other,
                user=make_user("operator", liaison_point=other))
    tally = compute_tally(draft.id, draft.current_version.id)
    by_key = tally.by_key()
    assert by_key["art.3"].total == 3 and by_key["art.3.2.3"].total == 1
    assert by_key["art.3"].by_category == Counter({"citizen": 1, "enterprise": 1, "lawyer": 1})
    assert by_key["art.3"].by_liaison_point == Counter({point.id: 2, other.id: 1})
    assert by_key["art.3.2.3"].represented == 5
    assert tally.overall.by_liaison_point == Counter({point.id: 3, other.id: 1})
    assert tally.whole_draft.by_category == Counter({"expert": 1})
    assert tally.as_dict()["by_liaison_point"] == {str(point.id): 3, str(other.id): 1}


def test_any_invalid_row_stores_nothing(import_file, xlsx):
    data = xlsx([row(body=f"意见{n}") for n in range(50)] + [row("第九十九条", "坏的一行")])
    with pytest.raises(BatchRejected) as caught:
        import_file(data)
    db.session.rollback()
    assert [(e.row, e.column) for e in caught.value.errors] == [(52, "条款")]
    assert _count(Batch) == 0 and _count(Opinion) == 0


def test_the_same_file_is_stored_once(import_file, xlsx, draft, make_user, point):
    data = xlsx([row(body="意见一"), row(body="意见二")])
    first, created = import_file(data)
    again, created_again = import_file(data, filename="另一个名字.xlsx")
    assert created and not created_again and again.id == first.id
    # The same rows from staff, as CSV, are a different file: a second batch (people decide).
    staff_batch, created = import_file(csv_bytes([row(body="意见一"), row(body="意见二")]), filename="x.csv",
                                       user=make_user("staff"))
    assert created and staff_batch.is_entered_by_staff and staff_batch.source_encoding == "utf-8"
    assert _count(Batch) == 2 and _count(Opinion) == 4


def test_never_twice_is_decided_by_the_unique_constraint(import_file, xlsx, monkeypatch):
    data = xlsx([row(body="意见一")])
    first, _created = import_file(data)
    # A concurrent upload that checked before the first one committed: the lookup
    # misses, the INSERT hits the constraint, and the winner is returned.
    real = storing.find_existing
    calls = {"n": 0}

    def stale_then_real(*args):
        calls["n"] += 1
        return None if calls["n"] == 1 else real(*args)

    monkeypatch.setattr(storing, "find_existing", stale_then_real)
    again, created = import_file(data)
    assert not created and again.id == first.id and calls["n"] == 2
    assert _count(Batch) == 1 and _count(Opinion) == 1


def test_idempotency_key(import_file, xlsx, operator):
    batch, created = import_file(xlsx([row(body="意见一")]), key=f"{operator.id}:k1")
    replay, created_again = import_file(xlsx([row(body="意见一")]), key=f"{operator.id}:k1")
    assert created and not created_again and replay.id == batch.id
    with pytest.raises(IdempotencyKeyConflict) as caught:
        import_file(xlsx([row(body="不同的内容")]), key=f"{operator.id}:k1")
    assert "Idempotency-Key" in caught.value.message and caught.value.status_code == 422


def test_moderated_drafts_hold_batch_rows_too(import_file, xlsx, draft):
    draft.moderation_mode = "pre"
    db.session.commit()
    batch, _created = import_file(xlsx([row()]))
    assert db.session.scalar(select(Opinion.moderation_state).where(Opinion.batch_id == batch.id)) == "pending"


def test_closed_drafts_take_late_batches_from_staff_with_a_reason(import_file, xlsx, draft, frozen_now, staff,
                                                                 activity):
    frozen_now.advance(days=31)
    with pytest.raises(Conflict) as caught:
        import_file(xlsx([row()]))
    assert "征求意见期已经结束" in caught.value.message and "代为录入" in caught.value.message
    with pytest.raises(ValidationFailed) as caught:
        import_file(xlsx([row()]), user=staff)
    assert "late_reason" in caught.value.fields
    activity.late_reason = "座谈会于截止前举行，汇总表逾期送达。"
    batch, created = import_file(xlsx([row()]), user=staff, act=activity)
    assert created and batch.late_reason == activity.late_reason and batch.is_entered_by_staff


@pytest.mark.parametrize("state, message", [("scheduled", "尚未开始"), ("draft", "尚未发布"), ("feedback", "已发布意见采纳情况反馈")])
def test_drafts_not_open_refuse_batches(import_file, xlsx, make_draft, state, message, frozen_now):
    from tests.batches.conftest import BATCH_DRAFT

    target = make_draft(BATCH_DRAFT, published=state != "draft", opens_in=timedelta(days=2) if state == "scheduled" else None)
    if state == "feedback":
        target.feedback_published_at = frozen_now.now
        db.session.commit()
    with pytest.raises(Conflict) as caught:
        import_file(xlsx([row()]), target_draft=target)
    assert message in caught.value.message


def test_deactivated_points_take_no_batches(import_file, xlsx, point):
    point.is_active = False
    db.session.commit()
    with pytest.raises(Conflict):
        import_file(xlsx([row()]))


def test_empty_and_oversized_tables(import_file, xlsx, app):
    with pytest.raises(BatchRejected) as caught:
        import_file(xlsx([]))
    assert "没有意见" in caught.value.message or "没有意见" in caught.value.errors[0].message
    app.config["BATCH_MAX_ROWS"] = 5
    with pytest.raises(BatchRejected) as caught:
        import_file(xlsx([row(body=f"意见{n}") for n in range(30)]))
    assert "上限" in caught.value.message


def test_receipt_codes_are_distinct_and_well_formed():
    import re

    from participation.receipts import normalize_receipt_code, receipt_codes

    codes = receipt_codes(5000)
    assert len(set(codes)) == 5000
    assert all(re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}", code) for code in codes)
    assert all(normalize_receipt_code(code.lower().replace("-", " ")) == code for code in codes[:200])


def test_a_formula_saved_without_its_value_is_reported_at_its_cell(import_file):
    from openpyxl import Workbook

    from bench.batch_data import HEADERS as header

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    sheet.append(row("第三条", "意见甲"))
    sheet.append(row("第三条", '=CONCAT("停车","难")'))  # a script wrote it; nothing computed it
    buffer = io.BytesIO()
    workbook.save(buffer)
    with pytest.raises(BatchRejected) as caught:
        import_file(buffer.getvalue())
    db.session.rollback()
    assert [(e.row, e.column, e.letter) for e in caught.value.errors] == [(3, "意见内容", "B")]
    assert "公式" in caught.value.errors[0].message
    assert _count(Batch) == 0
