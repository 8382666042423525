"""The public pages of legislative-plan calls: the calls, a call with its tally and
proposals, a proposal, its attachments, the annual plan, the draft page's plan line, the
receipt look-up and 我的意见 for proposals, the home page's block."""
from __future__ import annotations

from datetime import timedelta

import pytest

from participation import clock
from participation.extensions import db
from participation.services import attachments, classifications, plan_calls, proposals
from tests.plans.public_helpers import PDF_BYTES, classify, publish_plan

CONTACT = "13900009999"


def _text(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def calls(make_call, frozen_now):
    """An open call, a scheduled one, a closed one and an unpublished one."""
    open_call = make_call(title="关于征集2027年度立法计划项目建议的公告")
    scheduled = make_call(title="即将开始的征集", opens_in=timedelta(days=3))
    closed = make_call(title="往期的征集", year=2026, now=frozen_now.now - timedelta(days=60), days=30)
    unpublished = make_call(title="未发布的征集", published=False)
    return {"open": open_call, "scheduled": scheduled, "closed": closed, "unpublished": unpublished}


def test_calls_page_lists_current_and_past_calls(client, calls, make_proposal):
    make_proposal(calls["open"])
    page = _text(client.get("/plan-calls"))
    current, past = page.split("往期征集")
    assert "关于征集2027年度立法计划项目建议的公告" in current and "即将开始的征集" in current
    assert "征集中" in current and "即将开始" in current
    assert "往期的征集" in past and "已截止" in past
    assert "未发布的征集" not in page
    assert "已公开建议 1 件" in current
    # Times in 北京时间, as the draft pages show them.
    assert "<time datetime=" in page


def test_call_page_by_state(client, login, make_user, calls):
    visitor = _text(client.get(f"/plan-calls/{calls['open'].id}"))
    assert "欢迎社会各界提出立法项目建议。" in visitor and "民生保障、生态环境、城市管理" in visitor
    assert "本次征集需要登录后提出建议" in visitor and f"/login?next=/plan-calls/{calls['open'].id}/propose" in visitor
    assert "propose\">提出建议</a>" not in visitor
    assert "征集尚未开始" in _text(client.get(f"/plan-calls/{calls['scheduled'].id}"))
    assert "征集已经截止" in _text(client.get(f"/plan-calls/{calls['closed'].id}"))
    assert client.get(f"/plan-calls/{calls['unpublished'].id}").status_code == 404
    login(make_user("citizen"))
    page = _text(client.get(f"/plan-calls/{calls['open'].id}"))
    assert f'href="/plan-calls/{calls["open"].id}/propose">提出建议</a>' in page


def test_unpublished_call_is_previewed_by_staff(client, login, make_user, calls):
    login(make_user("staff"))
    page = _text(client.get(f"/plan-calls/{calls['unpublished'].id}"))
    assert "此征集公告尚未发布" in page and "propose\">提出建议</a>" not in page


def test_call_page_tally_and_list_show_published_proposals_without_contact(client, make_call, make_proposal,
                                                                           make_user):
    call = make_call()
    named = make_proposal(call, title="某市养犬管理条例", submitter_name="张三", is_name_public=True, contact=CONTACT,
                          area="城市管理")
    anonymous = make_proposal(call, title="某市物业管理条例", submitter_name="李四", is_name_public=False,
                              contact=CONTACT, area="民生保障")
    hidden = make_proposal(call, title="不公开的建议", area="民生保障")
    proposals.hide_proposal(hidden, reason="与立法无关", by=make_user("staff"), now=clock.now())
    db.session.commit()
    page = _text(client.get(f"/plan-calls/{call.id}"))
    assert "统计已公开的建议，共 2 件" in page
    assert "按重点领域" in page and "按提出人类别" in page and "按提交渠道" in page and "网站" in page
    assert "按处理情况" not in page and "处理情况在年度立法计划发布后公布" in page
    assert f"/proposals/{named.id}" in page and f"/proposals/{anonymous.id}" in page
    assert "张三" in page and "李四" not in page and "未公开姓名" in page
    assert "不公开的建议" not in page and CONTACT not in page


def test_proposal_page_shows_texts_and_classification_only_after_the_plan(client, make_call, make_proposal,
                                                                         make_draft):
    call = make_call()
    proposal = make_proposal(call, title="某市养犬管理条例", submitter_name="张三", is_name_public=False,
                             contact=CONTACT, area="城市管理", problems="犬只伤人。", measures="登记制度。")
    classify(proposal, "not_included", "已列入明年调研。")
    page = _text(client.get(f"/proposals/{proposal.id}"))
    assert "很有必要。" in page and "犬只伤人。" in page and "登记制度。" in page and "城市管理" in page
    assert "处理中" in page and "不予列入" not in page and "已列入明年调研" not in page
    assert "张三" not in page and CONTACT not in page
    other = make_proposal(call, title="某市犬类管理规定")
    publish_plan(2027, [other], title="某市养犬管理条例")
    page = _text(client.get(f"/proposals/{proposal.id}"))
    assert "不予列入" in page and "理由：已列入明年调研。" in page and "处理中" not in page
    page = _text(client.get(f"/proposals/{other.id}"))
    assert "列入正式项目" in page and "/plans/2027" in page and "正式项目《某市养犬管理条例》" in page


def test_merged_proposals_say_which_group(client, make_call, make_proposal):
    call = make_call()
    first, second, third = (make_proposal(call, title=f"养犬管理建议{n}") for n in range(3))
    classifications.merge(call, [first.id, second.id, third.id], title="某市养犬管理条例", by=None, now=clock.now())
    db.session.commit()
    page = _text(client.get(f"/proposals/{first.id}"))
    assert "与另外 2 件建议合并为《某市养犬管理条例》" in page
    receipt = _text(client.get(f"/receipt?code={second.receipt_code}"))
    assert "与另外 2 件建议合并为《某市养犬管理条例》" in receipt


def test_receipt_lookup_shows_the_classification_only_after_the_plan_is_published(client, make_call, make_proposal,
                                                                                  make_draft):
    call = make_call()
    included = make_proposal(call, contact=CONTACT, submitter_name="张三")
    refused = make_proposal(call)
    classify(refused, "not_included", "本市已有相关规定，暂不列入。")
    draft = make_draft(published=True)
    plan, _project = publish_plan(2027, [included], draft=draft, title="某市养犬管理条例", publish=False)
    for proposal in (included, refused):
        page = _text(client.get(f"/receipt?code={proposal.receipt_code.lower()}"))
        assert "回执编号" in page and "处理中" in page
        assert "列入正式项目" not in page and "不予列入" not in page and "暂不列入" not in page
        assert CONTACT not in page and "张三" not in page
    from participation.services import plans

    plans.publish_plan(plan, by=None, now=clock.now())
    db.session.commit()
    page = _text(client.get(f"/receipt?code={included.receipt_code}"))
    assert "您的建议已列入 2027 年度立法计划正式项目《某市养犬管理条例》" in page
    assert "/plans/2027" in page and f"/drafts/{draft.id}" in page
    page = _text(client.get(f"/receipt?code={refused.receipt_code}"))
    assert "不予列入，理由：本市已有相关规定，暂不列入。" in page


def test_receipt_of_a_held_and_a_hidden_proposal(client, make_call, make_proposal, make_user):
    call = make_call(moderation="pre")
    held = make_proposal(call)
    assert held.moderation_state == "pending"
    assert "工作人员审核后公开" in _text(client.get(f"/receipt?code={held.receipt_code}"))
    proposals.hide_proposal(held, reason="含有他人个人信息", by=make_user("staff"), now=clock.now())
    db.session.commit()
    page = _text(client.get(f"/receipt?code={held.receipt_code}"))
    assert "已屏蔽" in page and "理由：含有他人个人信息" in page
    assert client.get(f"/proposals/{held.id}").status_code == 404


def test_my_opinions_lists_my_proposals_with_their_status(client, login, make_call, make_proposal, make_user):
    call = make_call()
    me, other = make_user("citizen"), make_user("citizen")
    mine = make_proposal(call, author=me, title="我的建议：某市养犬管理条例")
    make_proposal(call, author=other, title="别人的建议")
    classify(mine, "formal")
    login(me)
    page = _text(client.get("/account/opinions"))
    assert "我的立法项目建议" in page and "我的建议：某市养犬管理条例" in page and "别人的建议" not in page
    assert mine.receipt_code in page and "处理中" in page and "列入正式项目" not in page
    publish_plan(2027, [mine])
    page = _text(client.get("/account/opinions"))
    assert "您的建议已列入 2027 年度立法计划正式项目《某市养犬管理条例》" in page


def test_plan_page_groups_projects_and_links_proposals(client, login, make_user, make_call, make_proposal,
                                                       make_draft):
    call = make_call()
    public = make_proposal(call, title="某市养犬管理条例（建议）", submitter_name="张三", is_name_public=True,
                           contact=CONTACT)
    unnamed = make_proposal(call, title="犬只管理", submitter_name="李四", is_name_public=False)
    hidden = make_proposal(call, title="不公开的养犬建议")
    proposals.hide_proposal(hidden, reason="重复", by=make_user("staff"), now=clock.now())
    db.session.commit()
    draft = make_draft(published=True)
    plan, _project = publish_plan(2027, [public, unnamed, hidden], draft=draft, publish=False)
    from participation.services import plans

    plans.add_project(plan, plans.ProjectInput("research", "某市数据条例", drafting_body="市数据局"), by=None,
                      now=clock.now())
    db.session.commit()
    assert client.get("/plans/2027").status_code == 404
    assert "2027 年度立法计划" not in _text(client.get("/plans"))
    plans.publish_plan(plan, by=None, now=clock.now())
    db.session.commit()
    page = _text(client.get("/plans/2027"))
    formal, research = page.split("正式项目（审议项目）")[1].split("调研项目")
    assert "某市养犬管理条例" in formal and "市公安局" in formal and "6 月" in formal
    assert f"/proposals/{public.id}" in formal and "张三" in formal and f"/proposals/{unnamed.id}" in formal
    assert "李四" not in page and "不公开的养犬建议" not in page and "另有 1 件建议" in formal
    assert f"/drafts/{draft.id}" in formal
    assert "某市数据条例" in research and CONTACT not in page
    assert "2027 年度立法计划" in _text(client.get("/plans"))


def test_unpublished_plan_is_previewed_by_staff(client, login, make_user, make_call, make_proposal):
    call = make_call()
    publish_plan(2027, [make_proposal(call)], publish=False)
    login(make_user("staff"))
    assert "此年度立法计划尚未发布" in _text(client.get("/plans/2027"))
    assert client.get("/plans/99999999999").status_code == 404


def test_draft_page_names_the_plan_project_once_the_plan_is_published(client, make_call, make_proposal, make_draft):
    call = make_call()
    draft = make_draft(published=True)
    plan, _project = publish_plan(2027, [make_proposal(call), make_proposal(call)], draft=draft, publish=False)
    assert "年度立法计划" not in _text(client.get(f"/drafts/{draft.id}"))
    from participation.services import plans

    plans.publish_plan(plan, by=None, now=clock.now())
    db.session.commit()
    page = _text(client.get(f"/drafts/{draft.id}"))
    assert "本法规列入 2027 年度立法计划正式项目，源自 2 件公众建议" in page and 'href="/plans/2027"' in page


def test_attachment_download(client, login, make_user, make_call, make_proposal):
    call = make_call()
    proposal = make_proposal(call, attachments=[attachments.Upload("建议稿 (1).pdf", PDF_BYTES)])
    other = make_proposal(call, attachments=[attachments.Upload("另一份.txt", "文本".encode())])
    row = proposal_attachment(proposal)
    response = client.get(f"/proposals/{proposal.id}/attachments/{row.id}")
    assert response.status_code == 200 and response.data == PDF_BYTES
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment") and "filename*=UTF-8''" in disposition
    assert "/attachments/" in _text(client.get(f"/proposals/{proposal.id}"))
    # An attachment of another proposal, through this one's address: 404.
    assert client.get(f"/proposals/{proposal.id}/attachments/{proposal_attachment(other).id}").status_code == 404
    proposals.hide_proposal(proposal, reason="含有个人信息", by=make_user("staff"), now=clock.now())
    db.session.commit()
    assert client.get(f"/proposals/{proposal.id}/attachments/{row.id}").status_code == 404
    login(make_user("staff"))
    response = client.get(f"/proposals/{proposal.id}/attachments/{row.id}")
    assert response.status_code == 200 and "no-store" in response.headers["Cache-Control"]


def proposal_attachment(proposal):
    from participation import queries

    return queries.attachments_of([proposal.id])[proposal.id][0]


def test_home_page_links_open_calls(client, make_call):
    assert "立法计划项目建议征集</h2>" not in _text(client.get("/"))
    call = make_call()
    page = _text(client.get("/"))
    assert "立法计划项目建议征集</h2>" in page and f"/plan-calls/{call.id}" in page
    plan_calls.close_call(call, by=None, now=clock.now())
    db.session.commit()
    assert f"/plan-calls/{call.id}" not in _text(client.get("/"))


def test_header_links_the_calls(client):
    assert '<a href="/plan-calls">立法计划</a>' in _text(client.get("/"))


def test_english_pages_render(client, make_call, make_proposal):
    call = make_call()
    proposal = make_proposal(call)
    client.post("/language", data={"locale": "en"})
    for url in ("/plan-calls", f"/plan-calls/{call.id}", f"/proposals/{proposal.id}", "/plans",
                f"/receipt?code={proposal.receipt_code}"):
        assert client.get(url).status_code == 200, url
