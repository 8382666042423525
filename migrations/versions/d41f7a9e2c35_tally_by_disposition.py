"""tally by disposition and channel

* ``opinions.channel``: how an opinion reached the committee (web 网站, api 接口, batch
  联系点汇总表), for the feedback report (意见采纳情况). Existing rows: batch where they
  came in a liaison-point batch, api where an API Idempotency-Key stored them, else web
  (API opinions sent without a key cannot be told from web ones: counted as web).
* ``tally_dispositions``: the tally (意见统计) gains the disposition dimension — opinions
  aimed at each node by moderation state, disposition (处理情况) and channel — kept exact
  by triggers on ``opinions`` in the same transaction as every change (see
  participation/tally/disposition_triggers.py, which holds the current definitions;
  ``flask tally check`` compares the database with them). On PostgreSQL inserts,
  updates and deletes are counted per statement from transition tables, so a bulk
  disposition of 10,000 opinions is one grouped upsert.

The existing tally triggers stay as they are, and the opinions table is not rebuilt (on
SQLite a batch rebuild would drop its triggers: plain ALTER TABLE instead). The upgrade
counts the existing opinions; the SQL below is a copy, frozen with this revision.

Revision ID: d41f7a9e2c35
Revises: 95c98006a7c7
Create Date: 2026-12-04 20:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd41f7a9e2c35'
down_revision = '95c98006a7c7'
branch_labels = None
depends_on = None

SQLITE_TRIGGERS = {
    'opinions_tally_dispositions_insert': """CREATE TRIGGER opinions_tally_dispositions_insert AFTER INSERT ON opinions BEGIN
  INSERT INTO tally_dispositions (version_id, node, moderation_state, disposition, channel, opinions, represented) VALUES (NEW.version_id, coalesce(NEW.provision_id, 0), NEW.moderation_state, NEW.disposition, NEW.channel, 1, NEW.represented_count) ON CONFLICT (version_id, node, moderation_state, disposition, channel) DO UPDATE SET opinions = opinions + 1, represented = represented + excluded.represented;
END""",
    'opinions_tally_dispositions_delete': """CREATE TRIGGER opinions_tally_dispositions_delete AFTER DELETE ON opinions BEGIN
  UPDATE tally_dispositions SET opinions = opinions - 1, represented = represented - OLD.represented_count WHERE version_id = OLD.version_id AND node = coalesce(OLD.provision_id, 0) AND moderation_state = OLD.moderation_state AND disposition = OLD.disposition AND channel = OLD.channel;
END""",
    'opinions_tally_dispositions_update': """CREATE TRIGGER opinions_tally_dispositions_update AFTER UPDATE OF version_id, provision_id, moderation_state, disposition, channel, represented_count ON opinions WHEN OLD.version_id IS NOT NEW.version_id OR OLD.provision_id IS NOT NEW.provision_id OR OLD.moderation_state IS NOT NEW.moderation_state OR OLD.disposition IS NOT NEW.disposition OR OLD.channel IS NOT NEW.channel OR OLD.represented_count IS NOT NEW.represented_count BEGIN
  UPDATE tally_dispositions SET opinions = opinions - 1, represented = represented - OLD.represented_count WHERE version_id = OLD.version_id AND node = coalesce(OLD.provision_id, 0) AND moderation_state = OLD.moderation_state AND disposition = OLD.disposition AND channel = OLD.channel;
  INSERT INTO tally_dispositions (version_id, node, moderation_state, disposition, channel, opinions, represented) VALUES (NEW.version_id, coalesce(NEW.provision_id, 0), NEW.moderation_state, NEW.disposition, NEW.channel, 1, NEW.represented_count) ON CONFLICT (version_id, node, moderation_state, disposition, channel) DO UPDATE SET opinions = opinions + 1, represented = represented + excluded.represented;
END""",
}

POSTGRESQL_FUNCTIONS = {
    'tally_dispositions_inserted': """CREATE OR REPLACE FUNCTION tally_dispositions_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO tally_versions AS t (version_id, changes)
        SELECT version_id, count(*) FROM inserted_opinions GROUP BY version_id ORDER BY version_id
        ON CONFLICT (version_id) DO UPDATE SET changes = t.changes + excluded.changes;
    IF FOUND THEN
        INSERT INTO tally_dispositions AS t (version_id, node, moderation_state, disposition, channel,
                                         opinions, represented)
        SELECT version_id, node, moderation_state, disposition, channel, sum(opinions), sum(represented)
        FROM (SELECT inserted_opinions.version_id, coalesce(inserted_opinions.provision_id, 0) AS node, inserted_opinions.moderation_state, inserted_opinions.disposition, inserted_opinions.channel, 1 AS opinions, inserted_opinions.represented_count AS represented FROM inserted_opinions) AS moved
        GROUP BY 1, 2, 3, 4, 5 HAVING sum(opinions) <> 0 OR sum(represented) <> 0 ORDER BY 1, 2, 3, 4, 5
        ON CONFLICT (version_id, node, moderation_state, disposition, channel)
        DO UPDATE SET opinions = t.opinions + excluded.opinions, represented = t.represented + excluded.represented;
    END IF;
    RETURN NULL;
END
$$""",
    'tally_dispositions_deleted': """CREATE OR REPLACE FUNCTION tally_dispositions_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Removals never insert a version row: in a cascade it may already be gone.
    PERFORM 1 FROM tally_versions WHERE version_id IN (SELECT version_id FROM deleted_opinions)
        ORDER BY version_id FOR UPDATE;
    IF FOUND THEN
        UPDATE tally_versions AS t SET changes = t.changes + d.changes
            FROM (SELECT version_id, count(*) AS changes FROM deleted_opinions GROUP BY version_id) AS d
            WHERE t.version_id = d.version_id;
        UPDATE tally_dispositions AS t
            SET opinions = t.opinions - d.opinions, represented = t.represented - d.represented
            FROM (SELECT version_id, coalesce(provision_id, 0) AS node, moderation_state, disposition, channel,
                         count(*) AS opinions, sum(represented_count) AS represented
                  FROM deleted_opinions GROUP BY 1, 2, 3, 4, 5) AS d
            WHERE (t.version_id, t.node, t.moderation_state, t.disposition, t.channel)
                = (d.version_id, d.node, d.moderation_state, d.disposition, d.channel);
    END IF;
    RETURN NULL;
END
$$""",
    'tally_dispositions_updated': """CREATE OR REPLACE FUNCTION tally_dispositions_updated() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    versions integer[];
BEGIN
    versions := ARRAY(SELECT o.version_id FROM old_opinions o JOIN new_opinions n USING (id) WHERE (o.version_id, o.provision_id, o.moderation_state, o.disposition, o.channel, o.represented_count) IS DISTINCT FROM (n.version_id, n.provision_id, n.moderation_state, n.disposition, n.channel, n.represented_count)
                      UNION SELECT n.version_id FROM old_opinions o JOIN new_opinions n USING (id) WHERE (o.version_id, o.provision_id, o.moderation_state, o.disposition, o.channel, o.represented_count) IS DISTINCT FROM (n.version_id, n.provision_id, n.moderation_state, n.disposition, n.channel, n.represented_count) ORDER BY 1);
    IF cardinality(versions) = 0 THEN
        RETURN NULL;
    END IF;
    INSERT INTO tally_versions AS t (version_id, changes)
        SELECT version_id, 1 FROM unnest(versions) AS version_id ORDER BY version_id
        ON CONFLICT (version_id) DO UPDATE SET changes = t.changes + 1;
    INSERT INTO tally_dispositions AS t (version_id, node, moderation_state, disposition, channel,
                                         opinions, represented)
        SELECT version_id, node, moderation_state, disposition, channel, sum(opinions), sum(represented)
        FROM (SELECT o.version_id, coalesce(o.provision_id, 0) AS node, o.moderation_state, o.disposition, o.channel, -1 AS opinions, -o.represented_count AS represented FROM old_opinions o JOIN new_opinions n USING (id) WHERE (o.version_id, o.provision_id, o.moderation_state, o.disposition, o.channel, o.represented_count) IS DISTINCT FROM (n.version_id, n.provision_id, n.moderation_state, n.disposition, n.channel, n.represented_count) UNION ALL SELECT n.version_id, coalesce(n.provision_id, 0) AS node, n.moderation_state, n.disposition, n.channel, 1 AS opinions, n.represented_count AS represented FROM old_opinions o JOIN new_opinions n USING (id) WHERE (o.version_id, o.provision_id, o.moderation_state, o.disposition, o.channel, o.represented_count) IS DISTINCT FROM (n.version_id, n.provision_id, n.moderation_state, n.disposition, n.channel, n.represented_count)) AS moved
        GROUP BY 1, 2, 3, 4, 5 HAVING sum(opinions) <> 0 OR sum(represented) <> 0 ORDER BY 1, 2, 3, 4, 5
        ON CONFLICT (version_id, node, moderation_state, disposition, channel)
        DO UPDATE SET opinions = t.opinions + excluded.opinions, represented = t.represented + excluded.represented;
    RETURN NULL;
END
$$""",
}

POSTGRESQL_TRIGGERS = {
    'opinions_tally_dispositions_inserted': """CREATE OR REPLACE TRIGGER opinions_tally_dispositions_inserted AFTER INSERT ON opinions REFERENCING NEW TABLE AS inserted_opinions FOR EACH STATEMENT EXECUTE FUNCTION tally_dispositions_inserted()""",
    'opinions_tally_dispositions_deleted': """CREATE OR REPLACE TRIGGER opinions_tally_dispositions_deleted AFTER DELETE ON opinions REFERENCING OLD TABLE AS deleted_opinions FOR EACH STATEMENT EXECUTE FUNCTION tally_dispositions_deleted()""",
    'opinions_tally_dispositions_updated': """CREATE OR REPLACE TRIGGER opinions_tally_dispositions_updated AFTER UPDATE ON opinions REFERENCING OLD TABLE AS old_opinions NEW TABLE AS new_opinions FOR EACH STATEMENT EXECUTE FUNCTION tally_dispositions_updated()""",
}

BACKFILL = [
    "UPDATE opinions SET channel = 'batch' WHERE batch_id IS NOT NULL",
    "UPDATE opinions SET channel = 'api' WHERE batch_id IS NULL AND submission_token LIKE 'api:%'",
    """INSERT INTO tally_dispositions (version_id, node, moderation_state, disposition, channel, opinions, represented)
    SELECT version_id, coalesce(provision_id, 0), moderation_state, disposition, channel, count(*),
           sum(represented_count)
    FROM opinions GROUP BY version_id, coalesce(provision_id, 0), moderation_state, disposition, channel""",
]


def upgrade():
    if op.get_bind().dialect.name == 'sqlite':
        # Plain ADD COLUMN: a batch rebuild of opinions would drop the tally triggers on it.
        op.execute("ALTER TABLE opinions ADD COLUMN channel VARCHAR(10) DEFAULT 'web' NOT NULL")
    else:
        op.add_column('opinions', sa.Column('channel', sa.String(length=10), server_default='web', nullable=False))
    op.create_table('tally_dispositions',
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('node', sa.Integer(), nullable=False),
    sa.Column('moderation_state', sa.String(length=12), nullable=False),
    sa.Column('disposition', sa.String(length=20), nullable=False),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('opinions', sa.Integer(), nullable=False),
    sa.Column('represented', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['version_id'], ['draft_versions.id'], name=op.f('fk_tally_dispositions_version_id_draft_versions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('version_id', 'node', 'moderation_state', 'disposition', 'channel', name=op.f('pk_tally_dispositions')),
    sqlite_with_rowid=False
    )
    for statement in BACKFILL:
        op.execute(statement)
    if op.get_bind().dialect.name == "sqlite":
        for statement in SQLITE_TRIGGERS.values():
            op.execute(statement)
    else:
        for statement in POSTGRESQL_FUNCTIONS.values():
            op.execute(statement)
        for statement in POSTGRESQL_TRIGGERS.values():
            op.execute(statement)


def downgrade():
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    else:
        for name in POSTGRESQL_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON opinions")
        for name in POSTGRESQL_FUNCTIONS:
            op.execute(f"DROP FUNCTION IF EXISTS {name}()")
    op.drop_table('tally_dispositions')
    if sqlite:
        # In place (SQLite 3.35+), so the tally triggers on opinions stay.
        op.execute("ALTER TABLE opinions DROP COLUMN channel")
    else:
        op.drop_column('opinions', 'channel')
