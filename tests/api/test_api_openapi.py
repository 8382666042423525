"""The OpenAPI document is served, complete and true.

* every rule under /api/v1 is documented (nobody adds an endpoint without documenting it);
* schemathesis runs every documented operation in-process against the app, with a staff
  token and without one, and checks status codes, content types, headers and response
  bodies against the document, and that nothing answers 5xx.
"""
from __future__ import annotations

import itertools
import re
from datetime import timedelta

import schemathesis
from schemathesis.hooks import GLOBAL_HOOK_DISPATCHER

from participation.api.openapi import SERVER_URL
from tests.conftest import SAMPLE_DRAFT

# Fixed, so a failure reproduces; "deterministic" also keeps Hypothesis' example
# database out of it.
SEED = 20260301


def test_document_is_served_as_openapi_31(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    document = response.get_json()
    assert document["openapi"].startswith("3.1")
    assert document["servers"] == [{"url": SERVER_URL}]
    assert document["components"]["securitySchemes"]["bearerAuth"] == {
        **document["components"]["securitySchemes"]["bearerAuth"], "type": "http", "scheme": "bearer",
    }
    schemas = document["components"]["schemas"]
    node = schemas["ProvisionNode"]
    assert set(node["required"]) == {"key", "kind", "label", "heading", "text", "children"}
    assert node["properties"]["children"]["items"] == {"$ref": "#/components/schemas/ProvisionNode"}
    assert set(schemas["ProvisionKind"]["enum"]) == {
        "part", "subpart", "chapter", "section", "article", "paragraph", "item", "subitem", "preamble", "annex",
    }
    assert schemas["ValidationError"]["required"] == ["error", "message", "fields"]
    assert document["paths"]["/me"]["get"]["security"] == [{"bearerAuth": []}]
    unauthorized = document["components"]["responses"]["Unauthorized"]
    assert "WWW-Authenticate" in unauthorized["headers"]


def test_every_operation_documents_its_errors(client):
    document = client.get("/api/v1/openapi.json").get_json()
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            responses = operation["responses"]
            # A success answer (200, or 202 for work accepted to run later: exports).
            assert {"401", "429", "500"} <= set(responses) and set(responses) & {"200", "202"}, (method, path)
            assert operation["operationId"] and operation["summary"], (method, path)
            assert set(operation["tags"]) <= {tag["name"] for tag in document["tags"]}, (method, path)
    operation_ids = [op["operationId"] for methods in document["paths"].values() for op in methods.values()]
    assert len(operation_ids) == len(set(operation_ids))
    assert "422" in document["paths"]["/drafts"]["get"]["responses"]
    assert "404" in document["paths"]["/drafts/{draft_id}"]["get"]["responses"]


def _openapi_path(rule: str) -> str:
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)


def test_every_api_route_is_documented(app, client):
    document = client.get("/api/v1/openapi.json").get_json()
    documented = {
        (SERVER_URL + path, method.upper())
        for path, methods in document["paths"].items()
        for method in methods
    }
    routed = {
        (_openapi_path(rule.rule), method)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith(SERVER_URL + "/") or rule.rule == SERVER_URL
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert routed, "no API routes found"
    assert routed - documented == set(), "routes missing from the OpenAPI document"
    assert documented - routed == set(), "documented operations without a route"


# --- schemathesis --------------------------------------------------------------------

def _seed_drafts(make_draft, make_user, frozen_now):
    staff = make_user("staff")
    # Ids 1..4 exist, so generated ids hit real drafts as well as missing ones.
    open_draft = make_draft(title="征求意见中", published=True)
    _seed_opinions(open_draft, make_user("citizen"), frozen_now)
    make_draft(title="即将征求意见", published=True, opens_in=timedelta(days=3))
    make_draft(title="未发布草案")
    make_draft(text=SAMPLE_DRAFT.replace("## 第一章 总则", "序言\n\n为了示例，制定本条例。\n\n## 第一章 总则"),
               title="含序言", published=True, days=1)
    _seed_plan_call(open_draft, staff, make_user("citizen"), frozen_now)
    frozen_now.advance(days=2)  # the last one is closed now
    _seed_export(open_draft, staff)
    return staff


def _seed_plan_call(draft, staff, citizen, frozen_now):
    """Call 1 (open, focus areas left free) with proposal 1, and the plan of the
    documented example year (2027), so the examples phase reads real ones."""
    from participation.extensions import db
    from participation.services import plan_calls, plans, proposals

    call = plan_calls.open_call_now(plan_calls.PlanCallInput(title="立法计划项目建议征集", year=2027), days=30,
                                    by=staff, now=frozen_now.now)
    stored = proposals.submit_proposal(call, proposals.ProposalInput(title="某市示例条例", necessity="很有必要。",
                                                                     contact="13800000000"),
                                       author=citizen, now=frozen_now.now)
    plan = plans.plan_for_year(2027, by=staff, now=frozen_now.now)
    project = plans.add_project(plan, plans.ProjectInput(project_class="formal", title="某市示例条例"), by=staff,
                                now=frozen_now.now)
    plans.link_proposals(project, [stored.id], by=staff, now=frozen_now.now)
    plans.link_draft(project, draft, by=staff, now=frozen_now.now)
    plans.publish_plan(plan, by=staff, now=frozen_now.now)
    db.session.commit()


def _seed_export(draft, staff):
    """A finished export of ``staff`` under the documented example id, so the examples
    phase reads its status and downloads its file."""
    from flask import current_app

    from participation import jobs
    from participation.api.exports import _PUBLIC_ID
    from participation.extensions import db
    from participation.unit_of_work import writing

    with writing():
        job = jobs.enqueue("exports.opinions_xlsx", params={"filter": {}, "format": "xlsx"}, draft_id=draft.id,
                           by=staff)
        job.public_id = _PUBLIC_ID["example"]
        db.session.commit()
    jobs.run_pending(current_app)


def _seed_opinions(draft, citizen, frozen_now):
    """Opinions shown publicly on the examples' clause (art.1), one of them with the
    receipt code of the documented example, so the examples phase reads real ones."""
    from participation.extensions import db
    from participation.models import Opinion
    from participation.services import opinions

    draft.shows_opinions_publicly = True
    for n in range(3):
        submitted = opinions.submit_opinion(
            draft, opinions.OpinionInput(body=f"意见{n}", provision_key="art.1", submitter_name="张三",
                                         is_name_public=n == 0, contact="13800000000"),
            author=citizen, now=frozen_now.now)
        opinion = db.session.get(Opinion, submitted.id)
    opinion.receipt_code = "ABCD-2345-WXYZ"
    db.session.commit()


def _run_schemathesis(app, headers: dict | None = None) -> None:
    """Run every phase (examples, coverage, fuzzing) of schemathesis on every operation,
    in-process, with all its default checks; fail listing every failed check.

    (The engine is used rather than ``schemathesis.pytest.from_fixture``, which does not
    work with pytest 9.)"""
    config = schemathesis.Config.from_dict({
        "seed": SEED,
        "headers": headers or {},
        "generation": {"mode": "all", "max-examples": 25, "deterministic": True, "database": "none"},
        # Read-only API without links between operations: nothing for stateful testing.
        "phases": {"stateful": {"enabled": False}},
        # This check's probe requests (the same call without and with a wrong token) crash
        # in schemathesis 4.32.5's WSGI transport (it passes `max_redirects` on to
        # werkzeug). test_auth.py asserts the same thing directly for every endpoint.
        "checks": {"ignored_auth": {"enabled": False}},
        # A period whose dates are each well formed may still be refused as a whole
        # (from after to, longer than ten years): rules across parameters that a
        # schema cannot state, answered 422 naming the parameter.
        # So are a proposal's rules across fields (a unit for organisations, a name to
        # publish, an area among the call's focus areas, an attachment's type by content),
        # and a search's clause: any text is read by the citation parser, and one it cannot
        # read, or that the given draft does not have, is named in a 422.
        "operations": [{"include-operation-id": operation_id, "checks": {"positive_data_acceptance": {
            "expected-statuses": ["2xx", "3xx", "401", "403", "404", "409", "422", "429", "5xx"]}}}
            for operation_id in ("getOverview", "createProposal", "search")],
    })
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app, config=config)
    sent = itertools.count()

    def fresh_idempotency_keys(context, case, kwargs):
        # The generator reuses keys ("0") across different bodies, which the API rightly
        # refuses (422 idempotency_key_conflict, tested in test_api_opinions.py); a
        # well-formed key is made unique per call so schema-valid requests stay valid.
        # Negative cases are left as drawn: changing one makes schemathesis revalidate it
        # as positive, and a "missing Authorization" case then goes out with the token.
        if case.meta is not None and case.meta.generation.mode.is_negative:
            return
        key = (case.headers or {}).get("Idempotency-Key")
        if isinstance(key, str) and re.fullmatch(r"[!-~]{1,100}", key):
            case.headers["Idempotency-Key"] = f"{next(sent)}-{key}"[:100]

    # before_call exists only as a global hook: registered for this run alone.
    GLOBAL_HOOK_DISPATCHER.register_hook_with_name(fresh_idempotency_keys, "before_call")
    try:
        return _check_events(schema)
    finally:
        GLOBAL_HOOK_DISPATCHER.unregister(fresh_idempotency_keys)


def _check_events(schema) -> dict[str, set[int]]:
    from schemathesis.engine import Status, events, from_schema

    problems: list[str] = []
    statuses: dict[str, set[int]] = {}
    finished = None
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            recorder = event.recorder
            for case_id, interaction in recorder.interactions.items():
                # Answers to the operation's own method (not the probes of other methods).
                if (interaction.response is not None
                        and recorder.cases[case_id].value.method == recorder.label.split(" ", 1)[0]):
                    statuses.setdefault(recorder.label, set()).add(interaction.response.status_code)
            for case_id, checks in recorder.checks.items():
                for check in checks:
                    if check.status == Status.FAILURE:
                        case = recorder.cases[case_id].value
                        failure = check.failure_info.failure if check.failure_info else None
                        problems.append(f"{recorder.label} [{check.name}] {case.method} {case.formatted_path} "
                                        f"query={case.query!r} headers={case.headers!r}:\n"
                                        f"{failure.title if failure else ''}\n{failure.message if failure else ''}")
        elif isinstance(event, events.NonFatalError):
            problems.append(f"error in {event.label}: {event.value!r}")
        elif isinstance(event, events.FatalError):
            raise event.exception
        elif isinstance(event, events.EngineFinished):
            finished = event
    assert finished is not None
    assert not problems, "\n\n".join(problems[:20])
    assert finished.failures == []
    return statuses


# Schemathesis leaves out the operation that serves the document it tests; the tests
# above cover that one.
def _tested_operations(statuses):
    return {label for label in statuses} | {"GET /openapi.json"}


def test_api_conforms_with_a_staff_token(app, client, make_draft, make_user, issue_token, frozen_now):
    staff = _seed_drafts(make_draft, make_user, frozen_now)
    statuses = _run_schemathesis(app, {"Authorization": f"Bearer {issue_token(staff)}"})
    documented = {f"{method.upper()} {path}" for path, methods in
                  client.get("/api/v1/openapi.json").get_json()["paths"].items() for method in methods}
    assert _tested_operations(statuses) == documented
    # Success bodies were validated for every read (writes need accounts of other roles).
    assert all(200 in codes for label, codes in statuses.items() if label.startswith("GET ")), statuses
    # The submission endpoint was fuzzed with a token that may submit, and stored some.
    assert 201 in statuses["POST /drafts/{draft_id}/comments"], statuses


def test_api_conforms_without_a_token(app, make_draft, make_user, frozen_now):
    _seed_drafts(make_draft, make_user, frozen_now)
    statuses = _run_schemathesis(app)
    assert 200 in statuses["GET /drafts"] and 200 in statuses["GET /drafts/{draft_id}"], statuses
    assert statuses["GET /me"] == {401}
    # Nothing is stored without a token (a path that routes nowhere is a 404 first).
    assert statuses["POST /drafts/{draft_id}/comments"] <= {401, 404}, statuses
    assert statuses["POST /plan-calls/{call_id}/proposals"] <= {401, 404}, statuses
    assert statuses["GET /plan-calls/{call_id}/proposals"] <= {401, 404}, statuses
