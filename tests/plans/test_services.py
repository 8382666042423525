"""The services of legislative-plan calls: calls, proposals (fields, refusals, receipts,
attachments), classification and merging, the annual plan and its link to a draft."""
from __future__ import annotations

import io
import zipfile
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from participation import clock
from participation.errors import Conflict, Forbidden, ValidationFailed
from participation.extensions import db
from participation.models import AuditEntry, Proposal, ProposalAttachment
from participation.services import attachments, classifications, plan_calls, plans, proposals


def _docx_bytes(text="建议稿正文") -> bytes:
    import docx

    document = docx.Document()
    document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def test_call_status_follows_the_clock(make_call, frozen_now):
    call = make_call(opens_in=timedelta(days=1))
    assert call.status_at(frozen_now.now).value == "scheduled"
    frozen_now.advance(days=2)
    assert call.status_at(frozen_now.now).value == "open"
    plan_calls.close_call(call, by=None, now=frozen_now.now)
    assert call.status_at(frozen_now.now).value == "closed"
    with pytest.raises(Conflict):
        plan_calls.close_call(call, by=None, now=frozen_now.now)


@pytest.mark.parametrize("field,value", [("title", ""), ("year", "明年"), ("year", 1900)])
def test_call_input_is_checked(app, field, value):
    data = plan_calls.PlanCallInput(title="征集", year=2027)
    setattr(data, field, value)
    with pytest.raises(ValidationFailed) as error:
        plan_calls.check(data)
    assert field in error.value.fields


def test_parse_areas_accepts_the_separators_people_type():
    assert plan_calls.parse_areas("民生保障、生态环境，城市管理\n民生保障") == ["民生保障", "生态环境", "城市管理"]


def test_proposal_gets_a_receipt_and_the_account_category(make_call, make_user, make_proposal):
    call = make_call()
    deputy = make_user("deputy")
    proposal = make_proposal(call, author=deputy, motion_number="第12号建议", area="生态环境")
    assert proposal.category == "deputy"
    assert proposal.receipt_code and proposals.find_by_receipt(proposal.receipt_code.lower()).id == proposal.id
    assert proposal.moderation_state == "published"


def test_proposal_fields_are_checked(make_call, make_user):
    call = make_call()
    citizen = make_user("citizen")
    data = proposals.ProposalInput(title="", necessity="", area="外太空", category="organisation",
                                   motion_number="1号")
    with pytest.raises(ValidationFailed) as error:
        proposals.submit_proposal(call, data, author=citizen, now=clock.now())
    assert {"title", "necessity", "area", "unit", "motion_number"} <= set(error.value.fields)
    assert db.session.scalar(select(func.count()).select_from(Proposal)) == 0


def test_refusals_follow_the_call(make_call, frozen_now):
    data = proposals.ProposalInput(title="某条例", necessity="必要")
    call = make_call()
    with pytest.raises(Forbidden):
        proposals.submit_proposal(call, data, author=None, now=frozen_now.now)
    call.allows_anonymous_proposals = True
    assert proposals.submit_proposal(call, data, author=None, now=frozen_now.now).created
    frozen_now.advance(days=31)
    with pytest.raises(Conflict):
        proposals.submit_proposal(call, data, author=None, now=frozen_now.now)


def test_submission_token_stores_once(make_call, make_user):
    call = make_call()
    citizen = make_user("citizen")
    data = proposals.ProposalInput(title="某条例", necessity="必要")
    first = proposals.submit_proposal(call, data, author=citizen, now=clock.now(), submission_token="form:abc")
    again = proposals.submit_proposal(call, data, author=citizen, now=clock.now(), submission_token="form:abc")
    db.session.commit()
    assert first.created and not again.created and first.id == again.id
    assert db.session.scalar(select(func.count()).select_from(Proposal)) == 1


def test_pre_moderated_call_holds_proposals(make_call, make_user, make_proposal):
    call = make_call(moderation="pre")
    staff = make_user("staff")
    proposal = make_proposal(call, author=make_user("citizen"))
    assert proposal.moderation_state == "pending"
    proposals.publish_proposal(proposal, by=staff, now=clock.now())
    proposals.hide_proposal(proposal, reason="广告", by=staff, now=clock.now())
    assert proposal.moderation_state == "hidden"
    actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.object_id == proposal.id,
                                                                 AuditEntry.object_type == "proposal")).all()
    assert actions == ["proposal.publish", "proposal.hide"]


def test_attachment_is_stored_under_a_generated_name(make_call, make_user, make_proposal, app):
    call = make_call()
    proposal = make_proposal(call, author=make_user("citizen"),
                             attachments=[attachments.Upload("建议稿.docx", _docx_bytes())])
    rows = db.session.scalars(select(ProposalAttachment)).all()
    assert [(r.original_name, r.file_format, r.proposal_id) for r in rows] == [("建议稿.docx", "docx", proposal.id)]
    assert attachments.path_of(rows[0]).read_bytes() == _docx_bytes() or rows[0].size > 0
    assert "建议稿" not in rows[0].stored_name


def _bomb() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", b"0" * (60 * 1024 * 1024))
    return out.getvalue()


@pytest.mark.parametrize("name,data,message", [
    ("a.pdf", b"MZ\x90\x00binary\x00", "不是 Word"),
    ("../etc/passwd.txt", "正文".encode(), "路径"),
    ("a.docx", None, "过大"),
    ("big.txt", "字".encode() * 2_000_000, "上限"),
    ("empty.txt", b"", "空文件"),
])
def test_bad_attachments_are_refused_and_nothing_is_stored(make_call, make_user, app, name, data, message):
    call = make_call()
    upload = attachments.Upload(name, _bomb() if data is None else data)
    with pytest.raises(ValidationFailed) as error:
        proposals.submit_proposal(call, proposals.ProposalInput(title="某条例", necessity="必要"),
                                  author=make_user("citizen"), now=clock.now(), attachments=[upload])
    assert message in " ".join(error.value.fields["attachment"])
    assert db.session.scalar(select(func.count()).select_from(Proposal)) == 0
    folder = attachments.attachments_dir()
    assert list(folder.iterdir()) == []


def test_sniff_decides_by_content():
    assert attachments.sniff(b"%PDF-1.7 ...") == "pdf"
    assert attachments.sniff("纯文本".encode("gb18030")) == "txt"
    assert attachments.sniff(_docx_bytes()) == "docx"
    assert attachments.sniff(b"PK\x03\x04garbage") is None


def test_classification_needs_a_reason_and_is_audited(make_call, make_user, make_proposal):
    call = make_call()
    staff = make_user("staff")
    proposal = make_proposal(call)
    with pytest.raises(ValidationFailed) as error:
        classifications.classify(proposal, classifications.ClassificationInput("not_included"), by=staff,
                                 now=clock.now())
    assert "reason" in error.value.fields
    assert classifications.classify(proposal, classifications.ClassificationInput("not_included", "条件尚不成熟"),
                                     by=staff, now=clock.now())
    assert not classifications.classify(
        proposal, classifications.ClassificationInput("not_included", "条件尚不成熟"), by=staff, now=clock.now())
    assert proposal.classified_by_id == staff.id


def test_bulk_classification_refuses_other_calls(make_call, make_user, make_proposal):
    staff = make_user("staff")
    call, other = make_call(), make_call(title="另一次征集")
    mine = [make_proposal(call) for _ in range(3)]
    foreign = make_proposal(other)
    with pytest.raises(ValidationFailed):
        classifications.classify_many(call, [mine[0].id, foreign.id], classifications.ClassificationInput("research"),
                                      by=staff, now=clock.now())
    assert classifications.classify_many(call, [p.id for p in mine], classifications.ClassificationInput("research"),
                                         by=staff, now=clock.now()) == 3
    bulk = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "proposal.classify_bulk"))
    assert bulk.count == 3


def test_merge_groups_and_dissolves(make_call, make_user, make_proposal):
    staff = make_user("staff")
    call = make_call()
    a, b, c = (make_proposal(call) for _ in range(3))
    with pytest.raises(ValidationFailed):
        classifications.merge(call, [a.id], title="某条例", by=staff, now=clock.now())
    group = classifications.merge(call, [a.id, b.id, c.id], title="某市养犬管理条例", by=staff, now=clock.now())
    assert {a.group_id, b.group_id, c.group_id} == {group.id}
    classifications.unmerge(a, by=staff, now=clock.now())
    classifications.unmerge(b, by=staff, now=clock.now())
    assert c.group_id is None  # a group of one merges nothing


def test_plan_links_proposals_and_draft(make_call, make_user, make_proposal, make_draft):
    staff = make_user("staff")
    call = make_call()
    proposal, other = make_proposal(call), make_proposal(call)
    classifications.classify(other, classifications.ClassificationInput("not_included", "已有规定"), by=staff,
                             now=clock.now())
    plan = plans.plan_for_year(2027, by=staff, now=clock.now())
    with pytest.raises(ValidationFailed):
        plans.publish_plan(plan, by=staff, now=clock.now())
    project = plans.add_project(plan, plans.ProjectInput("formal", "某市示例保护条例", "市司法局", "6月",
                                                         proposal_ids=[proposal.id, other.id]),
                                by=staff, now=clock.now())
    assert project.planned_month == 6
    assert proposal.project_id == project.id and proposal.classification == "formal"
    assert other.classification == "not_included"  # a recorded classification is kept
    plans.publish_plan(plan, by=staff, now=clock.now())
    draft = make_draft(published=True)
    plans.link_draft(project, draft, by=staff, now=clock.now())
    second = plans.add_project(plan, plans.ProjectInput("research", "另一条例"), by=staff, now=clock.now())
    with pytest.raises(Conflict):
        plans.link_draft(second, draft, by=staff, now=clock.now())
    with pytest.raises(ValidationFailed) as error:
        plans.add_project(plan, plans.ProjectInput("formal", "某条例", planned_month="13"), by=staff, now=clock.now())
    assert "planned_month" in error.value.fields


def test_plan_refuses_proposals_of_another_year(make_call, make_user, make_proposal):
    staff = make_user("staff")
    proposal = make_proposal(make_call(year=2026))
    plan = plans.plan_for_year(2027, by=staff, now=clock.now())
    with pytest.raises(ValidationFailed):
        plans.add_project(plan, plans.ProjectInput("formal", "某条例", proposal_ids=[proposal.id]), by=staff,
                          now=clock.now())


def test_call_tally_counts_published_for_the_public(make_call, make_user, make_proposal):
    from participation import queries

    staff = make_user("staff")
    call = make_call()
    shown = make_proposal(call, area="民生保障")
    make_proposal(call, area="生态环境", author=make_user("deputy"))
    proposals.hide_proposal(shown, reason="重复提交", by=staff, now=clock.now())
    db.session.commit()
    public = queries.call_tally(call.id, published_only=True)
    everything = queries.call_tally(call.id, published_only=False)
    assert public.total == 1 and public.by_area == {"生态环境": 1} and public.by_category == {"deputy": 1}
    assert everything.total == 2 and everything.by_moderation == {"hidden": 1, "published": 1}


def test_plan_line_for_draft(make_call, make_user, make_proposal, make_draft):
    from participation import queries

    staff = make_user("staff")
    call = make_call()
    proposal_ids = [make_proposal(call).id for _ in range(2)]
    plan = plans.plan_for_year(2027, by=staff, now=clock.now())
    project = plans.add_project(plan, plans.ProjectInput("formal", "某条例", proposal_ids=proposal_ids), by=staff,
                                now=clock.now())
    draft = make_draft(published=True)
    assert queries.plan_line_for_draft(draft.id) is None
    plans.link_draft(project, draft, by=staff, now=clock.now())
    line = queries.plan_line_for_draft(draft.id)
    assert (line.year, line.project_class, line.proposal_count, line.plan_published) == (2027, "formal", 2, False)


def test_audit_log_names_classifications_and_links_proposals(client, login, make_user, make_call, make_proposal):
    admin = make_user("admin")
    call = make_call()
    proposal = make_proposal(call)
    classifications.classify(proposal, classifications.ClassificationInput("formal"), by=admin, now=clock.now())
    db.session.commit()
    login(admin)
    page = client.get(f"/admin/audit?object_type=proposal&object_id={proposal.id}").get_data(as_text=True)
    assert "列入正式项目" in page and f'href="/staff/proposals/{proposal.id}"' in page
    assert "classification" not in page  # the field is named in words
