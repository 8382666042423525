"""Fixtures of the overview tests: opinions inserted as rows with exactly the fields the
overview counts (receipt time, channel, category, disposition, liaison point,
delegation, moderation state), so a test controls every figure."""
from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime, timezone

import pytest

from participation.extensions import db
from participation.models import Opinion


@dataclass(frozen=True)
class Spec:
    """One opinion as the overview sees it."""

    created_at: datetime
    draft: int = 0              # index into the world's drafts
    channel: str = "web"
    category: str = "citizen"
    disposition: str = "pending"
    point: int | None = None    # index into the world's points
    delegation: str | None = None
    submitter: str = "u:1"
    state: str = "published"
    represented: int = 1


_serial = itertools.count(1)


@pytest.fixture
def overview_world(make_draft, frozen_now):
    """Three drafts and three liaison points (the third one inactive), and an ``add``
    that inserts opinions from Specs."""
    from participation.services.liaison import create_liaison_point

    drafts = [make_draft(published=True, title=f"草案{n}") for n in range(3)]
    points = [create_liaison_point(name=name) for name in ("甲街道联系点", "乙律所联系点", "丙学校联系点")]
    points[2].is_active = False
    db.session.commit()

    def add(specs) -> list[int]:
        rows = []
        for spec in specs:
            draft = drafts[spec.draft]
            n = next(_serial)
            rows.append({
                "draft_id": draft.id, "version_id": draft.current_version.id, "provision_id": None,
                "provision_key": None, "stance": "amend", "body": f"意见{n}", "proposed_text": "", "reason": "",
                "category": spec.category, "region": "", "submitter_name": "", "is_name_public": False,
                "contact": "", "author_id": None, "submitter_key": spec.submitter, "delegation": spec.delegation,
                "liaison_point_id": points[spec.point].id if spec.point is not None else None,
                "represented_count": spec.represented, "channel": spec.channel, "moderation_state": spec.state,
                "hidden_reason": "", "disposition": spec.disposition, "receipt_code": f"OV{n:08d}",
                "created_at": spec.created_at,
            })
        if not rows:
            return []
        ids = list(db.session.scalars(Opinion.__table__.insert().returning(Opinion.__table__.c.id), rows))
        db.session.commit()
        return ids

    return {"drafts": drafts, "points": points, "add": add}


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)
