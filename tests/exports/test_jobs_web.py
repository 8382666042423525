"""Exports from the staff opinion list: the buttons carry the filter, the job runs on
the queue (``jobs.run_pending``), the status page shows progress and the link, the file
downloads under its Chinese name, and expires."""
from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import quote

from sqlalchemy import select

from participation import jobs, queries
from participation.extensions import db
from participation.jobs.maintenance import remove_expired_files
from participation.models import Job
from participation.queries import StaffOpinionFilters
from tests.exports.conftest import read_docx, read_xlsx


def _job(public_id) -> Job:
    db.session.rollback()
    return db.session.scalar(select(Job).where(Job.public_id == public_id))


def _export(client, draft, kind, query=""):
    response = client.post(f"/staff/drafts/{draft.id}/exports/{kind}{query}")
    assert response.status_code == 303, response.status_code
    location = response.headers["Location"]
    assert re.fullmatch(r"/staff/jobs/[A-Za-z0-9_-]{43}", location)
    return location.rsplit("/", 1)[1]


def test_the_list_offers_both_exports_with_its_filter(app, client, login, export_world):
    login(export_world["staff"])
    draft = export_world["draft"]
    page = client.get(f"/staff/drafts/{draft.id}/opinions?clause=第三条&q=意见").get_data(as_text=True)
    assert "导出 Excel" in page and "导出 Word 意见汇总表" in page
    assert f'action="/staff/drafts/{draft.id}/exports/xlsx?' in page
    action = re.search(r'action="(/staff/drafts/\d+/exports/xlsx\?[^"]*)"', page).group(1).replace("&amp;", "&")
    assert "clause=art.3" in action and "q=" in action


def test_excel_export_through_the_queue_with_the_lists_filter(app, client, login, export_world, frozen_now):
    login(export_world["staff"])
    draft = export_world["draft"]
    public_id = _export(client, draft, "xlsx", "?clause=art.3&q=意见")
    job = _job(public_id)
    assert (job.state, job.draft_id, job.created_by_id) == ("queued", draft.id, export_world["staff"].id)
    status = client.get(f"/staff/jobs/{public_id}").get_data(as_text=True)
    assert "排队中" in status and 'http-equiv="refresh"' in status
    assert jobs.run_pending(app) >= 1
    job = _job(public_id)
    assert job.state == "done", job.error
    assert job.file_name == "《某市示例管理条例（草案）》意见.xlsx"
    assert job.expires_at == frozen_now.now + timedelta(hours=app.config["JOB_FILE_HOURS"])
    status = client.get(f"/staff/jobs/{public_id}").get_data(as_text=True)
    assert "已完成" in status and 'http-equiv="refresh"' not in status and "我的导出" in status
    response = client.get(f"/staff/jobs/{public_id}/download")
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert f"filename*=UTF-8''{quote(job.file_name)}" in response.headers["Content-Disposition"]
    book = read_xlsx(response.data)
    filters = StaffOpinionFilters(clause="art.3", text="意见")
    expected = [o.receipt_code for o in db.session.scalars(queries.staff_opinions_query(draft.id, filters))]
    assert [row[0] for row in book.worksheets[0].iter_rows(min_row=2, values_only=True)] == expected
    # The count the list shows for the same filter.
    page = client.get(f"/staff/drafts/{draft.id}/opinions?clause=art.3&q=意见").get_data(as_text=True)
    assert f"共 {len(expected)} 条符合条件" in page


def test_word_export_and_expiry(app, client, login, export_world, frozen_now):
    login(export_world["staff"])
    public_id = _export(client, export_world["draft"], "docx")
    jobs.run_pending(app)
    job = _job(public_id)
    assert job.state == "done" and job.file_name == "《某市示例管理条例（草案）》意见汇总表.docx"
    response = client.get(f"/staff/jobs/{public_id}/download")
    assert response.status_code == 200 and read_docx(response.data).tables
    # Past its time: the page says so, and the sweep removes the file.
    frozen_now.set(job.expires_at + timedelta(seconds=1))
    login(export_world["staff"])  # a day later: the session has timed out
    expired = client.get(f"/staff/jobs/{public_id}/download")
    assert expired.status_code == 410 and "文件已过期，请重新导出" in expired.get_data(as_text=True)
    assert "文件已过期" in client.get(f"/staff/jobs/{public_id}").get_data(as_text=True)
    path = app.config["JOBS_FILES_PATH"] + "/" + _job(public_id).file_path
    assert remove_expired_files() == 1
    import os

    assert not os.path.exists(path)
    assert client.get(f"/staff/jobs/{public_id}/download").status_code == 410


def test_a_vanished_draft_fails_the_job_with_a_message(app, client, login, export_world):
    login(export_world["staff"])
    public_id = _export(client, export_world["draft"], "xlsx")
    job = _job(public_id)
    job.draft_id = None   # as if the draft went (its jobs would go with it; a stale message stays)
    db.session.commit()
    jobs.run_pending(app)
    job = _job(public_id)
    assert job.state == "failed" and job.error == "草案已不存在，无法导出。"
    page = client.get(f"/staff/jobs/{public_id}").get_data(as_text=True)
    assert "导出失败" in page and "草案已不存在" in page
    assert client.get(f"/staff/jobs/{public_id}/download").status_code == 303


def test_progress_is_reported_while_running(app, client, login, export_world, monkeypatch):
    from participation.exports import workbook

    monkeypatch.setattr(workbook, "PROGRESS_EVERY", 5)
    seen = []
    original = jobs.report_progress

    def spy(job, done, total):
        seen.append((done, total))
        original(job, done, total)

    monkeypatch.setattr(jobs, "report_progress", spy)
    login(export_world["staff"])
    public_id = _export(client, export_world["draft"], "xlsx")
    jobs.run_pending(app)
    total = db.session.scalar(select(Job.progress_total).where(Job.public_id == public_id))
    assert seen and seen[0] == (5, total) and all(t == total for _d, t in seen)
    assert _job(public_id).progress_percent == 100


def test_unknown_kind_is_not_found(app, client, login, export_world):
    login(export_world["staff"])
    assert client.post(f"/staff/drafts/{export_world['draft'].id}/exports/pdf").status_code == 404


def test_an_unexpected_error_is_retried_then_shown_in_general_words(app, client, login, export_world, monkeypatch):
    from participation.exports import workbook

    def broken(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(workbook, "write_opinions_workbook", broken)
    login(export_world["staff"])
    public_id = _export(client, export_world["draft"], "xlsx")
    job = _job(public_id)
    job_id = job.id
    # Retries are scheduled with a delay; run them now, as the consumer would later.
    from participation.jobs.queue import _run, _tasks

    for _attempt in range(3):
        db.session.rollback()
        try:
            _run(_tasks["exports.opinions_xlsx"], job_id, retries_left=2 - _attempt)
        except RuntimeError:
            pass
    job = _job(public_id)
    assert job.state == "failed" and "secret internals" in job.error and job.attempts == 3
    page = client.get(f"/staff/jobs/{public_id}").get_data(as_text=True)
    assert "导出时出错，已记录" in page and "secret internals" not in page
    files_left = list(__import__("pathlib").Path(app.config["JOBS_FILES_PATH"]).glob("*"))
    assert files_left == []
