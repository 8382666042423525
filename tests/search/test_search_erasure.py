"""An erased account's name leaves the search index with it (个人信息保护): the opinion
stays findable by its text, no longer by the name."""
from __future__ import annotations

from participation import clock
from participation.extensions import db
from participation.models import Opinion
from participation.services import privacy
from tests.search.conftest import hit_ids


def test_erasure_takes_the_name_out_of_the_index(public_draft, make_opinion, make_user, drain, search_api):
    citizen = make_user("citizen")
    opinion = make_opinion(public_draft, "关于停车位配建标准的意见", submitter_name="欧阳修远", is_name_public=True)
    opinion.author_id = citizen.id
    db.session.commit()
    drain()
    assert hit_ids(search_api(q="欧阳修远")) == [opinion.id]
    privacy.erase_account(citizen, by=citizen, now=clock.now())
    db.session.commit()
    drain()
    assert hit_ids(search_api(q="欧阳修远")) == []
    assert hit_ids(search_api(q="停车位配建")) == [opinion.id]
    assert db.session.get(Opinion, opinion.id).submitter_name == ""
