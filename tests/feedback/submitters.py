"""Fixtures for the tests of what submitters hear back (receipts, 我的意见, 履职记录,
batches, 站内消息): record a disposition with an internal note, and publish a draft's
feedback the way staff do (close the period, publish, commit). Imported by the test
modules that use them."""
from __future__ import annotations

import pytest

from participation.extensions import db
from participation.models import Opinion
from participation.services import dispositions, feedback
from participation.services.dispositions import DispositionInput
from tests.api.conftest import api_get, issue_token  # noqa: F401  (fixtures)
from tests.feedback.conftest import close_draft  # noqa: F401  (fixture)

REASON = "已在第三条中吸收该意见"
NOTE = "内部备注：与司法局沟通过"


@pytest.fixture
def staff_member(make_user):
    return make_user("staff")


@pytest.fixture
def dispose(staff_member, frozen_now):
    """Record ``disposition`` with a reason for the submitter and a note for staff."""

    def record(opinion, disposition="adopted", reason=REASON, note=NOTE):
        opinion = db.session.get(Opinion, opinion.id)
        dispositions.record_disposition(opinion, DispositionInput(disposition, reason, note), by=staff_member,
                                        now=frozen_now.now)
        db.session.commit()
        return opinion

    return record


@pytest.fixture
def publish(staff_member, frozen_now, close_draft):  # noqa: F811
    """Close ``draft``'s period and publish its feedback (意见采纳情况)."""

    def run(draft):
        close_draft(draft)
        feedback.publish_feedback(draft, by=staff_member, now=frozen_now.now)
        db.session.commit()
        return draft

    return run


def assert_has_documented_fields(client, body: dict, schema_name: str) -> None:
    """The answer has exactly the fields the OpenAPI document lists for ``schema_name``
    (the schemathesis test sees only drafts whose feedback is not published)."""
    schema = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"][schema_name]
    assert set(body) == set(schema["properties"]) == set(schema["required"])
    if body.get("disposition") is not None:
        enum = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]["Disposition"]["enum"]
        assert body["disposition"] in enum
