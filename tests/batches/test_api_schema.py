"""Schemathesis against the batch operation alone, with a liaison point, an open draft
and tokens that may submit: every answer matches the document, nothing answers 5xx,
data outside the schema is refused, and valid batches are stored (201) or replayed
(200).

Schema-valid requests can still be refused with 422: the schema cannot say which
clauses a draft has, that a random file is not a spreadsheet, or that an activity date
lies in the future. So 422 joins the statuses expected for positive data here; every
other check runs as configured by default.
"""
from __future__ import annotations

import pytest
import schemathesis

from participation.extensions import db
from participation.services import accounts
from tests.api.test_api_openapi import SEED
from tests.conftest import SAMPLE_DRAFT

pytestmark = pytest.mark.slow


def _run(app, headers: dict) -> set[int]:
    from schemathesis.engine import Status, events, from_schema

    config = schemathesis.Config.from_dict({
        "seed": SEED,
        "headers": headers,
        "generation": {"mode": "all", "max-examples": 40, "deterministic": True, "database": "none"},
        "phases": {"stateful": {"enabled": False}},
        "checks": {
            "ignored_auth": {"enabled": False},  # see tests/api/test_api_openapi.py
            "positive_data_acceptance": {"expected-statuses": ["2xx", "401", "403", "404", "409", "422", "429"]},
        },
    })
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app, config=config)
    schema = schema.include(path="/liaison-points/{point_id}/batches")
    problems: list[str] = []
    statuses: set[int] = set()
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            recorder = event.recorder
            for case_id, interaction in recorder.interactions.items():
                if interaction.response is not None and recorder.cases[case_id].value.method == "POST":
                    statuses.add(interaction.response.status_code)
            for case_id, checks in recorder.checks.items():
                for check in checks:
                    if check.status == Status.FAILURE:
                        case = recorder.cases[case_id].value
                        failure = check.failure_info.failure if check.failure_info else None
                        problems.append(f"[{check.name}] {case.method} {case.formatted_path} body={case.body!r:.300}\n"
                                        f"{failure.title if failure else ''}\n{failure.message if failure else ''}")
        elif isinstance(event, events.NonFatalError):
            problems.append(f"error in {event.label}: {event.value!r}")
        elif isinstance(event, events.FatalError):
            raise event.exception
    assert not problems, "\n\n".join(problems[:10])
    return statuses


@pytest.fixture
def seeded(app, make_draft, make_user, frozen_now):
    from participation.services.liaison import create_liaison_point

    point = create_liaison_point(name="示例联系点")  # id 1, as in the documented example
    make_draft(SAMPLE_DRAFT, published=True)        # id 1, open
    db.session.commit()
    return point


def _bearer(user) -> dict:
    _token, secret = accounts.issue_api_token(user, name="schemathesis")
    db.session.commit()
    return {"Authorization": f"Bearer {secret}"}


def test_batch_operation_conforms_for_staff(app, seeded, make_user):
    statuses = _run(app, _bearer(make_user("staff")))
    assert 201 in statuses and 422 in statuses, statuses
    assert not any(status >= 500 for status in statuses)


def test_batch_operation_conforms_for_an_operator(app, seeded, make_user):
    statuses = _run(app, _bearer(make_user("operator", liaison_point=seeded)))
    assert 201 in statuses, statuses


def test_batch_operation_without_a_token(app, seeded):
    assert _run(app, {}) <= {401, 404}
