"""意见统计 by liaison point: which points sent how many opinions, for the draft and for
each clause, on the page and in the API."""
from __future__ import annotations

from participation.extensions import db
from participation.services.liaison import create_liaison_point
from tests.opinions.conftest import text


def _from_point(make_opinion, draft, key, point, author):
    opinion = make_opinion(draft, key=key, author=author)
    opinion.liaison_point_id = point.id
    db.session.commit()
    return opinion


def test_page_and_api_count_by_point(client, make_user, open_draft, make_opinion):
    peace, law = create_liaison_point(name="和平街道联系点"), create_liaison_point(name="明理律所联系点")
    db.session.commit()
    citizen = make_user("citizen")
    for key in ("art.3", "art.3", "art.5"):
        _from_point(make_opinion, open_draft, key, peace, citizen)
    _from_point(make_opinion, open_draft, "art.5", law, citizen)
    make_opinion(open_draft, key="art.5", author=citizen)  # from the website: no point

    page = text(client.get(f"/drafts/{open_draft.id}/tally"))
    assert "按基层立法联系点" in page and "和平街道联系点" in page and "明理律所联系点" in page
    focus = text(client.get(f"/drafts/{open_draft.id}/tally?clause=art.5"))
    section = focus[focus.index('id="focus"'):]
    assert "和平街道联系点" in section and "明理律所联系点" in section

    body = client.get(f"/api/v1/drafts/{open_draft.id}/tally").get_json()
    assert body["by_liaison_point"] == {str(peace.id): 3, str(law.id): 1}
    assert body["liaison_points"] == {str(peace.id): "和平街道联系点", str(law.id): "明理律所联系点"}
    clauses = {clause["key"]: clause for clause in body["provisions"]}
    assert clauses["art.3"]["by_liaison_point"] == {str(peace.id): 2}
    assert clauses["art.5"]["by_liaison_point"] == {str(peace.id): 1, str(law.id): 1}


def test_no_points_no_section(client, make_user, open_draft, make_opinion):
    make_opinion(open_draft, key="art.1", author=make_user("citizen"))
    assert "按基层立法联系点" not in text(client.get(f"/drafts/{open_draft.id}/tally"))
    assert client.get(f"/api/v1/drafts/{open_draft.id}/tally").get_json()["liaison_points"] == {}
