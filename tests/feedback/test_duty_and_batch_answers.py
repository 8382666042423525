"""The answers where deputies and liaison points read them: the record of duty (履职记录),
a batch's page, the point's batch list and the feedback sheet (点对点反馈) — released
when the draft's feedback is published, never the internal note."""
from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from participation.batches import workbooks
from participation.extensions import db
from participation.models import Opinion
from tests.batches.conftest import (  # noqa: F401  (fixtures)
    activity, draft, import_file, operator, point, row, xlsx, zh,
)
from tests.batches.conftest import make_point  # noqa: F401
from tests.feedback.submitters import NOTE, REASON, dispose, publish, staff_member  # noqa: F401
from tests.opinions.conftest import text


def test_a_deputys_record_shows_the_answers_once_published(app, client, login, make_user, open_draft, make_opinion,
                                                          dispose, publish):  # noqa: F811
    deputy = make_user("deputy")
    opinion = make_opinion(open_draft, key="art.1", author=deputy, body="代表的意见")
    dispose(opinion, "for_study")
    login(deputy)
    page = text(client.get("/account/duty"))
    assert "待处理" in page and "留作研究" not in page and REASON not in page

    publish(open_draft)
    staff_client = login(make_user("staff"), test_client=app.test_client())
    for browser, url in ((login(deputy), "/account/duty"), (staff_client, f"/admin/users/{deputy.id}/duty")):
        page = text(browser.get(url))
        assert "留作研究" in page and REASON in page and NOTE not in page
        assert f'href="/drafts/{open_draft.id}/feedback"' in page


def _batch_rows(batch):
    return db.session.scalars(select(Opinion).where(Opinion.batch_id == batch.id).order_by(Opinion.batch_row)).all()


@pytest.fixture
def answered_batch(import_file, xlsx, dispose):  # noqa: F811
    batch, _created = import_file(xlsx([row("第一条", "意见甲"), row("第二条", "意见乙"), row("总体意见", "意见丙")]))
    first, second, _third = _batch_rows(batch)
    dispose(first, "adopted")
    dispose(second, "not_adopted", reason="与上位法不一致")
    return batch


def test_the_batch_page_and_point_list_release_answers_with_the_report(
        client, login, operator, draft, answered_batch, publish):  # noqa: F811
    batch = answered_batch
    login(operator)
    page = text(client.get(f"/batches/{batch.id}"))
    assert "待处理 3" in page and "采纳 1" not in page and REASON not in page and NOTE not in page
    assert "与上位法不一致" not in page and "/feedback\"" not in page
    listing = text(client.get(f"/batches/points/{batch.liaison_point_id}"))
    assert "待处理 3" in listing and "未采纳 1" not in listing

    publish(draft)
    login(operator)
    page = text(client.get(f"/batches/{batch.id}"))
    assert "采纳 1" in page and "未采纳 1" in page and "待处理 1" in page
    assert REASON in page and "与上位法不一致" in page and NOTE not in page
    assert f'href="/drafts/{draft.id}/feedback"' in page
    listing = text(client.get(f"/batches/points/{batch.liaison_point_id}"))
    assert "采纳 1" in listing and "未采纳 1" in listing and "待处理 1" in listing


def _sheet(batch) -> list[tuple]:
    return list(load_workbook(io.BytesIO(workbooks.feedback_workbook(batch))).active.iter_rows(values_only=True))


def test_the_feedback_sheet_fills_in_the_answers_once_published(app, draft, answered_batch, publish):  # noqa: F811
    batch = answered_batch
    rows = _sheet(batch)
    assert [r[-2:] for r in rows[1:]] == [("待处理", None), ("待处理", None), ("待处理", None)]
    publish(draft)
    rows = _sheet(batch)
    assert [r[-2:] for r in rows[1:]] == [("采纳", REASON), ("未采纳", "与上位法不一致"), ("待处理", None)]
    assert NOTE not in str(rows)


def test_the_feedback_sheet_download_carries_the_answers(client, login, operator, draft, answered_batch, publish):  # noqa: F811
    publish(draft)
    login(operator)
    response = client.get(f"/batches/{answered_batch.id}/feedback.xlsx")
    assert response.status_code == 200
    rows = list(load_workbook(io.BytesIO(response.data)).active.iter_rows(values_only=True))
    assert rows[1][-2:] == ("采纳", REASON) and NOTE not in str(rows)
