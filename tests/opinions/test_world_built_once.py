"""The access matrices' shared world (tests/conftest.py, ``world_built_once``): a case that
starts from the copy sees exactly what the build left — the same rows and ids, the tally
counted once (not again by triggers on the way back), new ids after the old ones, the
clock where it was — and nothing an earlier case changed."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from participation import clock
from participation.extensions import db
from participation.models import Opinion, TallyCount, User
from tests.conftest import world_built_once

WORLD_BUILT_ONCE = True
pytestmark = pytest.mark.xdist_group("world_built_once")  # every case on one worker


@pytest.fixture
def world(request):
    return world_built_once(request, _build_world)


def _build_world(make_user, make_draft, make_opinion, frozen_now):
    frozen_now.advance(days=-3)
    draft = make_draft(published=True, title="世界")
    author = make_user("citizen")
    for number in range(3):
        make_opinion(draft, key="art.2", author=author, body=f"第{number}条意见")
    return {"draft": draft.id, "author": author, "now": frozen_now.now}


def _state(world):
    return {
        "opinions": db.session.scalar(select(func.count()).select_from(Opinion)),
        "tally": db.session.scalar(select(func.sum(TallyCount.opinions))),
        "users": db.session.scalar(select(func.count()).select_from(User)),
    }


@pytest.mark.parametrize("case", range(3))
def test_each_case_starts_from_the_same_world(world, make_user, frozen_now, case):
    assert _state(world) == {"opinions": 3, "tally": 3, "users": 1}
    assert world["author"].email and db.session.get(User, world["author"].id) is world["author"]
    assert clock.now() == world["now"]
    # Changes of this case must not reach the next one.
    newcomer = make_user("citizen", email=f"newcomer{case}@example.org")
    assert newcomer.id > world["author"].id
    db.session.execute(Opinion.__table__.delete())
    db.session.commit()
    frozen_now.advance(days=1)
