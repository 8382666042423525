"""Text a database cannot store (NUL, lone surrogates) is refused at the request boundary.

The sweep walks ``app.url_map``: every rule, every method, as every role (anonymous, each
account role; a bearer token on the API). For each it first sends a clean request with
valid path values and records what the view reads — the query parameters looked up by
name and the WTForms forms it builds — then sends NUL in each path variable, in each query
parameter read, in each field of each form (the other fields filled plausibly, so the
field at fault is the one that reaches the database) and in each string of the API's JSON
request bodies (from the OpenAPI document), and a lone surrogate in the JSON. No answer
may be a 5xx. NUL in a path or query is refused with 400 (pages) or 422 (API), or gets
404 when the path routes nowhere; NUL in a body gets a 4xx: the refusal when the view
reads the body, or the view's own 401/403/404 when it answers before reading it.

Run it on PostgreSQL (TEST_DATABASE_URL), where NUL is a 500 without the boundary.
"""
from __future__ import annotations

import io
import json
import logging

import pytest
from flask_wtf import FlaskForm
from werkzeug.datastructures import ImmutableMultiDict

from participation.web import security_log
from participation.extensions import db
from participation.models import Opinion
from participation.services import accounts
from participation.services import opinions as opinion_service
from tests.conftest import DEMO_PASSWORD

NUL = "a\x00b"
SURROGATE = "a\ud800b"
ROLES = (None, "citizen", "deputy", "operator", "staff", "admin")
# Endpoints that end the sweep's own session or destroy its fixtures: visited last.
LAST = ("delete", "disable", "revoke", "end_other", "close", "logout")
INT_PLACEHOLDER = 987654321


# --- what the views read -------------------------------------------------------------------

class _Reads:
    names: list[str] = []
    forms: list[FlaskForm] = []


class RecordingMultiDict(ImmutableMultiDict):
    """Query and form data that note every name a view looks up."""

    def _note(self, key):
        if isinstance(key, str) and key not in _Reads.names:
            _Reads.names.append(key)

    def get(self, key, *args, **kwargs):
        self._note(key)
        return super().get(key, *args, **kwargs)

    def getlist(self, key, *args, **kwargs):
        self._note(key)
        return super().getlist(key, *args, **kwargs)

    def __getitem__(self, key):
        self._note(key)
        return super().__getitem__(key)

    def __contains__(self, key):
        self._note(key)
        return super().__contains__(key)


@pytest.fixture
def recording(app, monkeypatch):
    monkeypatch.setattr(app.request_class, "parameter_storage_class", RecordingMultiDict)
    original_init = FlaskForm.__init__

    def init(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        _Reads.forms.append(self)

    monkeypatch.setattr(FlaskForm, "__init__", init)

    def start():
        _Reads.names = []
        _Reads.forms = []

    return start


# --- the small world the sweep visits ----------------------------------------------------------

@pytest.fixture
def world(app, make_user, make_draft):
    users = {role: make_user(role) for role in ROLES if role}
    target = make_user("citizen")
    draft = make_draft(published=True)
    submitted = opinion_service.submit_opinion(
        draft, opinion_service.OpinionInput(body="一条意见", provision_key="art.1"),
        author=users["citizen"], now=draft.opens_at,
    )
    opinion = db.session.get(Opinion, submitted.id)
    target_token, _secret = accounts.issue_api_token(target, name="目标令牌")
    secrets = {role: accounts.issue_api_token(user, name="扫描")[1] for role, user in users.items()}
    db.session.commit()
    values = {
        "draft_id": draft.id, "opinion_id": opinion.id, "user_id": target.id, "token_id": target_token.id,
        "point_id": users["operator"].liaison_point_id, "batch_id": 1, "key": "art.1",
        "code": opinion.receipt_code, "upload_id": "0" * 32, "filename": "css/app.css",
    }
    return {"users": users, "secrets": secrets, "values": values}


def _clients(app, login, world):
    clients = {None: app.test_client()}
    for role, user in world["users"].items():
        clients[role] = login(user, test_client=app.test_client())
    return clients


def _build(app, rule, values: dict, *, nul_in: str | None = None) -> str:
    """The rule's URL with ``values``; ``nul_in`` names a variable given NUL instead."""
    filled = {}
    for name, converter in rule._converters.items():
        is_int = type(converter).__name__ == "IntegerConverter"
        value = values.get(name, 1 if is_int else "x")
        if name == nul_in:
            value = INT_PLACEHOLDER if is_int else NUL
        filled[name] = value
    with app.test_request_context():
        url = app.url_map.bind("localhost").build(rule.endpoint, filled, method=next(iter(rule.methods)))
    if nul_in is not None and str(INT_PLACEHOLDER) in url:
        url = url.replace(str(INT_PLACEHOLDER), f"{values.get(nul_in, 1)}%00")
    return url


def _sweep_rules(app):
    rules = [rule for rule in app.url_map.iter_rules()]
    return sorted(rules, key=lambda rule: (any(word in rule.endpoint for word in LAST), rule.rule))


# --- plausible values ------------------------------------------------------------------------

def _plausible(field) -> object:
    kind = field.type
    if kind in ("SelectField", "RadioField", "SelectMultipleField"):
        choices = field.choices or []
        if isinstance(choices, dict):
            choices = [choice for group in choices.values() for choice in group]
        values = [choice[0] if isinstance(choice, (tuple, list)) else choice for choice in choices]
        values = [str(value) for value in values if value not in ("", None)]
        return values[0] if values else "x"
    if kind in ("FileField", "MultipleFileField"):
        return (io.BytesIO("第一条,意见\n".encode("utf-8")), "upload.csv")
    if kind == "BooleanField":
        return "y"
    if kind in ("IntegerField", "DecimalField", "FloatField", "IntegerRangeField"):
        return "1"
    if kind == "DateField":
        return "2027-01-01"
    if kind in ("DateTimeLocalField", "DateTimeField"):
        return "2027-01-01T10:00"
    if kind == "EmailField" or field.name == "email":
        return "sweep@example.org"
    if kind == "PasswordField":
        return DEMO_PASSWORD
    return "测试文本"


def _with_nul(value):
    if isinstance(value, tuple):  # a file: NUL in its name
        return (io.BytesIO(b"data"), "a\x00b.csv")
    return NUL


def _form_cases(forms) -> list[tuple[str, dict]]:
    fields = {}
    for form in forms:
        for name, field in form._fields.items():
            if field.type not in ("SubmitField", "CSRFTokenField"):
                fields.setdefault(name, field)
    cases = []
    for at_fault in fields:
        data = {}
        for name, field in fields.items():
            value = _plausible(field)
            data[name] = _with_nul(value) if name == at_fault else value
        cases.append((at_fault, data))
    return cases


def _schema(schema: dict, document: dict) -> dict:
    if "$ref" in schema:
        target = document
        for part in schema["$ref"].lstrip("#/").split("/"):
            target = target[part]
        return _schema(target, document)
    if "oneOf" in schema:
        return _schema(next(s for s in schema["oneOf"] if s.get("type") != "null"), document)
    return schema


def _example(schema: dict, document: dict):
    schema = _schema(schema, document)
    if schema.get("examples") and isinstance(schema["examples"][0], (dict, list)):
        return json.loads(json.dumps(schema["examples"][0]))
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next(k for k in kind if k != "null")
    if "enum" in schema:
        return next(value for value in schema["enum"] if value not in (None, ""))
    if kind == "object":
        return {name: _example(sub, document) for name, sub in schema.get("properties", {}).items()}
    if kind == "array":
        return [_example(schema.get("items", {}), document)]
    if kind == "integer":
        return 1
    if kind == "boolean":
        return False
    if schema.get("format") == "date":
        return "2026-01-01"
    return "测试文本"


def _string_paths(value, path=()):
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _string_paths(item, path + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _string_paths(item, path + (index,))
    elif isinstance(value, str):
        yield path


def _replaced(value, path, new):
    value = json.loads(json.dumps(value))
    holder = value
    for part in path[:-1]:
        holder = holder[part]
    holder[path[-1]] = new
    return value


def _api_bodies(document, api_rule: str, method: str) -> list[tuple[str, str, object]]:
    """(content type, what is at fault, body) for the operation's request body."""
    path = api_rule.removeprefix("/api/v1").replace("<int:", "{").replace("<", "{").replace(">", "}")
    operation = document["paths"].get(path, {}).get(method.lower(), {})
    content = operation.get("requestBody", {}).get("content", {})
    cases = []
    if "application/json" in content:
        example = _example(content["application/json"]["schema"], document)
        for where in _string_paths(example):
            for bad in (NUL, SURROGATE):
                cases.append(("json", ".".join(map(str, where)), _replaced(example, where, bad)))
        if isinstance(example, dict):
            cases.append(("json", "key", {**example, NUL: "x"}))
    if "multipart/form-data" in content:
        schema = _schema(content["multipart/form-data"]["schema"], document)
        plain = {}
        for name, sub in schema.get("properties", {}).items():
            sub = _schema(sub, document)
            plain[name] = "binary" if sub.get("format") == "binary" else str(_example(sub, document))
        for at_fault in plain:
            data = {}
            for name, value in plain.items():
                if value == "binary":
                    data[name] = (io.BytesIO(b"data"), "a\x00b.csv" if name == at_fault else "rows.csv")
                else:
                    data[name] = NUL if name == at_fault else value
            cases.append(("multipart", at_fault, data))
    return cases


# --- the sweep -------------------------------------------------------------------------------

def test_nul_anywhere_in_any_request_is_refused_and_never_a_server_error(app, login, world, recording, monkeypatch):
    monkeypatch.setattr(security_log.logger, "disabled", True)  # a thousand refusals
    clients = _clients(app, login, world)
    headers = {role: ({"Authorization": f"Bearer {secret}"}) for role, secret in world["secrets"].items()}
    headers[None] = {}
    document = clients[None].get("/api/v1/openapi.json").get_json()
    failures: list[str] = []
    sent = {"clean": 0, "nul": 0}
    body_refusals = []

    def check(response, what, *, carries_nul, routes=True, in_body=False):
        """No 5xx. NUL in the path or query: refused (400/422), or 404 when the path routes
        nowhere. NUL in a body: a 4xx — refused when the view reads the body, or the
        view's own 401/403/404 when it answers before reading it; never a success."""
        status = response.status_code
        if status >= 500:
            failures.append(f"{what} -> {status}")
        elif carries_nul and in_body and not 400 <= status < 500:
            failures.append(f"{what} -> {status}, expected a 4xx")
        elif carries_nul and in_body and status in (400, 422):
            body_refusals.append(what)
        elif carries_nul and not in_body and status not in ((400, 422) if routes else (404,)):
            failures.append(f"{what} -> {status}, expected a refusal")
        sent["nul" if carries_nul else "clean"] += 1

    for rule in _sweep_rules(app):
        is_api = rule.rule.startswith("/api/")
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            for role in ROLES:
                client = clients[role]
                extra = {"headers": headers[role]} if is_api else {}
                who = role or "anonymous"
                url = _build(app, rule, world["values"])
                recording()
                response = client.open(url, method=method, **extra)
                check(response, f"{who} {method} {url}", carries_nul=False)
                names, forms = list(_Reads.names), list(_Reads.forms)

                for variable in rule.arguments:
                    bad_url = _build(app, rule, world["values"], nul_in=variable)
                    # "1%00" is no integer: such a path routes nowhere, and 404 is the answer.
                    routes = type(rule._converters[variable]).__name__ != "IntegerConverter"
                    check(client.open(bad_url, method=method, **extra), f"{who} {method} {bad_url!r}",
                          carries_nul=True, routes=routes)
                for name in names:
                    check(client.open(url, method=method, query_string={name: NUL}, **extra),
                          f"{who} {method} {url}?{name}=NUL", carries_nul=True)
                if method == "POST":
                    for at_fault, data in _form_cases(forms):
                        check(client.post(url, data=data, content_type="multipart/form-data", **extra),
                              f"{who} POST {url} form field {at_fault}=NUL", carries_nul=True, in_body=True)
                    if is_api:
                        for kind, at_fault, body in _api_bodies(document, rule.rule, method):
                            if kind == "json":
                                response = client.post(url, data=json.dumps(body), content_type="application/json",
                                                       **extra)
                            else:
                                response = client.post(url, data=body, content_type="multipart/form-data", **extra)
                            check(response, f"{who} POST {url} {kind} {at_fault}", carries_nul=True, in_body=True)

    server_errors = [failure for failure in failures if failure.split(" -> ")[1].startswith("5")]
    assert not failures, (f"{len(failures)} of {sum(sent.values())} requests, {len(server_errors)} server errors:\n"
                          + "\n".join((server_errors + failures)[:150]))
    # The sweep did reach the routes' parameters, and views did read the bodies.
    assert sent["nul"] > 1000 and len(body_refusals) > 300, (sent, len(body_refusals))


# --- the answers, one by one --------------------------------------------------------------------

def test_a_page_answers_400_with_a_chinese_message_naming_the_part(client, make_draft):
    draft = make_draft(published=True)
    response = client.get(f"/drafts/{draft.id}/provisions/art.1%00")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "无法保存的字符" in page and "key" in page
    response = client.get(f"/drafts/{draft.id}/opinions/new?provision=art.1%00")
    assert response.status_code == 400 and "provision" in response.get_data(as_text=True)


def test_sign_in_and_registration_forms_refuse_nul(client, make_user):
    user = make_user("citizen")
    response = client.post("/login", data={"email": user.email + "\x00", "password": DEMO_PASSWORD})
    assert response.status_code == 400
    response = client.post("/register", data={"email": "new@example.org", "password": "x" * 12,
                                              "password2": "x" * 12, "display_name": "名\x00字"})
    assert response.status_code == 400 and "display_name" in response.get_data(as_text=True)


def test_the_api_answers_422_naming_the_fields(client, make_draft):
    draft = make_draft(published=True)
    response = client.get(f"/api/v1/drafts/{draft.id}/provisions/art.1%00/opinions?page=1%00")
    assert response.status_code == 422
    body = response.get_json()
    assert body["error"] == "validation_failed"
    assert set(body["fields"]) == {"key", "page"}
    assert all(messages for messages in body["fields"].values())


def test_json_bodies_are_walked_keys_and_lone_surrogates_included(client, make_user, make_draft):
    draft = make_draft(published=True)
    _token, secret = accounts.issue_api_token(make_user("citizen"))
    db.session.commit()
    raw = '{"provision": "art.1", "stance": "amend", "body": "x\\ud800", "submitter": {"na\\u0000me": "y"}}'
    response = client.post(f"/api/v1/drafts/{draft.id}/comments", data=raw, content_type="application/json",
                           headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 422
    assert set(response.get_json()["fields"]) == {"body", "submitter.na\\u0000me"}


def test_deeply_nested_json_is_malformed_not_a_server_error(client, make_user, make_draft):
    draft = make_draft(published=True)
    _token, secret = accounts.issue_api_token(make_user("citizen"))
    db.session.commit()
    for depth, status in ((5_000, 400), (300, 422)):
        raw = '{"a":' * depth + '"\\u0000"' + "}" * depth
        response = client.post(f"/api/v1/drafts/{draft.id}/comments", data=raw, content_type="application/json",
                               headers={"Authorization": f"Bearer {secret}"})
        assert response.status_code == status, response.get_data(as_text=True)[:300]
    assert client.post(f"/api/v1/drafts/{draft.id}/comments", data="[" * 20_000, content_type="application/json",
                       headers={"Authorization": f"Bearer {secret}"}).get_json()["error"] == "malformed_json"


def test_uploaded_file_names_and_headers_are_checked(client, make_user, login):
    login(make_user("staff"))
    response = client.post("/staff/drafts/import", data={"title": "标题", "file": (io.BytesIO(b"x"), "a\x00.txt")},
                           content_type="multipart/form-data")
    assert response.status_code == 400 and "file" in response.get_data(as_text=True)
    response = client.get("/", headers={"User-Agent": "probe\x00"})
    assert response.status_code == 400


def test_clean_text_passes_untouched(client, make_draft):
    draft = make_draft(published=True)
    assert client.get(f"/drafts/{draft.id}?x=%E6%B5%8B%E8%AF%95%0A%09").status_code == 200


def test_the_refusal_is_in_the_security_log(client, caplog):
    with caplog.at_level(logging.INFO, logger="participation.security"):
        client.get("/drafts?status=%00")
    events = [record.security_event for record in caplog.records if hasattr(record, "security_event")]
    assert [(e["event"], e["reason"], e["fields"]) for e in events] == [
        ("request_refused", "unstorable_characters", ["status"])]
    assert events[0]["route"] == "/drafts" and events[0]["method"] == "GET"


def test_encoded_surrogates_in_urls_and_forms_decode_to_replacement_characters(client):
    # Werkzeug decodes URLs and form bodies with errors="replace": a UTF-8-encoded surrogate
    # (ED A0 80) arrives as U+FFFD, which is storable, so no refusal and no 500.
    assert client.get("/drafts?status=%ED%A0%80").status_code == 200
    response = client.post("/login", data=b"email=%ED%A0%80%40example.org&password=x",
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code < 500
