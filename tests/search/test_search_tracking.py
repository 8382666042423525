"""Every change that affects search leaves an outbox row in its own transaction, and
the indexer applies rows idempotently."""
from __future__ import annotations

from sqlalchemy import delete, insert, select, update

from participation.extensions import db
from participation.models import Draft, Opinion
from search.models import SearchOutboxEntry
from tests.search.conftest import hit_ids


def _outbox():
    rows = db.session.execute(select(SearchOutboxEntry.entity, SearchOutboxEntry.entity_id)
                              .order_by(SearchOutboxEntry.id)).all()
    db.session.commit()
    return [tuple(row) for row in rows]


def _clear():
    db.session.execute(delete(SearchOutboxEntry))
    db.session.commit()


def test_orm_changes_write_rows_in_the_same_transaction(public_draft, make_opinion):
    _clear()
    opinion = make_opinion(public_draft, "新增的意见。")
    assert _outbox() == [("opinion", opinion.id)]
    _clear()
    opinion.moderation_state = "hidden"
    db.session.commit()
    assert _outbox() == [("opinion", opinion.id)]
    _clear()
    db.session.delete(opinion)
    db.session.commit()
    assert _outbox() == [("opinion", opinion.id)]


def test_a_rolled_back_change_leaves_no_row(public_draft, make_opinion):
    _clear()
    make_opinion(public_draft, "不会保存的意见。", commit=False)
    db.session.flush()
    db.session.rollback()
    assert _outbox() == []
    assert db.session.scalar(select(Opinion.id)) is None


def test_an_unmodified_object_writes_nothing(public_draft, make_opinion):
    opinion = make_opinion(public_draft, "不变的意见。")
    _clear()
    opinion.body = opinion.body  # same value: not a change
    db.session.commit()
    assert _outbox() == []


def test_bulk_statements_are_recorded(public_draft, make_opinion):
    a = make_opinion(public_draft, "意见一。")
    b = make_opinion(public_draft, "意见二。")
    _clear()
    db.session.execute(update(Opinion).where(Opinion.id == a.id).values(moderation_state="hidden"))
    db.session.commit()
    assert _outbox() == [("opinion", a.id)]
    _clear()
    db.session.execute(delete(Opinion).where(Opinion.id.in_([a.id, b.id])))
    db.session.commit()
    assert sorted(_outbox()) == [("opinion", a.id), ("opinion", b.id)]
    _clear()
    db.session.execute(insert(Opinion), [{
        "draft_id": public_draft.id, "version_id": public_draft.current_version.id, "stance": "amend",
        "body": "批量导入的意见。", "category": "citizen", "submitter_key": f"b:{i}", "receipt_code": f"BULK{i}",
        "proposed_text": "", "reason": "", "region": "", "submitter_name": "", "contact": "",
    } for i in range(3)])
    db.session.commit()
    [(entity, after)] = _outbox()
    assert entity == "opinions_after" and after == 0  # the highest id before the insert (none left)


def test_bulk_insert_rows_reach_the_index(public_draft, make_opinion, drain, search_api):
    make_opinion(public_draft, "先有的意见。")
    drain()
    db.session.execute(insert(Opinion), [{
        "draft_id": public_draft.id, "version_id": public_draft.current_version.id, "stance": "amend",
        "body": f"联系点汇总的第{i}条意见：加装电梯。", "category": "liaison_point", "submitter_key": f"b:{i}",
        "receipt_code": f"BATCH{i}", "proposed_text": "", "reason": "", "region": "", "submitter_name": "",
        "contact": "",
    } for i in range(4)])
    db.session.commit()
    drain()
    assert search_api(q="加装电梯")["total"] == 4


def test_importing_a_draft_records_its_text(make_draft):
    _clear()
    draft = make_draft()
    entities = {entity for entity, _id in _outbox()}
    assert entities <= {"draft", "version"} and entities
    _clear()
    db.session.delete(db.session.get(Draft, draft.id))
    db.session.commit()
    assert ("draft", draft.id) in _outbox()


def test_tracking_is_off_when_search_is_disabled(app, public_draft, make_opinion):
    _clear()
    app.config["SEARCH_ENABLED"] = False
    try:
        make_opinion(public_draft, "搜索关闭时的意见。")
    finally:
        app.config["SEARCH_ENABLED"] = True
    assert _outbox() == []


def test_replaying_rows_is_harmless(public_draft, make_opinion, drain, search_api):
    opinion = make_opinion(public_draft, "重复处理不会重复索引。")
    drain()
    for _ in range(3):
        db.session.add(SearchOutboxEntry(entity="opinion", entity_id=opinion.id))
        db.session.add(SearchOutboxEntry(entity="draft", entity_id=public_draft.id))
        db.session.commit()
        drain()
    assert hit_ids(search_api(q="重复处理")) == [opinion.id]
    assert search_api(q="示例管理", type="provision")["total"] == 2


def test_outbox_rows_are_deleted_once_applied(public_draft, make_opinion, drain):
    make_opinion(public_draft, "处理后删除。")
    assert _outbox()
    drain()
    assert _outbox() == []


def test_the_real_submission_service_is_tracked(frozen_now, public_draft, make_user, drain, search_api):
    from participation.services.opinions import OpinionInput, submit_opinion

    user = make_user("citizen")
    submitted = submit_opinion(public_draft, OpinionInput(body="通过服务提交的意见：垃圾清运。", provision_key="art.1"),
                                      author=user, now=frozen_now.now)
    opinion = db.session.get(Opinion, submitted.id)
    created = submitted.created
    db.session.commit()
    assert created
    drain()
    assert hit_ids(search_api(q="垃圾清运")) == [opinion.id]


def test_an_opinion_named_twice_in_one_batch_is_indexed_once(public_draft, make_opinion, drain, search_api):
    """A bulk insert (``opinions_after``) and a later change of one of its opinions in
    the same drain batch: Whoosh's ``update_document`` does not replace a document added
    earlier by the same writer, so the opinion must be written once."""
    make_opinion(public_draft, "先有的意见。")
    drain()
    db.session.execute(insert(Opinion), [{
        "draft_id": public_draft.id, "version_id": public_draft.current_version.id, "stance": "amend",
        "body": f"座谈会上的第{i}条意见：社区食堂。", "category": "liaison_point", "submitter_key": f"b:{i}",
        "receipt_code": f"TWICE{i}", "proposed_text": "", "reason": "", "region": "", "submitter_name": "",
        "contact": "",
    } for i in range(3)])
    db.session.commit()
    first = db.session.scalar(select(Opinion).where(Opinion.receipt_code == "TWICE0"))
    first.stance = "oppose"
    db.session.commit()
    drain()
    found = search_api(q="社区食堂")
    assert found["total"] == 3
    assert sorted(hit_ids(found)) == sorted(set(hit_ids(found)))
    stances = {facet["value"]: facet["count"] for facet in found["facets"]["stance"]}
    assert stances == {"amend": 2, "oppose": 1}
