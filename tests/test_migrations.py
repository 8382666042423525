"""The schema is made only by migrations, and the migrations match the models."""
from __future__ import annotations

from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from participation.extensions import db


def test_migrations_match_the_models(app, runner):
    # What `flask db check` does, with the differences visible when it fails.
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    migrate_config = app.extensions["migrate"].configure_args
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": migrate_config.get("compare_type", True)})
        differences = compare_metadata(context, db.metadata)
    assert differences == []
    result = runner.invoke(args=["db", "check"])
    assert result.exit_code == 0, result.output


def test_downgrade_to_empty_and_upgrade_again(app):
    downgrade(revision="base")
    remaining = set(inspect(db.engine).get_table_names()) - {"alembic_version"}
    assert remaining == set()
    upgrade()
    tables = set(inspect(db.engine).get_table_names())
    assert {t.name for t in db.metadata.sorted_tables} <= tables


def test_upgrading_keeps_existing_rows(app):
    """Table rebuilds on SQLite (batch mode) must not cascade-delete child rows."""
    from sqlalchemy import text

    downgrade(revision="base")
    upgrade(revision="ca65f8c038ff")
    with db.engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO drafts (id, title, issuing_body, summary, created_at) VALUES (1, 't', '', '', '2026-01-01 00:00:00')"))
        connection.execute(text(
            "INSERT INTO draft_versions (id, draft_id, number, reading, source_title, notes, issues, unplaced, "
            "source_filename, source_format, source_digest, created_at) "
            "VALUES (1, 1, 1, 'consultation', '', '[]', '[]', '[]', '', 'text', '', '2026-01-01 00:00:00')"))
        connection.execute(text(
            "INSERT INTO provisions (id, version_id, position, depth, kind, key, label, heading, text) "
            "VALUES (1, 1, 1, 0, 'article', 'art.1', '第一条', '', '')"))
    upgrade()
    with db.engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM draft_versions")).scalar() == 1
        assert connection.execute(text("SELECT count(*) FROM provisions")).scalar() == 1
        assert connection.execute(text("SELECT moderation_mode FROM drafts")).scalar() == "post"
