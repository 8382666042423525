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


def test_public_tally_columns_are_counted_from_existing_opinions(app, frozen_now, make_draft, make_user):
    """3c9e5b7a1f24 adds the published-only distinct submitters: upgrading a database
    that already holds pending and published opinions counts them, and the triggers it
    installs keep them (down and up again, with the opinions in place)."""
    from participation.models import ModerationMode, Opinion
    from participation.services import opinions as service
    from participation.tally import upkeep
    from participation.tally.compute import compute_tally

    draft = make_draft(published=True)
    draft.moderation_mode = ModerationMode.PRE.value
    db.session.commit()
    authors = [make_user("citizen") for _ in range(3)]
    staff = make_user("staff")
    submitted = [service.submit_opinion(draft, service.OpinionInput(body=f"意见{n}", stance="support"),
                                        author=authors[n % 3], now=frozen_now.now) for n in range(5)]
    service.publish_opinion(db.session.get(Opinion, submitted[0].id), by=staff, now=frozen_now.now)
    db.session.commit()
    draft_id, version_id = draft.id, draft.current_version.id
    staff_id, opinion_id = staff.id, submitted[1].id
    db.session.remove()

    downgrade(revision="ae3fd6086960")
    upgrade()
    assert upkeep.check_version(version_id) == []
    public = compute_tally(draft_id, version_id, published_only=True)
    assert (public.overall.total, public.overall.submitters) == (1, 1)
    # The installed triggers follow the next approval.
    from participation.models import User

    service.publish_opinion(db.session.get(Opinion, opinion_id), by=db.session.get(User, staff_id), now=frozen_now.now)
    db.session.commit()
    assert upkeep.check_version(version_id) == []
    assert compute_tally(draft_id, version_id, published_only=True).overall.submitters == 2
    assert upkeep.trigger_problems(db.session.connection()) == []
