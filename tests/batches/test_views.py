"""The 报送意见 pages: access per role and object, the upload → preview → confirm path,
limits, and the feedback and template downloads."""
from __future__ import annotations

import io
import os
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from bench.batch_data import csv_bytes
from participation.extensions import db
from participation.models import Batch, Opinion
from tests.batches.conftest import row, upload_form

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _count(model) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model))


def _upload(client, point, draft, data, filename="意见.xlsx", **fields):
    return client.post(f"/batches/points/{point.id}/new", data=upload_form(point.id, draft.id, data, filename, **fields),
                       content_type="multipart/form-data")


def _preview_url(response) -> str:
    assert response.status_code == 303, response.get_data(as_text=True)[:3000]
    location = response.headers["Location"]
    assert re.fullmatch(r"/batches/uploads/[A-Za-z0-9_-]+", location)
    return location


def test_operator_path_errors_fix_confirm_and_never_twice(client, login, operator, point, draft, xlsx):
    login(operator)
    page = client.get("/batches/", follow_redirects=True)
    assert page.status_code == 200 and point.name in page.get_data(as_text=True)
    assert f"/batches/drafts/{draft.id}/template.xlsx" in page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "no-store"

    bad = xlsx([row("第三条第（三）项", "停车难"), row("第九十九条", "意见", "支持吧"), row("第三条", "")])
    preview = _preview_url(_upload(client, point, draft, bad))
    response = client.get(preview)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "发现 3 处错误" in html
    assert "草案中没有“第九十九条”" in html and "（A 列）" in html and "请填写意见内容。" in html
    assert "确认导入" not in html
    errors_only = client.get(preview + "?errors=1").get_data(as_text=True)
    assert "只显示有错误的 2 行" in errors_only

    good = xlsx([row("第三条第（三）项", "停车难", "修改", name="王芳", represented=3), row("第九十九条".replace("九十九", "二"), "应当公开", "赞成")])
    response = client.post(preview + "/file", data={"file": (io.BytesIO(good), "意见-改.xlsx")},
                           content_type="multipart/form-data")
    assert response.status_code == 303
    html = client.get(preview).get_data(as_text=True)
    assert "确认导入" in html and "共 2 条意见，反映群众 4 人" in html and "第三条第二款第（三）项" in html
    response = client.post(preview + "/confirm")
    assert response.status_code == 303 and re.fullmatch(r"/batches/\d+", response.headers["Location"])
    batch_page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "王芳" in batch_page and "待处理" in batch_page and "已公开" in batch_page
    assert _count(Batch) == 1 and _count(Opinion) == 2

    # Uploading the same file again says so and stores nothing more.
    again = _preview_url(_upload(client, point, draft, good, "再次上传.xlsx"))
    html = client.get(again).get_data(as_text=True)
    assert "不会重复导入" in html and "确认导入" not in html
    response = client.post(again + "/confirm")
    assert response.status_code == 303
    assert _count(Batch) == 1 and _count(Opinion) == 2
    # The preview is gone once confirmed.
    assert client.get(preview).status_code == 404


def test_gbk_csv_through_the_web(client, login, operator, point, draft):
    login(operator)
    data = csv_bytes([row("第3条第2款第3项", "停车难", "反对", category="企业")], encoding="gbk")
    preview = _preview_url(_upload(client, point, draft, data, "意见.csv"))
    html = client.get(preview).get_data(as_text=True)
    assert "GB18030" in html and "停车难" in html
    client.post(preview + "/confirm")
    batch = db.session.scalar(select(Batch))
    assert batch.source_format == "csv" and batch.source_encoding == "gb18030"


def test_upload_form_reports_problems_next_to_the_fields(client, login, operator, point, draft, xlsx):
    login(operator)
    response = _upload(client, point, draft, xlsx([row()]), "意见.xlsm", kind="开会", date="明天")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "请选择活动形式" in html and "年-月-日" in html
    response = _upload(client, point, draft, xlsx([row()]), "意见.xlsm")
    assert response.status_code == 422 and "启用宏" in response.get_data(as_text=True)
    response = _upload(client, point, draft, b"%PDF-1.4 ...", "意见.pdf")
    assert response.status_code == 422 and "PDF" in response.get_data(as_text=True)
    response = client.post(f"/batches/points/{point.id}/new", data={"draft": "999", "kind": "forum", "date": "2026-01-05"},
                           content_type="multipart/form-data")
    assert response.status_code == 422 and "请选择一部正在征求意见的草案" in response.get_data(as_text=True)
    assert _count(Batch) == 0


def test_staff_enter_for_a_point_recorded_as_on_behalf(client, login, staff, point, draft, xlsx):
    login(staff)
    index = client.get("/batches/").get_data(as_text=True)
    assert "代为录入" in index and point.name in index
    preview = _preview_url(_upload(client, point, draft, xlsx([row()])))
    response = client.post(preview + "/confirm")
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "代为录入" in html
    batch = db.session.scalar(select(Batch))
    assert batch.is_entered_by_staff and batch.entered_by_id == staff.id
    assert db.session.scalar(select(Opinion.author_id)) is None


def test_staff_late_batch_needs_a_reason(client, login, staff, point, draft, xlsx, frozen_now):
    frozen_now.advance(days=31)
    login(staff)
    form_page = client.get(f"/batches/points/{point.id}/new").get_data(as_text=True)
    assert "已截止，逾期录入" in form_page and "逾期原因" in form_page
    response = _upload(client, point, draft, xlsx([row()]))
    assert response.status_code == 422 and "请填写逾期原因" in response.get_data(as_text=True)
    preview = _preview_url(_upload(client, point, draft, xlsx([row()]), late_reason="座谈会在期限内举行"))
    client.post(preview + "/confirm")
    assert db.session.scalar(select(Batch.late_reason)) == "座谈会在期限内举行"


def test_operators_cannot_hand_in_after_the_deadline(client, login, operator, point, draft, xlsx, frozen_now):
    login(operator)
    preview = _preview_url(_upload(client, point, draft, xlsx([row()])))
    frozen_now.advance(days=31)
    login(operator)  # the sign-in expired meanwhile
    html = client.get(preview).get_data(as_text=True)
    assert "征求意见期已经结束" in html and "确认导入" not in html
    response = client.post(preview + "/confirm", follow_redirects=True)
    assert "征求意见期已经结束" in response.get_data(as_text=True)
    assert _count(Batch) == 0


def test_preview_pages_through_every_row(client, login, operator, point, draft, xlsx):
    login(operator)
    preview = _preview_url(_upload(client, point, draft, xlsx([row(body=f"第{n}条意见") for n in range(1, 121)])))
    first = client.get(preview).get_data(as_text=True)
    assert "第1条意见" in first and "第50条意见" in first and "第51条意见" not in first
    assert "第 1 / 3 页" in first
    last = client.get(preview + "?page=3").get_data(as_text=True)
    assert "第120条意见" in last


def test_feedback_and_template_downloads(client, login, operator, point, draft, xlsx):
    login(operator)
    template = client.get(f"/batches/drafts/{draft.id}/template.xlsx")
    assert template.status_code == 200 and template.mimetype == XLSX
    assert "attachment" in template.headers["Content-Disposition"]
    assert load_workbook(io.BytesIO(template.data)).sheetnames[0] == "意见建议汇总表"
    preview = _preview_url(_upload(client, point, draft, xlsx([row(body="意见甲")])))
    location = client.post(preview + "/confirm").headers["Location"]
    feedback = client.get(location + "/feedback.xlsx")
    assert feedback.status_code == 200 and feedback.mimetype == XLSX
    rows = list(load_workbook(io.BytesIO(feedback.data)).active.iter_rows(values_only=True))
    assert rows[0][-4:] == ("回执码", "处理状态", "采纳情况", "采纳理由") and rows[1][1] == "意见甲"


# --- access -------------------------------------------------------------------------------

def _batch_and_preview(client, login, operator, point, draft, xlsx):
    login(operator)
    preview = _preview_url(_upload(client, point, draft, xlsx([row(body="甲")])))
    location = client.post(_preview_url(_upload(client, point, draft, xlsx([row(body="乙")]))) + "/confirm").headers["Location"]
    client.post("/logout")
    return preview, location


@pytest.mark.parametrize("role", [None, "citizen", "deputy", "other_operator"])
def test_others_are_refused_everywhere(app, client, login, make_user, make_point, operator, point, draft, xlsx, role):
    preview, batch_url = _batch_and_preview(client, login, operator, point, draft, xlsx)
    if role == "other_operator":
        login(make_user("operator", liaison_point=make_point("别的联系点")))
    elif role is not None:
        login(make_user(role))
    # Sign in; 403 for roles without the area at all (whatever the id); 404 for another
    # point's operator: its batches, uploads and the point itself are not theirs to see.
    expected = {None: 302, "other_operator": 404}.get(role, 403)
    for method, url in [
        ("get", f"/batches/points/{point.id}"), ("get", f"/batches/points/{point.id}/new"),
        ("post", f"/batches/points/{point.id}/new"), ("get", preview), ("post", preview + "/confirm"),
        ("post", preview + "/file"), ("get", batch_url), ("get", batch_url + "/feedback.xlsx"),
    ]:
        response = getattr(client, method)(url)
        assert response.status_code == expected, (method, url, response.status_code)
    if role in ("citizen", "deputy"):
        assert client.get("/batches/").status_code == 403
        assert client.get(f"/batches/drafts/{draft.id}/template.xlsx").status_code == 403
    assert _count(Batch) == 1


def test_a_preview_is_only_for_its_uploader(client, login, make_user, operator, point, draft, xlsx):
    login(operator)
    preview = _preview_url(_upload(client, point, draft, xlsx([row()])))
    client.post("/logout")
    login(make_user("operator", liaison_point=point))  # a colleague at the same point
    assert client.get(preview).status_code == 404
    assert client.post(preview + "/confirm").status_code == 404
    assert _count(Batch) == 0


def test_unpublished_drafts_have_no_template(client, login, operator, make_draft):
    login(operator)
    hidden = make_draft()
    assert client.get(f"/batches/drafts/{hidden.id}/template.xlsx").status_code == 404
    assert client.get("/batches/drafts/99999/template.xlsx").status_code == 404
    assert client.get("/batches/99999").status_code == 404
    assert client.get("/batches/uploads/no-such-upload-id-000000").status_code == 404


def test_deactivated_point_lists_but_takes_nothing(client, login, operator, point):
    point.is_active = False
    db.session.commit()
    login(operator)
    html = client.get(f"/batches/points/{point.id}").get_data(as_text=True)
    assert "已停用" in html and "上传意见汇总表" not in html
    assert client.get(f"/batches/points/{point.id}/new").status_code == 403


class TestLimits:
    @pytest.fixture
    def app_config(self, app_config):
        app_config["MAX_CONTENT_LENGTH"] = 64 * 1024
        app_config["WTF_CSRF_ENABLED"] = True
        return app_config

    def test_oversized_uploads_and_missing_csrf(self, client, login, operator, point, draft, xlsx):
        login_page = client.get("/login").get_data(as_text=True)
        from tests.batches.conftest import csrf_token

        client.post("/login", data={"email": operator.email, "password": "correct horse battery",
                                    "csrf_token": csrf_token(login_page)})
        page = client.get(f"/batches/points/{point.id}/new").get_data(as_text=True)
        token = csrf_token(page)
        big = xlsx([row(body=os.urandom(2000).hex()) for n in range(60)])
        assert len(big) > 64 * 1024
        form = upload_form(point.id, draft.id, big)
        form["csrf_token"] = token
        response = client.post(f"/batches/points/{point.id}/new", data=form, content_type="multipart/form-data")
        assert response.status_code == 413 and "上传的内容太大" in response.get_data(as_text=True)
        response = client.post(f"/batches/points/{point.id}/new",
                               data=upload_form(point.id, draft.id, xlsx([row()])), content_type="multipart/form-data")
        assert response.status_code == 400
        form = upload_form(point.id, draft.id, xlsx([row()]))
        form["csrf_token"] = token
        preview = _preview_url(client.post(f"/batches/points/{point.id}/new", data=form,
                                           content_type="multipart/form-data"))
        assert client.post(preview + "/confirm").status_code == 400
        assert _count(Batch) == 0
        confirm_token = csrf_token(client.get(preview).get_data(as_text=True))
        assert client.post(preview + "/confirm", data={"csrf_token": confirm_token}).status_code == 303
        assert _count(Batch) == 1
