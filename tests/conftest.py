"""Fixtures: a fresh app per test with a temporary database and instance folder.

The schema is always made by the Alembic migrations (as in production): once per test
session into a template, then copied (SQLite) or truncated (PostgreSQL) per test. Set
TEST_DATABASE_URL to a PostgreSQL server URL (for example
postgresql+psycopg://postgres@127.0.0.1:5432/test) to run the suite on PostgreSQL; a
database of its own is created for the run and dropped afterwards.
"""
from __future__ import annotations

import os
import shutil
from contextlib import contextmanager, nullcontext
from functools import partial
import uuid
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from flask import has_app_context
from flask.testing import FlaskClient

from app import create_app
from participation import clock
from participation.extensions import db

DEMO_PASSWORD = "correct horse battery"

def _reuse_url_builders() -> None:
    """Every test builds an app, and every app compiles each of its ~120 URL rules into
    two builder functions (Python source generated and compiled): about 40 ms of each
    test's setup, some 4 minutes of a CI run. A builder's code depends only on the rule's
    parsed parts, its defaults and the flag, and takes the rule itself as its first
    argument, so one compiled function serves every app's copy of the same rule. Tests
    only: a production process builds its app once."""
    from werkzeug.routing.rules import Rule

    compile_builder = Rule._compile_builder
    builders: dict = {}

    def reused(self, append_unknown: bool = True):
        defaults = self.defaults or {}
        key = (self.rule, tuple(self._trace), append_unknown,
               tuple(sorted((name, repr(value)) for name, value in defaults.items())),
               tuple(sorted((name, type(converter)) for name, converter in self._converters.items())))
        builder = builders.get(key)
        if builder is None:
            builder = builders[key] = compile_builder(self, append_unknown)
        return builder

    Rule._compile_builder = reused


_reuse_url_builders()

# The tests write to the real database; keep the developer's own instance out of reach.
os.environ.pop("DATABASE_URL", None)


def _base_config(instance_path, database_url):
    return {
        "TESTING": True,
        "INSTANCE_PATH": str(instance_path),
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SECRET_KEY": "test-secret-key",
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "SERVER_NAME": None,
    }


def _migrate(database_url, instance_path):
    from flask_migrate import upgrade

    app = create_app(_base_config(instance_path, database_url))
    with app.app_context():
        upgrade()
        db.engine.dispose()


@pytest.fixture(scope="session")
def database_template(tmp_path_factory):
    """('sqlite', template file) or ('postgresql', url of a migrated database)."""
    base = tmp_path_factory.mktemp("template")
    pg_url = os.environ.get("TEST_DATABASE_URL")
    if pg_url:
        url = make_url(pg_url)
        name = f"lpp_test_{uuid.uuid4().hex[:10]}"
        admin = create_engine(url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        test_url = url.set(database=name).render_as_string(hide_password=False)
        _migrate(test_url, base)
        yield "postgresql", test_url
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    else:
        path = base / "template.sqlite3"
        _migrate(f"sqlite:///{path}", base)
        yield "sqlite", path


_engines: dict[str, object] = {}


def _empty_all_tables(database_url):
    """Empty every table and restart the id sequences. DELETE rather than TRUNCATE:
    on small tables TRUNCATE costs ~0.4 s per test (it rewrites each table's files),
    DELETE ~10 ms."""
    engine = _engines.get(database_url)
    if engine is None:
        engine = _engines[database_url] = create_engine(database_url, poolclass=NullPool)
    tables = list(reversed(db.metadata.sorted_tables))
    with engine.begin() as conn:
        for table in tables:
            conn.execute(text(f'DELETE FROM "{table.name}"'))
        for name in (table.name for table in tables if "id" in table.c):
            conn.execute(text(
                "SELECT setval(seq, 1, false) FROM pg_get_serial_sequence(:table, 'id') AS seq WHERE seq IS NOT NULL"
            ), {"table": name})


@pytest.fixture
def database_url(database_template, tmp_path, request):
    kind, template = database_template
    snapshot = _world_snapshot_for(request)
    if kind == "sqlite":
        path = tmp_path / "participation.sqlite3"
        shutil.copyfile(snapshot.database if snapshot else template, path)
        return f"sqlite:///{path}"
    _empty_all_tables(template)
    if snapshot:
        _restore_rows(template, snapshot.database)
    return template


@pytest.fixture
def app_config(tmp_path, database_url, request):
    """Override or extend before the ``app`` fixture runs (e.g. to enable CSRF)."""
    instance = tmp_path / "instance"
    snapshot = _world_snapshot_for(request)
    if snapshot:
        shutil.copytree(snapshot.instance, instance)
    else:
        instance.mkdir()
    return _base_config(instance, database_url)


# ---------------------------------------------------------------- worlds built once
#
# The access matrices run hundreds of cases against one "world" (an account of each role,
# drafts, opinions, tokens) that each case used to build anew: about 40 % of the suite's
# time. ``world_built_once`` builds it in a module's first case (on each xdist worker) and
# keeps a copy of the database and the instance folder as they were right after; every
# later case of the module starts from that copy — as fresh as a build, since nothing a
# case does reaches the copy.

@dataclass
class _WorldSnapshot:
    database: object      # SQLite: the file's copy; PostgreSQL: every table's rows
    instance: Path        # the instance folder's copy (uploaded files)
    value: object         # the world, ORM objects replaced by references
    now: object           # the frozen clock at the time of the build


@dataclass(frozen=True)
class _Row:
    model: type
    id: int


_world_snapshots: dict[str, _WorldSnapshot] = {}


def _world_key(request) -> str | None:
    if "world" not in request.fixturenames or not getattr(request.module, "WORLD_BUILT_ONCE", False):
        return None
    return request.module.__name__


def _world_snapshot_for(request) -> "_WorldSnapshot | None":
    key = _world_key(request)
    return _world_snapshots.get(key) if key else None


def _references(value):
    if hasattr(value, "__table__") and hasattr(value, "id"):
        return _Row(type(value), value.id)
    if isinstance(value, dict):
        return {key: _references(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_references(item) for item in value)
    return value


def _objects(value):
    if isinstance(value, _Row):
        return db.session.get(value.model, value.id)
    if isinstance(value, dict):
        return {key: _objects(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_objects(item) for item in value)
    return value


def _dump_rows(database_url) -> dict:
    engine = _engines[database_url]
    with engine.connect() as conn:
        return {table.name: [dict(row._mapping) for row in conn.execute(table.select())]
                for table in db.metadata.sorted_tables}


def _restore_rows(database_url, rows: dict) -> None:
    """Put back the rows of ``_dump_rows`` into emptied tables, with triggers off (the
    tally's counts are among the rows) and the id sequences moved past them."""
    engine = _engines[database_url]
    with engine.begin() as conn:
        conn.execute(text("SET LOCAL session_replication_role = replica"))
        for table in db.metadata.sorted_tables:
            if rows.get(table.name):
                conn.execute(table.insert(), rows[table.name])
        for table in db.metadata.sorted_tables:
            if "id" in table.c and rows.get(table.name):
                conn.execute(text(
                    "SELECT setval(seq, (SELECT max(id) FROM \"" + table.name + "\"), true) "
                    "FROM pg_get_serial_sequence(:table, 'id') AS seq WHERE seq IS NOT NULL"), {"table": table.name})


def world_built_once(request, build):
    """The module's world: ``build(**fixtures)`` (its parameters name the fixtures it
    needs) the first time, a copy of its result afterwards. The module opts in with
    ``WORLD_BUILT_ONCE = True`` and its fixture must be named ``world``. The clock is
    frozen, at the build's time."""
    import inspect

    app = request.getfixturevalue("app")
    frozen = request.getfixturevalue("frozen_now")
    key = _world_key(request)
    assert key, "world_built_once needs WORLD_BUILT_ONCE = True in the module and a fixture named world"
    snapshot = _world_snapshots.get(key)
    if snapshot is not None:
        frozen.set(snapshot.now)
        return _objects(snapshot.value)
    value = build(**{name: request.getfixturevalue(name) for name in inspect.signature(build).parameters})
    db.session.commit()
    folder = Path(request.getfixturevalue("tmp_path_factory").mktemp("world"))
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if url.startswith("sqlite"):
        import sqlite3

        database = folder / "world.sqlite3"
        source, target = sqlite3.connect(make_url(url).database), sqlite3.connect(database)
        try:
            source.backup(target)
        finally:
            source.close()
            target.close()
    else:
        database = _dump_rows(url)
    shutil.copytree(app.instance_path, folder / "instance")
    _world_snapshots[key] = _WorldSnapshot(database, folder / "instance", _references(value), frozen.now)
    return value


class RequestBoundaryClient(FlaskClient):
    """A test client whose every request runs in an app context of its own, as in
    production: its own ``g`` (Flask-Login's cached user) and its own database session.

    The ``app`` fixture keeps an app context pushed for the test, and Flask reuses a
    pushed context for requests, which would share the test's session and ``g`` with
    every request. The test's own session commits before each request (so a request
    never waits on a write lock the test holds) and ends its transaction after it (so
    the test then reads what the request committed, not an old snapshot).
    """

    def open(self, *args, **kwargs):
        if has_app_context():
            db.session.commit()
        try:
            with self.application.app_context():
                return super().open(*args, **kwargs)
        finally:
            if has_app_context():
                db.session.rollback()


@pytest.fixture
def app(app_config):
    app = create_app(app_config)
    app.test_client_class = RequestBoundaryClient
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def frozen_now(monkeypatch):
    """Freeze the server clock; returns a setter to move it."""
    from participation.database import utcnow

    state = {"now": utcnow().replace(microsecond=0)}
    monkeypatch.setattr(clock, "now", lambda: state["now"])

    class Clock:
        @property
        def now(self):
            return state["now"]

        def set(self, value):
            state["now"] = value

        def advance(self, **kwargs):
            state["now"] = state["now"] + timedelta(**kwargs)

    return Clock()


@contextmanager
def fast_password_hashing():
    """Accounts made by factories get a one-round PBKDF2 hash instead of scrypt: tests
    make hundreds of accounts. Sign-in still checks them through the real code path, and
    the tests of the account services check the production algorithm."""
    from participation.services import accounts

    original = accounts.generate_password_hash
    accounts.generate_password_hash = partial(original, method="pbkdf2:sha256:1")
    try:
        yield
    finally:
        accounts.generate_password_hash = original


@pytest.fixture
def make_user(app):
    from participation.models import Role
    from participation.services import accounts

    counter = {"n": 0}

    def make(role="citizen", *, email=None, password=DEMO_PASSWORD, display_name=None, liaison_point=None,
             production_hash=False, **extra):
        counter["n"] += 1
        role = Role(role)
        if role == Role.OPERATOR and liaison_point is None:
            from participation.services.liaison import create_liaison_point

            liaison_point = create_liaison_point(name=f"测试联系点{counter['n']}-{uuid.uuid4().hex[:6]}")
        if role == Role.DEPUTY:
            extra.setdefault("deputy_number", f"D{counter['n']:04d}{uuid.uuid4().hex[:4]}")
            extra.setdefault("delegation", "测试代表团")
        with (nullcontext() if production_hash else fast_password_hashing()):
            user = accounts.create_user(
                email=email or f"{role.value}{counter['n']}@example.org", password=password, role=role,
                display_name=display_name if display_name is not None else f"{role.value}{counter['n']}",
                liaison_point=liaison_point, **extra,
            )
        db.session.commit()
        return user

    return make


@pytest.fixture
def login(client):
    def do_login(user, password=DEMO_PASSWORD, test_client=None):
        target = test_client or client
        response = target.post("/login", data={"email": user.email, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return target

    return do_login


SAMPLE_DRAFT = """# 某市示例管理条例（草案）

## 第一章 总则

第一条 为了规范示例管理，制定本条例。

第二条 本条例适用于本市行政区域内的示例管理活动。

本条例所称示例，是指用于测试的条文。

## 第二章 管理

第三条 主管部门履行下列职责：

（一）制定规划；

（二）组织实施；

（三）监督检查。

第四条 违反本条例第三条第（一）项规定的，由主管部门责令改正。

## 第三章 附则

第五条 本条例自2027年1月1日起施行。
"""


@pytest.fixture
def make_draft(app):
    from participation.services import drafts as draft_service
    from participation.parsing import parse_text

    def make(text=SAMPLE_DRAFT, *, title="某市示例管理条例（草案）", published=False, days=30, created_by=None,
             opens_in=None, now=None):
        now = now or clock.now()
        document = parse_text(text)
        draft = draft_service.import_draft(
            title=title, document=document, source_format="text", source_filename="",
            source_bytes=text.encode("utf-8"), created_by=created_by,
        )
        if published:
            opens_at = now + (opens_in or timedelta(0))
            draft_service.publish_draft(draft, opens_at=opens_at, closes_at=opens_at + timedelta(days=days), now=now)
        db.session.commit()
        return draft

    return make


def _register_hypothesis_profiles():
    from hypothesis import HealthCheck, settings

    settings.register_profile("ci", derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    settings.register_profile("dev", deadline=None)
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


_register_hypothesis_profiles()
