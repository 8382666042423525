"""The staff's pages of legislative-plan calls (立法计划征集): calls, a call's
proposals with the bulk actions, one proposal, and the annual plan's editor."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from participation import clock
from participation.extensions import db
from participation.models import AuditEntry, LegislativePlan, PlanCall, PlanProject, Proposal, ProposalGroup


@pytest.fixture
def staff_client(app, make_user, login):
    user = make_user("staff", display_name="法工委甲")
    client = app.test_client()
    login(user, test_client=client)
    client.user_id = user.id
    return client


def _call_form(**overrides):
    data = {"title": "关于征集2027年度立法计划项目建议的公告", "year": "2027",
            "announcement": "欢迎提出立法项目建议。", "focus_areas": "民生保障、生态环境\n城市管理",
            "opens_at": "2026-12-01T09:00", "closes_at": "2026-12-31T17:00", "moderation_mode": "post"}
    data.update(overrides)
    return data


def _page(response) -> str:
    return response.get_data(as_text=True)


# --- Calls ------------------------------------------------------------------------------

def test_calls_list_shows_status_year_and_counts(staff_client, make_call, make_proposal):
    call = make_call()
    make_proposal(call)
    make_call(title="未发布的征集", year=2028, published=False)
    page = _page(staff_client.get("/staff/plan-calls"))
    assert "立法计划征集" in page and "新建征集" in page
    assert call.title in page and "征集中" in page and "未发布" in page and "2028" in page
    assert 'href="/staff/plan-calls"' in _page(staff_client.get("/staff/drafts"))  # the nav link


def test_create_edit_publish_and_close_a_call_through_the_forms(staff_client, frozen_now):
    frozen_now.set(frozen_now.now.replace(year=2026, month=11, day=20, hour=2, minute=0))
    assert staff_client.get("/staff/plan-calls/new").status_code == 200
    response = staff_client.post("/staff/plan-calls/new", data=_call_form())
    assert response.status_code == 303
    call = db.session.scalar(select(PlanCall))
    assert call.published_at is None and call.focus_areas == ["民生保障", "生态环境", "城市管理"]
    # 北京时间 09:00 is 01:00 UTC.
    assert call.opens_at.hour == 1 and call.opens_at.day == 1
    page = _page(staff_client.get(f"/staff/plan-calls/{call.id}/edit"))
    assert 'value="2026-12-01T09:00"' in page and "民生保障、生态环境、城市管理" in page and "发布" in page

    response = staff_client.post(f"/staff/plan-calls/{call.id}/edit",
                                 data=_call_form(title="修改后的公告", allows_anonymous_proposals="y"))
    assert response.status_code == 303
    db.session.expire_all()
    call = db.session.get(PlanCall, call.id)
    assert call.title == "修改后的公告" and call.allows_anonymous_proposals

    assert staff_client.post(f"/staff/plan-calls/{call.id}/publish").status_code == 303
    db.session.expire_all()
    assert db.session.get(PlanCall, call.id).published_at is not None
    frozen_now.set(frozen_now.now + timedelta(days=15))
    response = staff_client.post(f"/staff/plan-calls/{call.id}/close", follow_redirects=True)
    assert "征集已截止" in _page(response)
    db.session.expire_all()
    assert db.session.get(PlanCall, call.id).status_at(frozen_now.now).value == "closed"
    # Closing twice is refused with a message, not an error page.
    response = staff_client.post(f"/staff/plan-calls/{call.id}/close", follow_redirects=True)
    assert response.status_code == 200 and "该征集已经截止" in _page(response)


def test_publishing_without_a_period_says_so(staff_client):
    staff_client.post("/staff/plan-calls/new", data=_call_form(opens_at="", closes_at=""))
    call = db.session.scalar(select(PlanCall))
    response = staff_client.post(f"/staff/plan-calls/{call.id}/publish", follow_redirects=True)
    assert response.status_code == 200 and "发布前请设置征集期" in _page(response)


@pytest.mark.parametrize("overrides,message", [
    ({"year": "明年"}, "请填写计划年度"),
    ({"year": "1900"}, "请填写计划年度"),
    ({"title": ""}, "请填写标题"),
    ({"closes_at": "2026-11-01T09:00"}, "截止时间应晚于开始时间"),
    ({"closes_at": ""}, "请同时填写开始和截止时间"),
    ({"opens_at": "下周一"}, "请按“年-月-日 时:分”填写时间"),
    ({"moderation_mode": "never"}, "请选择审核方式"),
])
def test_bad_call_input_gives_chinese_field_errors(staff_client, overrides, message):
    response = staff_client.post("/staff/plan-calls/new", data=_call_form(**overrides))
    assert response.status_code == 422
    assert message in _page(response) and 'class="error"' in _page(response)
    assert db.session.scalar(select(func.count()).select_from(PlanCall)) == 0


# --- A call's proposals -----------------------------------------------------------------

def test_call_page_lists_filters_and_tallies(staff_client, make_call, make_proposal):
    call = make_call()
    water = make_proposal(call, title="某市水资源保护条例", area="生态环境")
    make_proposal(call, title="某市物业管理条例", area="民生保障")
    page = _page(staff_client.get(f"/staff/plan-calls/{call.id}"))
    assert "某市水资源保护条例" in page and "某市物业管理条例" in page and "征集统计" in page
    assert "编制年度立法计划" in page and f'/staff/plans/{call.year}' in page
    page = _page(staff_client.get(f"/staff/plan-calls/{call.id}?area=生态环境"))
    assert "某市水资源保护条例" in page and "某市物业管理条例" not in page
    page = _page(staff_client.get(f"/staff/plan-calls/{call.id}?text=物业"))
    assert "某市物业管理条例" in page and "某市水资源保护条例" not in page
    # Nonsense filters are ignored, never an error.
    assert staff_client.get(f"/staff/plan-calls/{call.id}?assignee_id=abc&group_id=-1&page=x"
                            "&classification=nope").status_code == 200
    assert water.receipt_code in _page(staff_client.get(f"/staff/plan-calls/{call.id}?classification=pending"))


def test_bulk_classification_records_one_bulk_entry(staff_client, make_call, make_proposal):
    call = make_call()
    ids = [make_proposal(call).id for _ in range(3)]
    page = _page(staff_client.get(f"/staff/plan-calls/{call.id}"))
    token = page.split('name="form_token" type="hidden" value="')[1][:32] if 'name="form_token" type="hidden"' in page \
        else page.split('name="form_token" value="')[1][:32]
    data = {"ids": [str(i) for i in ids[:2]], "classification": "not_included", "reason": "条件尚不成熟。",
            "note": "内部", "form_token": token}
    response = staff_client.post(f"/staff/plan-calls/{call.id}/classifications", data=data)
    assert response.status_code == 303
    db.session.expire_all()
    assert [db.session.get(Proposal, i).classification for i in ids] == ["not_included", "not_included", "pending"]
    bulk = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "proposal.classify_bulk")).all()
    assert len(bulk) == 1 and bulk[0].count == 2 and bulk[0].selection == {"ids": ids[:2]}
    # The same confirmation posted again changes nothing and records nothing more.
    response = staff_client.post(f"/staff/plan-calls/{call.id}/classifications", data=data, follow_redirects=True)
    assert "已经保存过" in _page(response)
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)
                             .where(AuditEntry.action == "proposal.classify_bulk")) == 1


@pytest.mark.parametrize("data,message", [
    ({"classification": "not_included", "reason": ""}, "须填写理由"),
    ({"classification": "", "reason": ""}, "请选择处理情况"),
    ({"classification": "formal", "reason": "", "no_ids": True}, "请先勾选要处理的建议"),
])
def test_bad_bulk_classification_is_refused_in_chinese(staff_client, make_call, make_proposal, data, message):
    call = make_call()
    proposal = make_proposal(call)
    data = dict(data)
    if not data.pop("no_ids", False):
        data["ids"] = [str(proposal.id)]
    response = staff_client.post(f"/staff/plan-calls/{call.id}/classifications", data=data)
    assert response.status_code == 422 and message in _page(response)
    db.session.expire_all()
    assert db.session.get(Proposal, proposal.id).classification == "pending"


def test_ids_of_another_call_are_refused(staff_client, make_call, make_proposal):
    call, other = make_call(), make_call(title="别的征集")
    stranger = make_proposal(other)
    response = staff_client.post(f"/staff/plan-calls/{call.id}/classifications",
                                 data={"ids": [str(stranger.id)], "classification": "formal"})
    assert response.status_code == 422 and "不属于这次征集" in _page(response)


def test_merge_and_unmerge(staff_client, make_call, make_proposal):
    call = make_call()
    a, b, c = (make_proposal(call) for _ in range(3))
    response = staff_client.post(f"/staff/plan-calls/{call.id}/merge", data={"ids": [str(a.id)], "title": "养犬管理"})
    assert response.status_code == 422 and "至少选择两件建议才能合并" in _page(response)
    response = staff_client.post(f"/staff/plan-calls/{call.id}/merge",
                                 data={"ids": [str(a.id), str(b.id), str(c.id)], "title": "某市养犬管理条例"})
    assert response.status_code == 303
    group = db.session.scalar(select(ProposalGroup))
    page = _page(staff_client.get(f"/staff/proposals/{a.id}"))
    assert "某市养犬管理条例" in page and b.receipt_code in page and c.receipt_code in page and "取消合并" in page
    assert "某市养犬管理条例" in _page(staff_client.get(f"/staff/plan-calls/{call.id}?group_id={group.id}"))
    assert staff_client.post(f"/staff/proposals/{a.id}/unmerge").status_code == 303
    db.session.expire_all()
    assert db.session.get(Proposal, a.id).group_id is None and db.session.get(Proposal, b.id).group_id == group.id
    assert "取消合并" in _page(staff_client.get(f"/staff/proposals/{a.id}"))  # in the history


def test_assignment_in_bulk_and_on_the_proposal(staff_client, make_call, make_proposal, make_user):
    call = make_call()
    a, b = make_proposal(call), make_proposal(call)
    colleague = make_user("staff", display_name="法工委乙")
    citizen = make_user("citizen")
    response = staff_client.post(f"/staff/plan-calls/{call.id}/assignments",
                                 data={"ids": [str(a.id), str(b.id)], "assignee": str(colleague.id)})
    assert response.status_code == 303
    db.session.expire_all()
    assert {db.session.get(Proposal, i).assignee_id for i in (a.id, b.id)} == {colleague.id}
    assert "法工委乙" in _page(staff_client.get(f"/staff/plan-calls/{call.id}"))
    response = staff_client.post(f"/staff/proposals/{a.id}/assignee", data={"assignee": str(citizen.id)})
    assert response.status_code == 422 and "只能交由法工委工作人员承办" in _page(response)
    response = staff_client.post(f"/staff/proposals/{a.id}/assignee", data={"assignee": ""})
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Proposal, a.id).assignee_id is None
    response = staff_client.post(f"/staff/plan-calls/{call.id}/assignments", data={"assignee": str(colleague.id)})
    assert response.status_code == 422 and "请先勾选" in _page(response)


# --- One proposal -----------------------------------------------------------------------

def test_proposal_page_shows_everything_to_staff(staff_client, make_call, make_proposal, make_user):
    call = make_call(moderation="pre")
    proposal = make_proposal(call, author=make_user("deputy"), title="某市电动自行车管理条例", contact="13800000000",
                             motion_number="第12号", unit="某代表团", category="deputy", submitter_name="张代表")
    page = _page(staff_client.get(f"/staff/proposals/{proposal.id}"))
    for text in ("某市电动自行车管理条例", "13800000000", "仅工作人员可见", "第12号", "某代表团", "张代表", "人大代表", "待审核",
                 "通过并公开", "屏蔽这件建议", "保存处理情况", "操作记录"):
        assert text in page, text


def test_moderation_of_a_proposal(staff_client, make_call, make_proposal):
    call = make_call(moderation="pre")
    proposal = make_proposal(call)
    assert proposal.moderation_state == "pending"
    assert staff_client.post(f"/staff/proposals/{proposal.id}/publish").status_code == 303
    response = staff_client.post(f"/staff/proposals/{proposal.id}/hide", data={"reason": ""})
    assert response.status_code == 422 and "请填写屏蔽理由" in _page(response)
    assert staff_client.post(f"/staff/proposals/{proposal.id}/hide", data={"reason": "含个人信息"}).status_code == 303
    db.session.expire_all()
    stored = db.session.get(Proposal, proposal.id)
    assert stored.moderation_state == "hidden" and stored.hidden_reason == "含个人信息"
    assert "含个人信息" in _page(staff_client.get(f"/staff/plan-calls/{call.id}?moderation_state=hidden"))


def test_classification_of_one_proposal(staff_client, make_call, make_proposal):
    call = make_call()
    proposal = make_proposal(call)
    response = staff_client.post(f"/staff/proposals/{proposal.id}/classification",
                                 data={"classification": "not_included", "reason": ""})
    assert response.status_code == 422 and "须填写理由" in _page(response)
    response = staff_client.post(f"/staff/proposals/{proposal.id}/classification",
                                 data={"classification": "research", "reason": "先开展调研。", "note": "内部备注"},
                                 follow_redirects=True)
    assert "列入调研项目" in _page(response) and "先开展调研。" in _page(response)
    assert "记录建议处理情况" in _page(response)  # the history


# --- The plan editor --------------------------------------------------------------------

def test_plan_build_and_publish(staff_client, make_call, make_proposal):
    call = make_call()
    a, b = make_proposal(call, title="某市养老服务条例"), make_proposal(call, title="某市居家养老条例")
    page = _page(staff_client.get("/staff/plans/2027"))
    assert "2027 年度立法计划" in page and "某市养老服务条例" in page and "添加项目" in page
    assert db.session.scalar(select(func.count()).select_from(LegislativePlan)) == 0  # a GET writes nothing
    # Publishing an empty plan is refused.
    assert staff_client.get("/staff/plans/2027/publish").status_code == 404
    response = staff_client.post("/staff/plans/2027", data={"title": "某市2027年度立法计划", "introduction": "说明"})
    assert response.status_code == 303
    response = staff_client.post("/staff/plans/2027/projects", data={
        "project_class": "formal", "title": "某市养老服务条例", "drafting_body": "市民政局", "planned_month": "6",
        "notes": "", "proposal_ids": [str(a.id), str(b.id)]})
    assert response.status_code == 303
    project = db.session.scalar(select(PlanProject))
    db.session.expire_all()
    assert {p.project_id for p in db.session.scalars(select(Proposal))} == {project.id}
    assert db.session.get(Proposal, a.id).classification == "formal"
    page = _page(staff_client.get("/staff/plans/2027"))
    assert "市民政局" in page and "6 月" in page and "源自 2 件建议" in page
    # Edit: keep only one proposal behind it.
    assert staff_client.get(f"/staff/plans/2027/projects/{project.id}").status_code == 200
    response = staff_client.post(f"/staff/plans/2027/projects/{project.id}", data={
        "project_class": "formal", "title": "某市养老服务条例", "drafting_body": "市民政局", "planned_month": "9",
        "proposal_ids": [str(a.id)]})
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Proposal, b.id).project_id is None and db.session.get(PlanProject, project.id).planned_month == 9
    page = _page(staff_client.get("/staff/plans/2027/publish"))
    assert "确认发布" in page and "共 1 个项目" in page
    response = staff_client.post("/staff/plans/2027/publish", follow_redirects=True)
    assert "已发布" in _page(response)
    assert db.session.scalar(select(LegislativePlan)).published_at is not None
    response = staff_client.post("/staff/plans/2027/publish", follow_redirects=True)
    assert "已经发布" in _page(response)


@pytest.mark.parametrize("data,message", [
    ({"planned_month": "13"}, "提请审议时间请填写 1 至 12 月"),
    ({"project_class": ""}, "请选择项目类别"),
    ({"title": ""}, "请填写项目名称"),
])
def test_bad_project_input_gives_chinese_field_errors(staff_client, data, message):
    form = {"project_class": "formal", "title": "某市条例", "planned_month": "3"}
    form.update(data)
    response = staff_client.post("/staff/plans/2027/projects", data=form)
    assert response.status_code == 422 and message in _page(response)
    assert db.session.scalar(select(func.count()).select_from(PlanProject)) == 0
    assert db.session.scalar(select(func.count()).select_from(LegislativePlan)) == 0


def test_plan_year_out_of_range_is_not_found(staff_client):
    assert staff_client.get("/staff/plans/1999").status_code == 404
    assert staff_client.post("/staff/plans/3000", data={"title": "x"}).status_code == 404


def test_remove_project(staff_client):
    staff_client.post("/staff/plans/2027/projects", data={"project_class": "research", "title": "某市调研项目"})
    project = db.session.scalar(select(PlanProject))
    assert staff_client.post(f"/staff/plans/2027/projects/{project.id}/remove").status_code == 303
    assert db.session.scalar(select(func.count()).select_from(PlanProject)) == 0
    # A project of another year's plan is not found under this year.
    staff_client.post("/staff/plans/2028/projects", data={"project_class": "research", "title": "二〇二八项目"})
    other = db.session.scalar(select(PlanProject))
    assert staff_client.get(f"/staff/plans/2027/projects/{other.id}").status_code == 404


def test_link_a_project_to_a_draft_from_the_plan_and_from_the_draft_page(staff_client, make_draft):
    draft = make_draft(title="某市养老服务条例（草案）")
    staff_client.post("/staff/plans/2027/projects", data={"project_class": "formal", "title": "某市养老服务条例"})
    staff_client.post("/staff/plans/2027/projects", data={"project_class": "preparatory", "title": "某市预备条例"})
    first, second = db.session.scalars(select(PlanProject).order_by(PlanProject.id)).all()
    page = _page(staff_client.get(f"/staff/drafts/{draft.id}"))
    assert "立法计划项目" in page and "某市养老服务条例" in page and "尚未关联" in page
    response = staff_client.post(f"/staff/drafts/{draft.id}/plan-project", data={"project_id": str(first.id)})
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(PlanProject, first.id).draft_id == draft.id
    assert "本法规列入 2027 年度立法计划" in _page(staff_client.get(f"/staff/drafts/{draft.id}"))
    # A draft implements one project: linking it to the second from the plan is refused.
    response = staff_client.post(f"/staff/plans/2027/projects/{second.id}/draft", data={"draft_id": str(draft.id)})
    assert response.status_code == 422 and "已关联" in _page(response)
    response = staff_client.post(f"/staff/plans/2027/projects/{first.id}/draft", data={"draft_id": ""})
    assert response.status_code == 303
    response = staff_client.post(f"/staff/plans/2027/projects/{second.id}/draft", data={"draft_id": str(draft.id)})
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(PlanProject, second.id).draft_id == draft.id
    assert "#%d" % draft.id in _page(staff_client.get(f"/staff/plans/2027/projects/{second.id}"))
    response = staff_client.post(f"/staff/drafts/{draft.id}/plan-project", data={"project_id": ""})
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(PlanProject, second.id).draft_id is None
    response = staff_client.post(f"/staff/plans/2027/projects/{second.id}/draft", data={"draft_id": "99999"})
    assert response.status_code == 422 and "请选择草案" in _page(response)


def test_the_pages_render_in_english(staff_client, make_call, make_proposal):
    call = make_call()
    proposal = make_proposal(call)
    staff_client.post("/language", data={"locale": "en", "next": "/"})
    expected = {"/staff/plan-calls": "New call", f"/staff/plan-calls/{call.id}": "Build the annual plan",
                f"/staff/proposals/{proposal.id}": "Necessity and feasibility", "/staff/plans/2027": "Add project",
                "/staff/plan-calls/new": "Allow proposals without signing in"}
    for path, text in expected.items():
        response = staff_client.get(path)
        assert response.status_code == 200 and text in _page(response), path


def test_no_page_repeats_an_element_id(staff_client, make_call, make_proposal):
    import re
    from collections import Counter

    call = make_call()
    proposal = make_proposal(call)
    staff_client.post("/staff/plans/2027/projects", data={"project_class": "formal", "title": "某市条例"})
    project = db.session.scalar(select(PlanProject))
    for path in ("/staff/plan-calls", "/staff/plan-calls/new", f"/staff/plan-calls/{call.id}",
                 f"/staff/plan-calls/{call.id}/edit", f"/staff/proposals/{proposal.id}", "/staff/plans/2027",
                 f"/staff/plans/2027/projects/{project.id}"):
        ids = Counter(re.findall(r'\sid="([^"]+)"', _page(staff_client.get(path))))
        assert not [i for i, n in ids.items() if n > 1], path
