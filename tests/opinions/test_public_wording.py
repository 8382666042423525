"""The public reads citations (第三条第一款), never the platform's clause keys (art.3.1):
keys stay in addresses, the API, and a small detail on staff pages."""
from __future__ import annotations

import re

from tests.opinions.conftest import text

KEY = re.compile(r"\b(art|ch|sec|part)\.\d")


def visible_text(html: str) -> str:
    """The page's text as read: without tags (so without addresses and attributes),
    scripts and styles."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


def test_comment_form_and_tally_show_citations_not_keys(client, login, make_user, open_draft, make_opinion):
    make_opinion(open_draft, key="art.3.1.1", author=make_user("citizen"))
    login(make_user("citizen"))
    form = visible_text(text(client.get(f"/drafts/{open_draft.id}/opinions/new?provision=art.3.1.1")))
    assert "第三条" in form and not KEY.search(form)
    for path in (f"/drafts/{open_draft.id}/tally", f"/drafts/{open_draft.id}/tally?clause=art.3"):
        page = visible_text(text(client.get(path)))
        assert "第三条" in page and not KEY.search(page), KEY.search(page)


def test_staff_keep_the_key_as_a_small_detail(client, login, make_user, open_draft, make_opinion):
    make_opinion(open_draft, key="art.3", author=make_user("citizen"))
    login(make_user("staff"))
    page = text(client.get(f"/drafts/{open_draft.id}/tally?clause=art.3"))
    assert '<code class="clause-key"' in page and "art.3" in visible_text(page)


def test_people_behind_opinions_are_not_called_deputies(client, make_user, open_draft, make_opinion):
    # On a people's congress site 代表 means deputies: the people a liaison point's opinion
    # speaks for are 反映群众人数.
    opinion = make_opinion(open_draft, key="art.3", author=make_user("citizen"))
    opinion.represented_count = 7
    from participation.extensions import db

    db.session.commit()
    page = visible_text(text(client.get(f"/drafts/{open_draft.id}/tally")))
    assert "反映群众人数" in page and "代表人数" not in page
