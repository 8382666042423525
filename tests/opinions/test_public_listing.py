"""Published opinions on the reading pages: counts per article, the clause listing with
keyset pagination and "加载更多", and what never appears there."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest

from participation import queries
from participation.extensions import db
from tests.opinions.conftest import text


@pytest.fixture
def public_draft(open_draft):
    open_draft.shows_opinions_publicly = True
    db.session.commit()
    return open_draft


def listed_ids(page: str) -> list[int]:
    return [int(i) for i in re.findall(r'<li class="opinion-card" id="o(\d+)"', page)]


def test_only_published_opinions_are_listed(client, make_user, public_draft, make_opinion):
    author = make_user("citizen")
    shown = make_opinion(public_draft, key="art.2", author=author, body="公开的意见")
    on_paragraph = make_opinion(public_draft, key="art.2.2", author=author, body="对第二款的意见")
    make_opinion(public_draft, key="art.2", author=author, state="pending", body="待审核的意见")
    make_opinion(public_draft, key="art.2.1", author=author, state="hidden", body="屏蔽的意见")
    make_opinion(public_draft, key="art.1", author=author, body="别的条")
    page = text(client.get(f"/drafts/{public_draft.id}/provisions/art.2/opinions"))
    assert listed_ids(page) == [on_paragraph.id, shown.id]  # the article includes its paragraphs
    assert "待审核的意见" not in page and "屏蔽的意见" not in page and "别的条" not in page
    assert "共 2 条已公开的意见" in page
    assert "第二条第二款" in page  # a paragraph's opinion names its paragraph
    page = text(client.get(f"/drafts/{public_draft.id}/provisions/art.2.1/opinions"))
    assert listed_ids(page) == []
    everything = text(client.get(f"/drafts/{public_draft.id}/opinions"))
    assert len(listed_ids(everything)) == 3 and "待审核的意见" not in everything


def test_keyset_pages_of_twenty_never_repeat_or_skip(client, make_user, public_draft, make_opinion, frozen_now):
    author = make_user("citizen")
    created = []
    for index in range(45):
        # Three at each instant: the id breaks the tie.
        if index % 3 == 0:
            frozen_now.advance(seconds=1)
        created.append(make_opinion(public_draft, key="art.3.1.1" if index % 2 else "art.3", author=author,
                                    body=f"意见{index}").id)
    url = f"/drafts/{public_draft.id}/provisions/art.3/opinions"
    seen: list[int] = []
    pages = 0
    while url:
        page = text(client.get(url))
        ids = listed_ids(page)
        assert len(ids) <= 20
        seen += ids
        pages += 1
        match = re.search(r'href="([^"]+)" data-load-more', page)
        url = match.group(1).replace("&amp;", "&") if match else None
        # A new opinion arriving meanwhile does not shift the later pages.
        if pages == 1:
            frozen_now.advance(seconds=10)
            make_opinion(public_draft, key="art.3", author=author, body="读的时候新来的")
    assert pages == 3
    assert seen == sorted(created, reverse=True)


def test_the_fragment_holds_the_items_and_the_next_link(client, make_user, public_draft, make_opinion):
    author = make_user("citizen")
    for index in range(25):
        make_opinion(public_draft, key="art.1", author=author, body=f"意见{index}")
    page = text(client.get(f"/drafts/{public_draft.id}/provisions/art.1/opinions"))
    more = re.search(r'href="([^"]+)" data-load-more', page).group(1).replace("&amp;", "&")
    response = client.get(more + "&fragment=1")
    assert response.status_code == 200
    fragment = text(response)
    assert "<html" not in fragment and "data-opinion-list" in fragment
    assert len(listed_ids(fragment)) == 5 and "data-load-more>" not in fragment
    # Without script the same link is a whole page.
    full = text(client.get(more))
    assert "<html" in full and listed_ids(full) == listed_ids(fragment) and "回到最新的意见" in full


def test_bad_cursors_start_from_the_newest(client, make_user, public_draft, make_opinion):
    opinion = make_opinion(public_draft, key="art.1", author=make_user("citizen"))
    for cursor in ("garbage", "99999999999999999999-1", "20200101000000000000-99999999999", "-", "1" * 100):
        response = client.get(f"/drafts/{public_draft.id}/provisions/art.1/opinions", query_string={"after": cursor})
        assert response.status_code == 200, cursor
        assert listed_ids(text(response)) == [opinion.id]


def test_listings_are_404_unless_the_draft_shows_opinions(client, login, make_user, open_draft, make_opinion,
                                                          app):
    make_opinion(open_draft, key="art.1", author=make_user("citizen"), body="不公开显示的意见")
    for url in (f"/drafts/{open_draft.id}/opinions", f"/drafts/{open_draft.id}/provisions/art.1/opinions"):
        assert client.get(url).status_code == 404
    page = text(client.get(f"/drafts/{open_draft.id}"))
    assert "条意见" not in page and "公众意见" not in page
    # Staff may read it, told that the public cannot.
    staff = login(make_user("staff"), test_client=app.test_client())
    page = text(staff.get(f"/drafts/{open_draft.id}/provisions/art.1/opinions"))
    assert "不公开显示的意见" in page and "只有工作人员能看到本页" in page
    for key in ("ch.1", "art.99", "x" * 200):
        assert client.get(f"/drafts/{open_draft.id}/provisions/{key}/opinions").status_code == 404


def test_the_draft_page_counts_published_opinions_per_article(client, make_user, public_draft, make_opinion,
                                                               frozen_now):
    author = make_user("citizen")
    for key in ("art.3", "art.3.1.1", "art.3.1.2", None):
        make_opinion(public_draft, key=key, author=author)
    make_opinion(public_draft, key="art.3", author=author, state="pending")
    make_opinion(public_draft, key="art.3", author=author, state="hidden")
    make_opinion(public_draft, key="art.2.2", author=author)
    page = text(client.get(f"/drafts/{public_draft.id}"))
    base = f"/drafts/{public_draft.id}/provisions"
    assert f'<a class="op-count" href="{base}/art.3/opinions">3 条意见</a>' in page
    assert f'<a class="op-count" href="{base}/art.2/opinions">1 条意见</a>' in page
    assert f"{base}/art.1/opinions" not in page  # no count, no link
    assert "公众意见（5）" in page
    # After the period the counts stay, the links to the form go.
    frozen_now.advance(days=40)
    page = text(client.get(f"/drafts/{public_draft.id}"))
    assert "3 条意见" in page and "opinions/new" not in page


@pytest.mark.slow
def test_the_civil_code_pages_stay_small_with_a_link_on_every_clause(client, make_draft, civil_code_text,
                                                                      frozen_now):
    draft = make_draft(civil_code_text, title="中华人民共和国民法典", published=True)
    draft.shows_opinions_publicly = True
    db.session.commit()
    outline = queries.draft_outline(draft.current_version.id)
    links = 0
    for page in outline.pages:
        response = client.get(f"/drafts/{draft.id}/part/{page.key}")
        assert response.status_code == 200
        assert len(response.data) < 300_000, (page.key, len(response.data))
        links += text(response).count("/opinions/new?provision=")
    assert links > 2000
    tally = client.get(f"/drafts/{draft.id}/tally")
    assert tally.status_code == 200 and len(tally.data) < 400_000


@pytest.fixture
def civil_code_text():
    from tests.resources import regulations_dir

    return (regulations_dir() / "national-civil-code.md").read_text(encoding="utf-8")


def test_cursor_round_trip():
    from datetime import datetime, timezone

    moment = datetime(2026, 3, 1, 8, 30, 15, 123456, tzinfo=timezone.utc)
    cursor = queries.OpinionCursor(moment, 42)
    assert queries.OpinionCursor.decode(cursor.encode()) == cursor
    later = queries.OpinionCursor(moment + timedelta(microseconds=1), 1)
    assert later.encode() > cursor.encode()
