"""The opinion form: from the clause link to a stored opinion, for every kind of
submitter, and every way a submission is refused without losing what was typed."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from participation.extensions import db
from participation.models import Opinion
from tests.opinions.conftest import ITEM_KEY, PARAGRAPH_KEY, opinion_count, text, valid_form


def only_opinion() -> Opinion:
    rows = db.session.scalars(select(Opinion)).all()
    assert len(rows) == 1
    return rows[0]


def test_the_form_shows_the_target_clause_with_its_text_and_the_limits(client, login, make_user, open_draft):
    login(make_user("citizen"))
    page = text(client.get(f"/drafts/{open_draft.id}/opinions/new?provision=art.3"))
    assert "对第三条提出意见" in page
    # The whole article: its paragraph and every item.
    for words in ("主管部门履行下列职责", "制定规划", "组织实施", "监督检查"):
        assert words in page
    assert 'name="provision" type="hidden" value="art.3"' in page
    assert "不超过 5000 字" in page and 'data-maxlength="5000"' in page
    assert "公开我的姓名" in page and "联系方式仅工作人员可见" in page
    assert 'name="leave_this_blank"' in page  # the honeypot
    for stance in ("赞成", "反对", "修改", "新增", "删除", "其他"):
        assert stance in page
    for category in ("公民", "单位", "企业", "律师", "专家"):
        assert f"<span>{category}</span>" in page
    assert "js/opinions.js" in page and "<script>" not in page  # no inline script

    page = text(client.get(f"/drafts/{open_draft.id}/opinions/new?provision={ITEM_KEY}"))
    assert "对第三条第（二）项提出意见" in page and "组织实施" in page and "制定规划" not in page
    page = text(client.get(f"/drafts/{open_draft.id}/opinions/new?provision={PARAGRAPH_KEY}"))
    assert "对第二条第二款提出意见" in page
    page = text(client.get(f"/drafts/{open_draft.id}/opinions/new"))
    assert "对草案提出总体意见" in page and "整部草案" in page


def test_a_citizen_comments_on_an_item(client, login, make_user, open_draft, open_form, frozen_now):
    citizen = make_user("citizen")
    login(citizen)
    data = open_form(open_draft, ITEM_KEY, stance="oppose", body="  建议删除本项。\r\n第二行 ",
                     proposed_text="（二）组织实施和评估；", reason="理由如下。", category="expert",
                     submitter_name="张三", is_name_public="y", contact="13800000000", region="西城区")
    response = client.post(f"/drafts/{open_draft.id}/opinions/new", data=data)
    assert response.status_code == 303
    assert response.headers["Location"] == "/opinions/submitted"
    opinion = only_opinion()
    assert (opinion.provision_key, opinion.stance, opinion.category) == (ITEM_KEY, "oppose", "expert")
    assert opinion.body == "建议删除本项。\n第二行"  # NFC, unified line breaks, trimmed
    assert (opinion.submitter_name, opinion.is_name_public, opinion.contact) == ("张三", True, "13800000000")
    assert opinion.author_id == citizen.id and opinion.submitter_key == f"u:{citizen.id}"
    assert opinion.moderation_state == "published" and opinion.delegation is None
    assert opinion.created_at == frozen_now.now

    page = text(client.get("/opinions/submitted"))
    assert opinion.receipt_code in page and "第三条第（二）项" in page
    assert 'data-copy-target="receipt-code"' in page
    assert f"/receipt?code={opinion.receipt_code}" in page


def test_a_deputy_comments_with_the_fixed_category_and_delegation(client, login, make_user, open_draft, open_form):
    deputy = make_user("deputy", delegation="东城区代表团")
    login(deputy)
    page = text(client.get(f"/drafts/{open_draft.id}/opinions/new?provision=art.2"))
    assert "人大代表" in page and "东城区代表团" in page
    assert 'name="category"' not in page  # shown read-only, not a choice
    # Posting another category changes nothing: the account decides.
    data = open_form(open_draft, "art.2", category="citizen")
    assert client.post(f"/drafts/{open_draft.id}/opinions/new", data=data).status_code == 303
    opinion = only_opinion()
    assert (opinion.category, opinion.delegation, opinion.author_id) == ("deputy", "东城区代表团", deputy.id)
    assert "我的履职记录" in text(client.get("/opinions/submitted"))


def test_an_operator_comments_for_the_liaison_point(client, login, make_user, open_draft, open_form):
    operator = make_user("operator")
    point = operator.liaison_point
    login(operator)
    page = text(client.get(f"/drafts/{open_draft.id}/opinions/new"))
    assert "基层立法联系点" in page and point.name in page
    data = open_form(open_draft, category="expert")
    assert client.post(f"/drafts/{open_draft.id}/opinions/new", data=data).status_code == 303
    opinion = only_opinion()
    assert (opinion.category, opinion.liaison_point_id, opinion.provision_key) == ("liaison_point", point.id, None)


def test_sign_in_is_required_unless_the_draft_allows_anonymous_opinions(client, make_user, open_draft, open_form):
    url = f"/drafts/{open_draft.id}/opinions/new?provision=art.2"
    response = client.get(url)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/login?next=/drafts/{open_draft.id}/opinions/new?provision%3Dart.2"
    # Signing in from there comes back to the form.
    user = make_user("citizen")
    signed_in = client.application.test_client()
    back = signed_in.post(response.headers["Location"], data={"email": user.email, "password": "correct horse battery"})
    assert back.headers["Location"] == f"/drafts/{open_draft.id}/opinions/new?provision=art.2"
    assert "对第二条提出意见" in text(signed_in.get(back.headers["Location"]))

    # A post without a session (it expired while typing) keeps the text.
    response = client.post(f"/drafts/{open_draft.id}/opinions/new",
                           data=valid_form("t" * 32, "art.2", body="写了很久的意见"))
    assert response.status_code == 403
    page = text(response)
    assert "需要登录" in page and "写了很久的意见" in page and "/login?next=" in page
    assert opinion_count() == 0

    open_draft.allows_anonymous_opinions = True
    db.session.commit()
    data = open_form(open_draft, "art.2", submitter_name="", contact="")
    assert client.post(f"/drafts/{open_draft.id}/opinions/new", data=data).status_code == 303
    opinion = only_opinion()
    assert opinion.author_id is None and opinion.submitter_key.startswith("anon:")


def test_a_closed_draft_refuses_and_shows_back_everything_typed(client, login, make_user, open_draft, open_form,
                                                                 frozen_now):
    login(make_user("citizen"))
    data = open_form(open_draft, "art.2", body="第一段意见\n第二段意见", proposed_text="建议条文甲",
                     reason="理由乙", contact="联系丙")
    frozen_now.advance(days=31)  # the period ended while the form was open
    response = client.post(f"/drafts/{open_draft.id}/opinions/new", data=data)
    assert response.status_code == 409
    page = text(response)
    assert "征求意见期已经结束" in page and "没有丢失" in page
    for typed in ("第一段意见\n第二段意见", "建议条文甲", "理由乙", "联系丙"):
        assert typed in page
    assert 'data-copy-target="typed-body"' in page and "readonly" in page
    assert opinion_count() == 0
    # Opening the form now says so, without a form.
    page = text(client.get(f"/drafts/{open_draft.id}/opinions/new?provision=art.2"))
    assert "征求意见期已经结束" in page and 'name="body"' not in page


def test_a_scheduled_draft_refuses_with_its_own_message(client, login, make_user, make_draft, open_form, frozen_now):
    draft = make_draft(published=True, opens_in=timedelta(days=2))
    login(make_user("citizen"))
    page = text(client.get(f"/drafts/{draft.id}/opinions/new"))
    assert "尚未开始征求意见" in page and 'name="body"' not in page
    response = client.post(f"/drafts/{draft.id}/opinions/new", data=valid_form("x" * 32, body="提前写好的意见"))
    assert response.status_code == 409
    assert "尚未开始征求意见" in text(response) and "提前写好的意见" in text(response)
    assert opinion_count() == 0


def test_unpublished_drafts_are_404_to_the_public_and_refused_to_staff(client, login, make_user, make_draft):
    draft = make_draft()
    login(make_user("citizen"))
    assert client.get(f"/drafts/{draft.id}/opinions/new").status_code == 404
    assert client.post(f"/drafts/{draft.id}/opinions/new", data=valid_form("x" * 32)).status_code == 404
    staff_client = login(make_user("staff"), test_client=client.application.test_client())
    assert "尚未发布" in text(staff_client.get(f"/drafts/{draft.id}/opinions/new"))
    response = staff_client.post(f"/drafts/{draft.id}/opinions/new", data=valid_form("x" * 32, body="预览时写的"))
    assert response.status_code == 409 and "预览时写的" in text(response)
    assert opinion_count() == 0


def test_a_double_click_stores_one_opinion(client, login, make_user, open_draft, open_form):
    login(make_user("citizen"))
    data = open_form(open_draft, "art.1")
    first = client.post(f"/drafts/{open_draft.id}/opinions/new", data=data)
    first_code = text(client.get("/opinions/submitted"))
    second = client.post(f"/drafts/{open_draft.id}/opinions/new", data=data)
    assert first.status_code == second.status_code == 303
    assert opinion_count() == 1
    page = text(client.get("/opinions/submitted"))
    assert "已经提交过，没有重复保存" in page
    assert only_opinion().receipt_code in page and only_opinion().receipt_code in first_code
    # A fresh form is a new submission.
    assert client.post(f"/drafts/{open_draft.id}/opinions/new", data=open_form(open_draft, "art.1")).status_code == 303
    assert opinion_count() == 2


def test_the_honeypot_gets_thanks_and_stores_nothing(client, login, make_user, open_draft, open_form):
    login(make_user("citizen"))
    data = open_form(open_draft, "art.1", leave_this_blank="http://spam.example")
    response = client.post(f"/drafts/{open_draft.id}/opinions/new", data=data)
    assert response.status_code == 200
    assert "意见已提交" in text(response) and "回执码" not in text(response)
    assert opinion_count() == 0


def test_length_limits_are_shown_and_keep_the_text(client, login, make_user, open_draft, open_form):
    login(make_user("citizen"))
    long_body = "长" * 5001
    data = open_form(open_draft, "art.1", body=long_body, reason="理" * 3001, submitter_name="名" * 51)
    response = client.post(f"/drafts/{open_draft.id}/opinions/new", data=data)
    assert response.status_code == 422
    page = text(response)
    assert "不能超过 5000 个字（现有 5001 个字）" in page
    assert "不能超过 3000 个字（现有 3001 个字）" in page
    assert "不能超过 50 个字" in page
    assert long_body in page  # still in the textarea, to be shortened
    assert data["submission_token"] in page  # the same submission, once fixed
    assert opinion_count() == 0


def test_missing_and_invalid_choices_get_chinese_messages(client, login, make_user, open_draft, open_form):
    login(make_user("citizen"))
    data = open_form(open_draft, "art.1", body="   ", stance=None, category="deputy",
                     submitter_name="", is_name_public="y")
    response = client.post(f"/drafts/{open_draft.id}/opinions/new", data=data)
    assert response.status_code == 422
    page = text(response)
    for message in ("请填写意见内容", "请选择态度", "请选择提出人类别", "选择公开姓名时请填写姓名"):
        assert message in page
    data = open_form(open_draft, "art.1", stance="<b>bad</b>")
    assert client.post(f"/drafts/{open_draft.id}/opinions/new", data=data).status_code == 422
    assert opinion_count() == 0


def test_clauses_of_another_draft_and_unknown_clauses_are_refused(client, login, make_user, make_draft, open_form):
    longer = make_draft("# 较长的条例\n\n" + "\n\n".join(f"第{n}条 内容{n}。" for n in
                        ("一", "二", "三", "四", "五", "六", "七", "八", "九", "十")), title="较长的条例", published=True)
    short = make_draft("# 短条例\n\n第一条 只有一条。", title="短条例", published=True)
    login(make_user("citizen"))
    assert client.get(f"/drafts/{longer.id}/opinions/new?provision=art.9").status_code == 200
    response = client.get(f"/drafts/{short.id}/opinions/new?provision=art.9")
    assert response.status_code == 404 and "草案中没有这个条款：art.9" in text(response)
    # Posted with a clause that only the other draft has: refused, nothing stored.
    data = open_form(short, "art.1")
    data["provision"] = "art.9"
    response = client.post(f"/drafts/{short.id}/opinions/new", data=data)
    assert response.status_code == 404 and "art.9" in text(response)
    # Structural nodes and junk are not commentable.
    for key in ("ch.1", "art.1.9.9", "x" * 300, "<script>"):
        assert client.get(f"/drafts/{short.id}/opinions/new", query_string={"provision": key}).status_code == 404
    assert opinion_count() == 0


def test_extra_form_fields_cannot_set_what_the_server_decides(client, login, make_user, make_draft, open_draft,
                                                              open_form):
    other = make_draft(title="另一部草案", published=True)
    staff = make_user("staff")
    citizen = make_user("citizen")
    login(citizen)
    open_draft.moderation_mode = "pre"
    db.session.commit()
    data = open_form(open_draft, "art.1")
    data.update({
        "moderation_state": "published", "author_id": str(staff.id), "draft_id": str(other.id),
        "receipt_code": "AAAA-BBBB-CCCC", "provision_id": "1", "version_id": "999", "submitter_key": "u:1",
        "delegation": "伪造代表团", "liaison_point_id": "1", "represented_count": "500", "created_at": "2000-01-01",
        "hidden_reason": "x", "category": "deputy",
    })
    response = client.post(f"/drafts/{open_draft.id}/opinions/new", data=data)
    assert response.status_code == 422  # the category is refused; nothing else is even read
    data["category"] = "citizen"
    assert client.post(f"/drafts/{open_draft.id}/opinions/new", data=data).status_code == 303
    opinion = only_opinion()
    assert opinion.moderation_state == "pending"
    assert opinion.author_id == citizen.id and opinion.draft_id == open_draft.id
    assert opinion.receipt_code != "AAAA-BBBB-CCCC" and opinion.delegation is None
    assert opinion.liaison_point_id is None and opinion.represented_count == 1
    assert opinion.version_id == open_draft.current_version.id and opinion.hidden_reason == ""
    assert opinion.provision_key == "art.1"


def test_the_draft_page_links_every_clause_to_the_form_while_open(client, open_draft, frozen_now):
    page = text(client.get(f"/drafts/{open_draft.id}"))
    base = f"/drafts/{open_draft.id}/opinions/new?provision="
    for key in ("art.1", "art.2", "art.2.1", "art.2.2", "art.3", "art.3.1.1", "art.3.1.3", "art.5"):
        assert f'href="{base}{key}"' in page, key
    assert page.count('class="op op-clause"') == 5
    assert f'href="/drafts/{open_draft.id}/opinions/new"' in page and "对草案提出总体意见" in page
    assert f"/drafts/{open_draft.id}/tally" in page
    frozen_now.advance(days=31)
    page = text(client.get(f"/drafts/{open_draft.id}"))
    assert "opinions/new" not in page and "征求意见期已经结束" in page


def test_preamble_annex_and_sub_item_paragraphs_have_their_links(client, login, make_user, make_draft, frozen_now):
    text_with_parts = """# 有序言和附件的条例

序言

为了测试，制定本条例。

这是序言的第二段。

第一条 有关部门应当：

（一）甲，包括：

1. 子目一；

2. 子目二。

第二条 本条例自公布之日起施行。

附件 清单

本清单包括：

（一）第一项。
"""
    draft = make_draft(text_with_parts, title="有序言和附件的条例", published=True)
    page = text(client.get(f"/drafts/{draft.id}"))
    base = f"/drafts/{draft.id}/opinions/new?provision="
    for key, label in (("preamble", "对序言提意见"), ("annex.1", "对附件提意见")):
        assert f'<a class="op op-clause" href="{base}{key}">{label}</a>' in page, key
    # The paragraphs and items are in each one's list, named as they are cited.
    for key, name in (("preamble.1", "对序言第一段提意见"), ("preamble.2", "对序言第二段提意见"),
                      ("art.1.1.1.1", "对第一条第（一）项第1目提意见"), ("art.1.1.1.2", "对第一条第（一）项第2目提意见"),
                      ("annex.1.1.1", "对附件第一段第（一）项提意见")):
        assert f'href="{base}{key}" aria-label="{name}"' in page, key
    assert page.count('<details class="op-parts">') == 3  # 序言, 第一条, 附件; not 第二条
    # The annex's one paragraph holds its item: named in the item's citation, no entry itself.
    assert f'href="{base}annex.1.1"' not in page
    login(make_user("citizen"))
    form = text(client.get(f"{base}preamble.2"))
    assert "对序言第二段提出意见" in form and "这是序言的第二段" in form
    _every_clause_is_linked_under_its_citation(page, draft)


def _every_clause_is_linked_under_its_citation(page: str, draft) -> None:
    """Each article, preamble and annex has its link; each paragraph, item and sub-item has
    an entry in its list, named "对<its citation>提意见" as the form cites it — but for a
    lone paragraph, which is its article (or preamble, annex) itself."""
    import re

    from participation.models import Provision
    from participation.queries import clause_citation

    base = f"/drafts/{draft.id}/opinions/new?provision="
    named = dict(re.findall(re.escape(f'href="{base}') + r'([^"]+)" aria-label="对(.+?)提意见"', page))
    rows = db.session.scalars(select(Provision).where(Provision.version_id == draft.current_version.id)).all()
    paragraphs_of = {}
    for row in rows:
        if row.kind == "paragraph":
            paragraphs_of[row.parent_id] = paragraphs_of.get(row.parent_id, 0) + 1
    expected = set()
    for row in rows:
        if row.kind in ("article", "preamble", "annex"):
            assert f'class="op op-clause" href="{base}{row.key}">对{row.label}提意见</a>' in page, row.key
        elif row.kind in ("item", "subitem") or (row.kind == "paragraph" and row.text and paragraphs_of[row.parent_id] > 1):
            expected.add(row.key)
            assert named.get(row.key) == clause_citation(draft.current_version.id, row.key), row.key
    assert set(named) == expected


def test_every_clause_of_the_sample_draft_is_linked_under_its_citation(client, open_draft, frozen_now):
    _every_clause_is_linked_under_its_citation(text(client.get(f"/drafts/{open_draft.id}")), open_draft)
