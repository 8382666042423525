"""The tally page (意见统计): exactly the numbers of compute_tally, the heat map of the
table of contents, charts without any external script, who sees what."""
from __future__ import annotations

import re

import pytest

from participation import queries
from participation.extensions import db
from participation.tally.compute import compute_tally, heat_legend, heat_level
from tests.opinions.conftest import text, tally_rows

STANCES = ("support", "oppose", "amend", "add", "delete", "other")


@pytest.fixture
def history(make_user, open_draft, make_opinion):
    """A mix of states, stances, categories and submitters."""
    citizen, expert, deputy, operator = (make_user(r) for r in ("citizen", "citizen", "deputy", "operator"))
    plan = [
        ("art.3", citizen, "support", "citizen", "published"),
        ("art.3.1.1", citizen, "oppose", "citizen", "published"),
        ("art.3.1.2", expert, "amend", "expert", "pending"),
        ("art.3.1.2", deputy, "delete", None, "published"),
        ("art.3", operator, "add", None, "hidden"),
        ("art.2.2", expert, "other", "lawyer", "published"),
        ("art.2.1", None, "amend", "enterprise", "published"),
        (None, citizen, "support", "citizen", "published"),
        (None, None, "oppose", "organisation", "hidden"),
        ("art.5", deputy, "amend", None, "pending"),
    ]
    for key, author, stance, category, state in plan:
        extra = {"category": category} if category else {}
        make_opinion(open_draft, key=key, author=author, stance=stance, state=state, **extra)
    return open_draft


def test_the_page_shows_exactly_the_numbers_of_compute_tally(client, login, make_user, history, app):
    staff = login(make_user("staff"), test_client=app.test_client())
    for who, test_client in (("public", client), ("staff", staff)):
        # The public reading: published opinions only; staff: every opinion received.
        result = compute_tally(history.id, history.current_version.id, published_only=who == "public")
        page = text(test_client.get(f"/drafts/{history.id}/tally"))
        rows = tally_rows(page)
        expected = {"": result.whole_draft, **result.by_key()}
        shown = {key: clause for key, clause in expected.items()
                 if key == "" or clause.kind in ("chapter", "article") or clause.total or clause.hidden}
        assert set(rows) == set(shown), who
        for key, clause in shown.items():
            row = rows[key]
            assert row["total"] == clause.total, (who, key)
            assert row["submitters"] == clause.submitters, (who, key)
            for stance in STANCES:
                assert row[stance] == clause.by_stance.get(stance, 0), (who, key, stance)
            for category, count in clause.by_category.items():
                if count:
                    assert f"{count}" in row["categories"], (who, key, category)
            if who == "staff":
                assert (row["pending"], row["hidden"]) == (clause.pending, clause.hidden), key
            else:
                assert "pending" not in row and "hidden" not in row
        assert re.search(rf'data-stat="total"><span class="value">{result.overall.total}<', page)
        assert re.search(rf'data-stat="submitters"><span class="value">{result.overall.submitters}<', page)
        assert re.search(rf'data-stat="whole_draft"><span class="value">{result.whole_draft.total}<', page)
        assert ('data-stat="pending"' in page) == (who == "staff")
    # Sanity: the fixture's numbers as a person would count them.
    assert result.overall.total == 8 and result.overall.hidden == 2 and result.overall.pending == 2
    assert result.by_key()["art.3"].total == 4 and result.by_key()["ch.2"].total == 4


def test_the_tally_moves_when_an_opinion_is_submitted_or_hidden(client, login, make_user, open_draft, open_form,
                                                                app):
    def article_total(key):
        return tally_rows(text(client.get(f"/drafts/{open_draft.id}/tally")))[key]["total"]

    assert article_total("art.2") == 0
    citizen = login(make_user("citizen"), test_client=app.test_client())
    citizen.post(f"/drafts/{open_draft.id}/opinions/new",
                 data=open_form(open_draft, "art.2.2", test_client=citizen))
    assert article_total("art.2") == 1 and article_total("ch.1") == 1
    staff = login(make_user("staff"), test_client=app.test_client())
    opinion_id = db.session.scalar(db.text("select id from opinions"))
    staff.post(f"/staff/opinions/{opinion_id}/hide", data={"reason": "重复"})
    assert article_total("art.2") == 0


def test_pending_opinions_do_not_move_the_public_tally(client, login, make_user, history, app):
    """Two of the history's opinions await review (先审核、后公开): the public page and the
    public API count the 6 published ones and their 3 submitters (the expert's only
    visible opinion is published; the deputy has one of each); staff see 8 received,
    pending included. Each page says which it shows. Approving one moves both."""
    from participation.models import Opinion
    from participation.services import accounts
    from participation.services import opinions as service

    staff_user = make_user("staff")
    staff = login(staff_user, test_client=app.test_client())
    public_page = client.get(f"/drafts/{history.id}/tally").get_data(as_text=True)
    staff_page = staff.get(f"/drafts/{history.id}/tally").get_data(as_text=True)
    assert re.search(r'data-stat="total"><span class="value">6<', public_page)
    assert re.search(r'data-stat="total"><span class="value">8<', staff_page)
    assert 'data-counted="published"' in public_page and "只计已公开的意见" in public_page
    assert 'data-counted="received"' in staff_page and "包括待审核的意见" in staff_page
    assert "待审核" not in text(client.get(f"/drafts/{history.id}/tally")).split("审核通过后计入")[1]

    public_api = client.get(f"/api/v1/drafts/{history.id}/tally").get_json()
    assert (public_api["counted"], public_api["total"], public_api["pending"]) == ("published", 6, None)
    article_3 = next(p for p in public_api["provisions"] if p["key"] == "art.3")
    # art.3: the citizen's two published opinions; the expert's pending one and the hidden one left out.
    assert (article_3["total"], article_3["submitters"], article_3["by_stance"]["amend"]) == (3, 2, 0)
    _token, secret = accounts.issue_api_token(staff_user, name="统计")
    db.session.commit()
    staff_api = client.get(f"/api/v1/drafts/{history.id}/tally", headers={"Authorization": f"Bearer {secret}"}).get_json()
    assert (staff_api["counted"], staff_api["total"], staff_api["pending"]) == ("received", 8, 2)

    pending = db.session.scalars(db.select(Opinion).where(Opinion.draft_id == history.id,
                                                          Opinion.moderation_state == "pending")).all()
    service.publish_opinion(pending[0], by=staff_user, now=pending[0].created_at)
    db.session.commit()
    assert client.get(f"/api/v1/drafts/{history.id}/tally").get_json()["total"] == 7


def test_the_heat_map_colours_articles_by_their_rolled_up_count(client, history):
    page = text(client.get(f"/drafts/{history.id}/tally"))
    cells = {key: int(level) for level, key in re.findall(
        r'<a class="heat-cell heat-(\d)" href="#t-[^"]+" data-key="([^"]+)"', page)}
    result = compute_tally(history.id, history.current_version.id, published_only=True)
    maximum = max(c.total for c in result.provisions if c.kind == "article")
    assert maximum == 3
    for clause in result.provisions:
        if clause.kind == "article":
            assert cells[clause.key] == heat_level(clause.total, maximum), clause.key
    assert cells["art.3"] == 5 and cells["art.1"] == 0 and cells["art.2"] == 4
    # The legend names every reachable level.
    for level, low, high in heat_legend(maximum):
        assert f'heat-swatch heat-{level}' in page
    assert "heat-swatch heat-0" in page and "无意见" in page
    # Chapters group the cells, in document order.
    assert page.index("第一章") < page.index('data-key="art.1"') < page.index("第二章") < page.index('data-key="art.3"')


def test_charts_are_inline_svg_without_external_scripts(client, history):
    page = text(client.get(f"/drafts/{history.id}/tally"))
    assert page.count('<svg class="bar"') >= 12
    assert 'class="fill-support"' in page and 'class="fill-category"' in page
    assert "<script" not in page.split("</header>", 1)[1].replace('<script src="/static/js/opinions.js"', "")
    assert "http://" not in page and "https://" not in page and "cdn" not in page.lower()
    assert "style=" not in page  # the CSP forbids style attributes
    # The most discussed clauses, largest first.
    top = re.findall(r'<a class="bar-label" href="[^"]*clause=(art\.\d+)', page)
    assert top[0] == "art.3"


def test_a_clause_chart_is_shown_on_request(client, history):
    page = text(client.get(f"/drafts/{history.id}/tally?clause=art.3"))
    assert 'id="focus"' in page and "第三条 的意见" in page and "共 3 条，提出人 2 人" in page
    assert 'id="focus"' not in text(client.get(f"/drafts/{history.id}/tally?clause=<b>nope</b>"))


def test_who_sees_the_tally(client, login, make_user, make_draft, app):
    unpublished = make_draft()
    assert client.get(f"/drafts/{unpublished.id}/tally").status_code == 404
    staff = login(make_user("staff"), test_client=app.test_client())
    assert staff.get(f"/drafts/{unpublished.id}/tally").status_code == 200
    assert client.get("/drafts/99999999999/tally").status_code == 404


def test_a_large_draft_is_tallied_one_division_at_a_time(client, make_draft, make_user, make_opinion, frozen_now):
    from participation.parsing.numerals import int_to_chinese

    chapters = []
    number = 0
    for chapter in range(1, 4):
        lines = [f"## 第{int_to_chinese(chapter)}章 第{chapter}部分"]
        for _ in range(80):
            number += 1
            lines.append(f"第{int_to_chinese(number)}条 第{number}条的内容。")
        chapters.append("\n\n".join(lines))
    draft = make_draft("# 很长的条例\n\n" + "\n\n".join(chapters), title="很长的条例", published=True)
    make_opinion(draft, key="art.150", author=make_user("citizen"))
    outline = queries.draft_outline(draft.current_version.id)
    assert outline.is_paged
    first = text(client.get(f"/drafts/{draft.id}/tally"))
    assert 'data-key="art.1"' in first and 'data-key="art.150"' not in first
    assert "分部分查看" in first
    second = text(client.get(f"/drafts/{draft.id}/tally?division=ch.2"))
    assert tally_rows(second)["art.150"]["total"] == 1 and 'data-key="art.1"' not in second
    assert re.search(r'class="heat-cell heat-5" href="#t-art.150"', second)
    # The division links carry their own counts and heat.
    assert re.search(r'class="division-heat heat-5" href="[^"]*division=ch.2[^"]*"[^>]*>第二章[^<]*<span class="division-count">1<', second)
    assert re.search(r'class="division-heat heat-0" href="[^"]*division=ch.1', second)


def test_heat_levels_and_legend():
    assert heat_level(0, 10) == 0 and heat_level(5, 0) == 0
    assert heat_level(1, 1) == 5 and heat_level(10, 10) == 5 and heat_level(1, 10) == 1
    assert [heat_level(c, 7) for c in range(8)] == [0, 1, 2, 3, 3, 4, 5, 5]
    for maximum in range(1, 60):
        legend = heat_legend(maximum)
        covered = [n for _level, low, high in legend for n in range(low, high + 1)]
        assert covered == list(range(1, maximum + 1))
        for level, low, high in legend:
            assert heat_level(low, maximum) == heat_level(high, maximum) == level
