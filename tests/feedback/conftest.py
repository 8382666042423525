"""Fixtures of the feedback loop: the opinion fixtures, and a draft whose comment period
has closed."""
from __future__ import annotations

from datetime import timedelta

import pytest

from tests.opinions.conftest import make_opinion, open_draft  # noqa: F401  (fixtures)


@pytest.fixture
def close_draft(frozen_now):
    """Move the clock past ``draft``'s closing time."""

    def close(draft):
        frozen_now.set(draft.closes_at + timedelta(minutes=1))
        return draft

    return close


SECRET_NOTE = "内部备注-绝不公开"


@pytest.fixture
def report_world(app, make_draft, make_user, make_opinion, close_draft, frozen_now):
    """A closed draft with opinions through every channel (web, API, a liaison-point
    batch), mixed dispositions with internal notes, one hidden opinion: (draft, staff)."""
    from datetime import date

    from participation import batches
    from participation.models import Opinion
    from participation.services import opinions as opinion_service
    from participation.services.liaison import create_liaison_point

    from participation.extensions import db

    draft = make_draft(published=True)
    staff = make_user("staff")
    citizens = [make_user("citizen") for _ in range(3)]
    plan = [("art.1", "adopted"), ("art.1", "not_adopted"), ("art.2", "partly_adopted"), ("art.3.1.1", "for_study"),
            (None, "already_provided"), (None, "pending"), ("art.5", "out_of_scope")]
    for n, (key, disposition) in enumerate(plan):
        opinion = make_opinion(draft, key=key, author=citizens[n % 3], body=f"网站意见{n}")
        opinion.disposition, opinion.disposition_reason = disposition, f"理由{n}"
        opinion.disposition_note = SECRET_NOTE
    hidden = make_opinion(draft, key="art.1", author=citizens[0], state="hidden", body="被屏蔽意见XYZ")
    hidden.disposition = "adopted"
    for n, key in enumerate(["art.3", "art.4"]):
        stored = opinion_service.submit_opinion(
            draft, opinion_service.OpinionInput(body=f"接口意见{n}", stance="amend", provision_key=key),
            author=citizens[n], now=frozen_now.now, channel="api")
        db.session.get(Opinion, stored.id).disposition = "adopted"
    point = create_liaison_point(name="示例联系点")
    operator = make_user("operator", liaison_point=point)
    rows = [{"provision": "第四条", "body": "联系点意见一", "stance": "修改", "category": "居民", "name": "王芳",
             "represented": 3},
            {"provision": "总体意见", "body": "联系点意见二", "stance": "赞成", "category": "企业", "name": "",
             "represented": 1}]
    checked = batches.check(batches.JsonSource(rows), draft, point)
    batches.store(checked, batches.Activity(kind="forum", date=date(2026, 1, 5)), operator, frozen_now.now)
    db.session.commit()
    close_draft(draft)
    return draft, staff
