"""The 报送意见 pages with a call as the target: choose an open call, download its
template, preview, confirm, and the batch page with each proposal's receipt."""
from __future__ import annotations

import io
import re

from openpyxl import load_workbook
from sqlalchemy import func, select

from participation.extensions import db
from participation.models import Batch, Proposal
from tests.batches.conftest import make_point, operator, point, staff  # noqa: F401 (fixtures)
from tests.plans.test_batches_proposals import HEADER, prow, table


def _count(model) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model))


def _upload(client, point, target, data, filename="建议.xlsx"):  # noqa: F811
    form = {"draft": target, "kind": "forum", "date": "2026-01-05", "place": "社区活动室", "participants": "30",
            "file": (io.BytesIO(data), filename)}
    return client.post(f"/batches/points/{point.id}/new", data=form, content_type="multipart/form-data")


def test_operator_hands_in_proposals_for_a_call(client, login, operator, point, make_call, frozen_now):  # noqa: F811
    call = make_call()
    login(operator)
    page = client.get(f"/batches/points/{point.id}").get_data(as_text=True)
    assert call.title in page and f"/batches/calls/{call.id}/template.xlsx" in page
    new = client.get(f"/batches/points/{point.id}/new?call={call.id}").get_data(as_text=True)
    assert f"<option selected value=\"call-{call.id}\">" in new

    template = client.get(f"/batches/calls/{call.id}/template.xlsx")
    assert template.status_code == 200
    assert [c.value for c in load_workbook(io.BytesIO(template.data))["立法项目建议汇总表"][1]] == HEADER

    bad = _upload(client, point, f"call-{call.id}", table([prow(title=""), prow(area="体育")]))
    assert bad.status_code == 303
    html = client.get(bad.headers["Location"])
    assert html.status_code == 422 and "请填写项目名称" in html.get_data(as_text=True)
    assert "确认导入" not in html.get_data(as_text=True)

    response = _upload(client, point, f"call-{call.id}",
                       table([prow(name="张三", contact="13800000000"), prow(title="某市养犬管理条例")]))
    preview = response.headers["Location"]
    html = client.get(preview).get_data(as_text=True)
    assert "确认导入" in html and "这 2 件立法项目建议" in html and "某市养犬管理条例" in html
    confirmed = client.post(preview + "/confirm")
    assert confirmed.status_code == 303 and re.fullmatch(r"/batches/\d+", confirmed.headers["Location"])
    batch_page = client.get(confirmed.headers["Location"]).get_data(as_text=True)
    codes = db.session.scalars(select(Proposal.receipt_code).order_by(Proposal.batch_row)).all()
    assert all(code in batch_page for code in codes) and "某市养犬管理条例" in batch_page
    assert _count(Batch) == 1 and _count(Proposal) == 2
    listing = client.get(f"/batches/points/{point.id}").get_data(as_text=True)
    assert f"立法项目建议征集：{call.title}" in listing

    # The same file again: stored once.
    again = _upload(client, point, f"call-{call.id}",
                    table([prow(name="张三", contact="13800000000"), prow(title="某市养犬管理条例")]), "again.xlsx")
    assert "不会重复导入" in client.get(again.headers["Location"]).get_data(as_text=True)
    assert _count(Proposal) == 2


def test_unknown_or_unpublished_call_template_is_404(client, login, operator, make_call):  # noqa: F811
    hidden = make_call(published=False)
    login(operator)
    assert client.get(f"/batches/calls/{hidden.id}/template.xlsx").status_code == 404
    assert client.get("/batches/calls/999/template.xlsx").status_code == 404


def test_a_call_that_is_not_open_is_not_offered(client, login, operator, point, make_call):  # noqa: F811
    from datetime import timedelta

    later = make_call(title="明年的征集", opens_in=timedelta(days=5))
    login(operator)
    response = _upload(client, point, f"call-{later.id}", table([prow()]))
    assert response.status_code == 422 and _count(Proposal) == 0


def test_feedback_sheet_of_a_batch_of_proposals(client, login, operator, point, make_call):  # noqa: F811
    call = make_call()
    login(operator)
    response = _upload(client, point, f"call-{call.id}", table([prow(name="张三")]))
    batch_url = client.post(response.headers["Location"] + "/confirm").headers["Location"]
    sheet = client.get(batch_url + "/feedback.xlsx")
    assert sheet.status_code == 200
    rows = list(load_workbook(io.BytesIO(sheet.data)).active.iter_rows(values_only=True))
    assert rows[0][:2] == ("项目名称", "立法的必要性和可行性") and rows[0][-4:] == ("回执码", "处理状态", "处理情况", "理由")
    code = db.session.scalar(select(Proposal.receipt_code))
    assert rows[1][-4:-2] == (code, "已公开") and rows[1][-2] == "待处理"
