"""Staff dispose opinions in the browser: one at a time (from its page or its row), in bulk
by ticks or by filter through a confirmation page whose count is the count applied, with
reply templates; bad input answered in Chinese, never twice applied."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from participation.extensions import db
from participation.models import AuditEntry, Opinion, ReplyTemplate


def text(response) -> str:
    return response.get_data(as_text=True)


def _count(*where) -> int:
    return db.session.scalar(select(func.count()).select_from(Opinion).where(*where))


@pytest.fixture
def staff(make_user, login):
    user = make_user("staff", display_name="张承办")
    login(user)
    return user


def _token(page: str) -> str:
    return re.search(r'name="form_token" value="([0-9a-f]{32})"', page).group(1)


def test_the_list_shows_dispositions_counts_and_forms(client, staff, open_draft, make_opinion):
    make_opinion(open_draft, key="art.2", body="第二条的意见")
    page = text(client.get(f"/staff/drafts/{open_draft.id}/opinions"))
    assert 'data-disposition-count="pending"' in page and "待处理 1" in page
    assert 'name="ids"' in page and 'id="bulk-form"' in page and "保存处理情况" in page


def test_one_opinion_from_its_page(client, staff, open_draft, make_opinion):
    opinion = make_opinion(open_draft, key="art.2")
    response = client.post(f"/staff/opinions/{opinion.id}/disposition",
                           data={"disposition": "adopted", "reason": "已在修改稿中吸收", "note": "内部：张三处理"})
    assert response.status_code == 303
    db.session.expire_all()
    stored = db.session.get(Opinion, opinion.id)
    assert (stored.disposition, stored.disposition_reason, stored.disposition_note) == (
        "adopted", "已在修改稿中吸收", "内部：张三处理")
    assert stored.disposed_by_id == staff.id
    page = text(client.get(f"/staff/opinions/{opinion.id}"))
    assert "已在修改稿中吸收" in page and "内部：张三处理" in page and "张承办" in page


def test_a_refusal_needs_a_reason_said_in_chinese(client, staff, open_draft, make_opinion):
    opinion = make_opinion(open_draft)
    response = client.post(f"/staff/opinions/{opinion.id}/disposition", data={"disposition": "not_adopted"})
    assert response.status_code == 422
    assert "须填写处理理由" in text(response)
    unknown = client.post(f"/staff/opinions/{opinion.id}/disposition", data={"disposition": "maybe"})
    assert unknown.status_code == 422 and "请选择处理情况" in text(unknown)
    db.session.expire_all()
    assert db.session.get(Opinion, opinion.id).disposition == "pending"


def test_the_template_picker_fills_the_reason(client, staff, open_draft, make_opinion):
    opinion = make_opinion(open_draft)
    response = client.post(f"/staff/drafts/{open_draft.id}/reply-templates",
                           data={"title": "上位法已有规定", "disposition": "already_provided",
                                 "text": "上位法已有明确规定，本条例不再重复。"})
    assert response.status_code == 303
    template = db.session.scalar(select(ReplyTemplate))
    page = text(client.get(f"/staff/opinions/{opinion.id}"))
    assert 'data-text="上位法已有明确规定，本条例不再重复。"' in page
    # Without script: the reason left empty takes the picked template's text.
    client.post(f"/staff/opinions/{opinion.id}/disposition",
                data={"disposition": "already_provided", "reason": "", "template": str(template.id)})
    db.session.expire_all()
    assert db.session.get(Opinion, opinion.id).disposition_reason == "上位法已有明确规定，本条例不再重复。"


def test_reply_templates_are_edited_deleted_and_audited(client, staff, open_draft):
    client.post(f"/staff/drafts/{open_draft.id}/reply-templates", data={"title": "甲", "text": "答复甲"})
    template = db.session.scalar(select(ReplyTemplate))
    assert client.get(f"/staff/drafts/{open_draft.id}/reply-templates/{template.id}").status_code == 200
    bad = client.post(f"/staff/drafts/{open_draft.id}/reply-templates/{template.id}", data={"title": "", "text": ""})
    assert bad.status_code == 422 and "请填写标题" in text(bad)
    client.post(f"/staff/drafts/{open_draft.id}/reply-templates/{template.id}", data={"title": "乙", "text": "答复乙"})
    client.post(f"/staff/drafts/{open_draft.id}/reply-templates/{template.id}/delete")
    assert db.session.scalar(select(func.count()).select_from(ReplyTemplate)) == 0
    actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.action.startswith("reply_template."))
                                 .order_by(AuditEntry.id)).all()
    assert actions == ["reply_template.create", "reply_template.update", "reply_template.delete"]


def test_bulk_by_ticks_shows_the_count_then_applies_it_once(client, staff, open_draft, make_opinion):
    opinions = [make_opinion(open_draft, key="art.2", body=f"意见{i}") for i in range(4)]
    ticked = [str(o.id) for o in opinions[:3]]
    form = {"scope": "ticked", "ids": ticked, "disposition": "for_study", "reason": "留待下一步研究"}
    preview = client.post(f"/staff/drafts/{open_draft.id}/dispositions/preview", data=form)
    page = text(preview)
    assert preview.status_code == 200
    assert "将把 3 条意见的处理情况设为“留作研究”" in page
    assert _count(Opinion.disposition == "for_study") == 0  # nothing before confirming
    confirm = dict(form, form_token=_token(page))
    assert client.post(f"/staff/drafts/{open_draft.id}/dispositions", data=confirm).status_code == 303
    assert _count(Opinion.disposition == "for_study") == 3
    # A double submit of the same confirmation applies nothing more and says so.
    again = client.post(f"/staff/drafts/{open_draft.id}/dispositions", data=confirm, follow_redirects=True)
    assert "已经保存过" in text(again)
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "opinion.dispose_bulk")).all()
    assert len(entries) == 1 and entries[0].count == 3 and entries[0].selection == {"ids": sorted(map(int, ticked))}


def test_bulk_by_filter_counts_what_the_list_shows(client, staff, open_draft, make_draft, make_opinion):
    for i in range(3):
        make_opinion(open_draft, key="art.3.1.2", body=f"第三条意见{i}", stance="oppose")
    make_opinion(open_draft, key="art.3", body="赞成", stance="support")
    make_opinion(open_draft, key="art.2", body="第二条", stance="oppose")
    other = make_draft(published=True, title="另一部")
    make_opinion(other, key="art.3", stance="oppose")
    listing = text(client.get(f"/staff/drafts/{open_draft.id}/opinions?clause=第三条&stance=oppose"))
    assert "符合当前筛选条件的全部 3 条意见" in listing
    assert "主管部门履行下列职责" in listing  # the clause's text heads its page
    form = {"scope": "filter", "f-clause": "art.3", "f-stance": "oppose", "disposition": "not_adopted",
            "reason": "与上位法不一致"}
    page = text(client.post(f"/staff/drafts/{open_draft.id}/dispositions/preview", data=form))
    assert "将把 3 条意见的处理情况设为“未采纳”" in page
    response = client.post(f"/staff/drafts/{open_draft.id}/dispositions", data=dict(form, form_token=_token(page)),
                           follow_redirects=True)
    assert "已将 3 条意见的处理情况设为“未采纳”" in text(response)
    assert _count(Opinion.disposition == "not_adopted") == 3
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "opinion.dispose_bulk"))
    assert entry.selection == {"filter": {"clause": "art.3", "stance": "oppose"}} and entry.count == 3
    # Filtered by disposition the list finds them.
    assert "data-disposition-count=\"not_adopted\"" in text(client.get(
        f"/staff/drafts/{open_draft.id}/opinions?disposition=not_adopted"))


@pytest.mark.parametrize("form, message", [
    ({"scope": "ticked", "disposition": "adopted", "reason": "x"}, "请先勾选要处理的意见"),
    ({"scope": "filter", "disposition": "partly_adopted", "reason": ""}, "须填写处理理由"),
    ({"scope": "filter", "disposition": "", "reason": ""}, "请选择处理情况"),
    ({"scope": "filter", "disposition": "adopted", "f-clause": "第九十九条"}, "没有符合条件的意见"),
])
def test_bulk_bad_input_is_said_in_chinese(client, staff, open_draft, make_opinion, form, message):
    make_opinion(open_draft, key="art.2")
    response = client.post(f"/staff/drafts/{open_draft.id}/dispositions/preview", data=form)
    assert response.status_code == 422
    # Said in an alert: the scope's own message, or the form's error summary.
    alerts = re.findall(r'role="alert"[^>]*>([\s\S]*?)</(?:p|div)>', text(response))
    assert any(message in alert for alert in alerts), "the message is shown by the bulk form"
    confirm = client.post(f"/staff/drafts/{open_draft.id}/dispositions", data=dict(form, form_token="a" * 32))
    assert confirm.status_code == 422
    assert _count(Opinion.disposition != "pending") == 0


def test_a_confirmation_without_its_token_applies_nothing(client, staff, open_draft, make_opinion):
    make_opinion(open_draft)
    response = client.post(f"/staff/drafts/{open_draft.id}/dispositions",
                           data={"scope": "filter", "disposition": "adopted"}, follow_redirects=True)
    assert "确认页面已失效" in text(response)
    assert _count(Opinion.disposition != "pending") == 0
