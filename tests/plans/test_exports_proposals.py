"""Staff exports of a call's proposals: the Excel sheet (every field, the list's
filter, formula-like text kept as text, Beijing time) and the Word 立法项目建议汇总表
grouped by proposed regulation, both through the job queue; who may ask for them."""
from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import select

from participation import clock, jobs, queries
from participation.exports import proposals as proposal_exports
from participation.extensions import db
from participation.models import Job, Proposal
from participation.queries import ProposalFilters
from participation.services import classifications, plans, proposals as proposal_service

FORMULA = "=HYPERLINK(\"http://x\",\"点我\")"


@pytest.fixture
def export_call(app, make_call, make_proposal, make_user, frozen_now):
    """A call with proposals of every category and two channels, a merge group of two,
    two separate proposals of the same title, classifications with reasons and a staff
    note, a hidden one, an assignee, a plan project, contact details and a formula-like
    text."""
    staff = make_user("staff", display_name="承办乙")
    call = make_call()
    deputy = make_user("deputy")
    made = {}

    def add(key, **fields):
        frozen_now.advance(seconds=5)
        made[key] = make_proposal(call, **fields)

    add("citizen", title="某市电动自行车管理条例", contact="13900001111", submitter_name="李四", area="城市管理")
    add("deputy", author=deputy, title="某市电动自行车安全管理条例", motion_number="第12号建议",
        submitter_name="王代表")
    add("org", title="某市养老服务条例", category="organisation", unit="某市养老协会", channel="api")
    add("gov", title="某市养老服务条例", category="government", unit="某市民政局")
    add("expert", title="某市数据条例", category="expert", necessity=FORMULA, submitter_name="张专家")
    add("hidden", title="某市噪声污染防治条例")
    now = clock.now()
    group = classifications.merge(call, [made["citizen"].id, made["deputy"].id], title="某市电动自行车管理条例（合并）",
                                  by=staff, now=now)
    classifications.classify(made["org"], classifications.ClassificationInput(
        "not_included", reason="条件尚不成熟", note="内部备注：再议"), by=staff, now=now)
    proposal_service.hide_proposal(made["hidden"], reason="与征集无关", by=staff, now=now)
    proposal_service.assign_proposals([made["gov"]], staff, by=staff, now=now)
    plan = plans.plan_for_year(2027, by=staff, now=now)
    project = plans.add_project(plan, plans.ProjectInput("formal", "某市电动自行车管理条例", drafting_body="市公安局",
                                                         planned_month=6,
                                                         proposal_ids=[made["citizen"].id, made["deputy"].id]),
                                by=staff, now=now)
    db.session.commit()
    return {"call": call, "staff": staff, "proposals": made, "group": group, "project": project}


def _read_xlsx(data):
    from openpyxl import load_workbook

    return load_workbook(io.BytesIO(data) if isinstance(data, bytes) else data)


def _read_docx(data):
    from docx import Document

    return Document(io.BytesIO(data) if isinstance(data, bytes) else data)


def _export(client, call, **form):
    response = client.post(f"/staff/plan-calls/{call.id}/exports", data=form)
    assert response.status_code == 303, response.get_data(as_text=True)[:300]
    location = response.headers["Location"]
    assert re.fullmatch(r"/staff/jobs/[A-Za-z0-9_-]{43}", location), location
    return location.rsplit("/", 1)[1]


def _job(public_id) -> Job:
    db.session.rollback()
    return db.session.scalar(select(Job).where(Job.public_id == public_id))


def test_excel_through_the_queue_has_every_field(app, client, login, export_call):
    login(export_call["staff"])
    call = export_call["call"]
    public_id = _export(client, call, format="xlsx")
    job = _job(public_id)
    assert (job.kind, job.params["call_id"], job.created_by_id) == ("exports.proposals_xlsx", call.id,
                                                                    export_call["staff"].id)
    assert jobs.run_pending(app) >= 1
    job = _job(public_id)
    assert job.state == "done", job.error
    assert job.file_name == "2027年度立法项目建议.xlsx"
    status = client.get(f"/staff/jobs/{public_id}").get_data(as_text=True)
    assert "已完成" in status
    response = client.get(f"/staff/jobs/{public_id}/download")
    assert response.status_code == 200
    sheet = _read_xlsx(response.data).worksheets[0]
    header = [cell.value for cell in sheet[1]]
    rows = [dict(zip(header, row)) for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert len(rows) == 6
    by_code = {row["回执码"]: row for row in rows}
    made = export_call["proposals"]
    citizen = by_code[made["citizen"].receipt_code]
    assert citizen["联系方式"] == "13900001111" and citizen["重点领域"] == "城市管理"
    assert citizen["合并处理"] == "某市电动自行车管理条例（合并）"
    assert citizen["列入项目"] == "某市电动自行车管理条例" and citizen["处理情况"] == "列入正式项目"
    assert citizen["渠道"] == "网站" and citizen["提出人类别"] == "公民"
    deputy = by_code[made["deputy"].receipt_code]
    assert deputy["议案/建议编号"] == "第12号建议" and deputy["提出人类别"] == "人大代表"
    org = by_code[made["org"].receipt_code]
    assert (org["处理情况"], org["处理理由"], org["内部备注"]) == ("不予列入", "条件尚不成熟", "内部备注：再议")
    assert org["渠道"] == "接口" and org["单位"] == "某市养老协会"
    assert by_code[made["gov"].receipt_code]["承办人"] == "承办乙"
    hidden = by_code[made["hidden"].receipt_code]
    assert (hidden["状态"], hidden["屏蔽理由"]) == ("已屏蔽", "与征集无关")
    assert by_code[made["expert"].receipt_code]["立法的必要性和可行性"] == FORMULA  # text, not a formula
    expert_row = next(row for row in sheet.iter_rows(min_row=2) if row[0].value == made["expert"].receipt_code)
    assert expert_row[3].data_type == "s" and expert_row[3].quotePrefix
    # Beijing time: the wall-clock time of the configured zone.
    local = made["citizen"].created_at.astimezone(clock.local_zone()).replace(tzinfo=None)
    assert citizen["提交时间"] == local


def test_excel_honours_the_lists_filter(app, client, login, export_call):
    login(export_call["staff"])
    call = export_call["call"]
    public_id = _export(client, call, format="xlsx", classification="pending", moderation_state="published")
    jobs.run_pending(app)
    job = _job(public_id)
    assert job.params["filter"] == {"classification": "pending", "moderation_state": "published"}
    sheet = _read_xlsx(client.get(f"/staff/jobs/{public_id}/download").data).worksheets[0]
    codes = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
    filters = ProposalFilters(classification="pending", moderation_state="published")
    expected = [p.receipt_code for p in db.session.scalars(queries.proposals_query(call.id, filters))]
    assert codes == expected and len(codes) == 2  # gov and expert


def test_word_summary_groups_by_proposed_regulation(app, client, login, export_call):
    login(export_call["staff"])
    public_id = _export(client, export_call["call"], format="docx")
    jobs.run_pending(app)
    job = _job(public_id)
    assert job.state == "done", job.error
    assert job.file_name == "2027年度立法计划项目建议汇总表.docx"
    document = _read_docx(client.get(f"/staff/jobs/{public_id}/download").data)
    headings = [p.text for p in document.paragraphs if p.style.name == "Heading 2"]
    assert headings == ["1. 某市电动自行车管理条例（合并）（2 件）", "2. 某市养老服务条例（2 件）",
                        "3. 某市数据条例（1 件）", "4. 某市噪声污染防治条例（1 件）"]
    assert len(document.tables) == 4
    first = document.tables[0]
    assert [cell.text for cell in first.rows[0].cells] == ["序号", "建议内容摘要", "提出方", "处理情况"]
    assert "必要性：" in first.rows[1].cells[1].text
    assert "列入正式项目" in first.rows[1].cells[3].text
    assert "第12号建议" in first.rows[2].cells[2].text
    # The header row repeats on every page.
    assert first.rows[0]._tr.trPr is not None
    reasons = document.tables[1].rows[1].cells[3].text
    assert "不予列入" in reasons and "条件尚不成熟" in reasons and "再议" not in reasons


def test_word_summary_with_a_filter_and_no_rows(app, export_call, tmp_path):
    path = tmp_path / "out.docx"
    written = proposal_exports.write_summary(path, export_call["call"], ProposalFilters(classification="research"))
    assert written == 0
    text = "\n".join(p.text for p in _read_docx(str(path)).paragraphs)
    assert "没有符合条件的立法项目建议" in text and "classification=research" in text


def test_bad_format_or_filter_is_refused_with_a_message(app, client, login, export_call):
    login(export_call["staff"])
    call = export_call["call"]
    for form in ({"format": "pdf"}, {"format": "xlsx", "classification": "maybe"},
                 {"format": "xlsx", "group_id": "x"}):
        response = client.post(f"/staff/plan-calls/{call.id}/exports", data=form)
        assert response.status_code == 303
        assert not response.headers["Location"].startswith("/staff/jobs/")
    assert db.session.scalar(select(Job.id).where(Job.kind.like("exports.proposals%"))) is None
    assert client.post("/staff/plan-calls/999999/exports", data={"format": "xlsx"}).status_code == 404


@pytest.mark.parametrize("role,expected", [(None, 302), ("citizen", 403), ("deputy", 403), ("operator", 403),
                                           ("staff", 303), ("admin", 303)])
def test_who_may_export(app, client, login, make_user, export_call, role, expected):
    if role is not None:
        login(make_user(role))
    response = client.post(f"/staff/plan-calls/{export_call['call'].id}/exports", data={"format": "docx"})
    assert response.status_code == expected


def test_another_staff_members_job_is_not_found(app, client, login, make_user, export_call):
    login(export_call["staff"])
    public_id = _export(client, export_call["call"], format="xlsx")
    jobs.run_pending(app)
    client.post("/logout")
    login(make_user("staff"))
    assert client.get(f"/staff/jobs/{public_id}").status_code == 404
    assert client.get(f"/staff/jobs/{public_id}/download").status_code == 404


def test_a_call_deleted_meanwhile_fails_the_job_with_a_message(app, client, login, export_call):
    login(export_call["staff"])
    public_id = _export(client, export_call["call"], format="xlsx")
    db.session.delete(db.session.get(type(export_call["call"]), export_call["call"].id))
    db.session.commit()
    jobs.run_pending(app)
    job = _job(public_id)
    assert job.state == "failed" and "征集公告已不存在" in job.error
    assert db.session.scalar(select(Proposal.id)) is None
