"""tally counts kept by triggers

The tally (意见统计) of a large consultation was counted from the opinion rows at every
request: about a second for 100,000 opinions. These tables hold the counts instead, and
triggers on ``opinions`` change them in the same transaction as every insert, update and
delete of an opinion, whoever makes it (see participation/tally/upkeep.py, which holds
the current definitions; ``flask tally check`` compares the database with them):

* provision_ancestors: the provision tree's closure, filled by a trigger on provisions
  (a trigger also refuses to move a provision to another parent or version);
* tally_counts: opinions aimed at each node by state, stance, category, liaison point;
* tally_submitters / tally_nodes: for distinct submitters with roll-ups, each
  submitter's number of (not hidden) opinions in each node's subtree, and per node the
  number of such submitters;
* tally_versions: a row per version that every tally change updates first (on
  PostgreSQL its row lock keeps concurrent changes of a version from deadlocking).

Node 0 stands for opinions on the draft as a whole, node -1 for the whole draft. The
upgrade counts the existing opinions; the SQL below is a copy, frozen with this revision.

Revision ID: b8e4c1f07a2d
Revises: 7d3e2a9c4b10
Create Date: 2026-11-26 13:26:06.817269

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b8e4c1f07a2d'
down_revision = '7d3e2a9c4b10'
branch_labels = None
depends_on = None

SQLITE_TRIGGERS = {
    'provision_ancestors_insert': """CREATE TRIGGER provision_ancestors_insert AFTER INSERT ON provisions BEGIN
  SELECT RAISE(ABORT, 'provision_ancestors: the parent provision has no ancestors row') WHERE NEW.parent_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM provision_ancestors WHERE provision_id = NEW.parent_id);
  INSERT INTO provision_ancestors (provision_id, ancestor_id) SELECT NEW.id, ancestor_id FROM provision_ancestors WHERE provision_id = NEW.parent_id UNION ALL SELECT NEW.id, NEW.id;
END""",
    'provisions_stay_in_place': """CREATE TRIGGER provisions_stay_in_place BEFORE UPDATE OF parent_id, version_id ON provisions WHEN OLD.parent_id IS NOT NEW.parent_id OR OLD.version_id IS NOT NEW.version_id BEGIN
  SELECT RAISE(ABORT, 'provisions do not move: a new text is a new version');
END""",
    'opinions_tally_insert': """CREATE TRIGGER opinions_tally_insert AFTER INSERT ON opinions BEGIN
  INSERT INTO tally_versions (version_id, changes) VALUES (NEW.version_id, 1) ON CONFLICT (version_id) DO UPDATE SET changes = changes + 1;
  INSERT INTO tally_counts (version_id, node, moderation_state, stance, category, liaison_point, opinions, represented) VALUES (NEW.version_id, coalesce(NEW.provision_id, 0), NEW.moderation_state, NEW.stance, NEW.category, coalesce(NEW.liaison_point_id, 0), 1, NEW.represented_count) ON CONFLICT (version_id, node, moderation_state, stance, category, liaison_point) DO UPDATE SET opinions = opinions + 1, represented = represented + excluded.represented;
  INSERT INTO tally_submitters (version_id, node, submitter_key, opinions) SELECT NEW.version_id, node, NEW.submitter_key, 1 FROM (SELECT ancestor_id AS node FROM provision_ancestors WHERE provision_id = NEW.provision_id UNION ALL SELECT 0 WHERE NEW.provision_id IS NULL UNION ALL SELECT -1) WHERE NEW.moderation_state <> 'hidden' ON CONFLICT (version_id, node, submitter_key) DO UPDATE SET opinions = opinions + 1;
  INSERT INTO tally_nodes (version_id, node, submitters) SELECT version_id, node, 1 FROM tally_submitters WHERE version_id = NEW.version_id AND submitter_key = NEW.submitter_key AND opinions = 1 AND node IN (SELECT ancestor_id AS node FROM provision_ancestors WHERE provision_id = NEW.provision_id UNION ALL SELECT 0 WHERE NEW.provision_id IS NULL UNION ALL SELECT -1) AND NEW.moderation_state <> 'hidden' ON CONFLICT (version_id, node) DO UPDATE SET submitters = submitters + 1;
END""",
    'opinions_tally_delete': """CREATE TRIGGER opinions_tally_delete AFTER DELETE ON opinions BEGIN
  UPDATE tally_versions SET changes = changes + 1 WHERE version_id = OLD.version_id;
  UPDATE tally_counts SET opinions = opinions - 1, represented = represented - OLD.represented_count WHERE version_id = OLD.version_id AND node = coalesce(OLD.provision_id, 0) AND moderation_state = OLD.moderation_state AND stance = OLD.stance AND category = OLD.category AND liaison_point = coalesce(OLD.liaison_point_id, 0);
  DELETE FROM tally_counts WHERE version_id = OLD.version_id AND node = coalesce(OLD.provision_id, 0) AND moderation_state = OLD.moderation_state AND stance = OLD.stance AND category = OLD.category AND liaison_point = coalesce(OLD.liaison_point_id, 0) AND opinions = 0;
  UPDATE tally_submitters SET opinions = opinions - 1 WHERE version_id = OLD.version_id AND submitter_key = OLD.submitter_key AND node IN (SELECT ancestor_id AS node FROM provision_ancestors WHERE provision_id = OLD.provision_id UNION ALL SELECT 0 WHERE OLD.provision_id IS NULL UNION ALL SELECT -1) AND OLD.moderation_state <> 'hidden';
  UPDATE tally_nodes SET submitters = submitters - 1 WHERE version_id = OLD.version_id AND node IN (SELECT node FROM tally_submitters WHERE version_id = OLD.version_id AND submitter_key = OLD.submitter_key AND node IN (SELECT ancestor_id AS node FROM provision_ancestors WHERE provision_id = OLD.provision_id UNION ALL SELECT 0 WHERE OLD.provision_id IS NULL UNION ALL SELECT -1) AND opinions = 0) AND OLD.moderation_state <> 'hidden';
  DELETE FROM tally_submitters WHERE version_id = OLD.version_id AND submitter_key = OLD.submitter_key AND node IN (SELECT ancestor_id AS node FROM provision_ancestors WHERE provision_id = OLD.provision_id UNION ALL SELECT 0 WHERE OLD.provision_id IS NULL UNION ALL SELECT -1) AND opinions = 0 AND OLD.moderation_state <> 'hidden';
END""",
    'opinions_tally_update': """CREATE TRIGGER opinions_tally_update AFTER UPDATE OF version_id, provision_id, moderation_state, stance, category, liaison_point_id, represented_count ON opinions WHEN OLD.version_id IS NOT NEW.version_id OR OLD.provision_id IS NOT NEW.provision_id OR OLD.moderation_state IS NOT NEW.moderation_state OR OLD.stance IS NOT NEW.stance OR OLD.category IS NOT NEW.category OR OLD.liaison_point_id IS NOT NEW.liaison_point_id OR OLD.represented_count IS NOT NEW.represented_count BEGIN
  INSERT INTO tally_versions (version_id, changes) VALUES (NEW.version_id, 1) ON CONFLICT (version_id) DO UPDATE SET changes = changes + 1;
  UPDATE tally_versions SET changes = changes + 1 WHERE version_id = OLD.version_id AND OLD.version_id IS NOT NEW.version_id;
  UPDATE tally_counts SET opinions = opinions - 1, represented = represented - OLD.represented_count WHERE version_id = OLD.version_id AND node = coalesce(OLD.provision_id, 0) AND moderation_state = OLD.moderation_state AND stance = OLD.stance AND category = OLD.category AND liaison_point = coalesce(OLD.liaison_point_id, 0);
  DELETE FROM tally_counts WHERE version_id = OLD.version_id AND node = coalesce(OLD.provision_id, 0) AND moderation_state = OLD.moderation_state AND stance = OLD.stance AND category = OLD.category AND liaison_point = coalesce(OLD.liaison_point_id, 0) AND opinions = 0;
  INSERT INTO tally_counts (version_id, node, moderation_state, stance, category, liaison_point, opinions, represented) VALUES (NEW.version_id, coalesce(NEW.provision_id, 0), NEW.moderation_state, NEW.stance, NEW.category, coalesce(NEW.liaison_point_id, 0), 1, NEW.represented_count) ON CONFLICT (version_id, node, moderation_state, stance, category, liaison_point) DO UPDATE SET opinions = opinions + 1, represented = represented + excluded.represented;
END""",
    'opinions_tally_update_submitters': """CREATE TRIGGER opinions_tally_update_submitters AFTER UPDATE OF version_id, provision_id, moderation_state, submitter_key ON opinions WHEN (OLD.moderation_state = 'hidden') IS NOT (NEW.moderation_state = 'hidden') OR OLD.version_id IS NOT NEW.version_id OR OLD.provision_id IS NOT NEW.provision_id OR OLD.submitter_key IS NOT NEW.submitter_key BEGIN
  UPDATE tally_submitters SET opinions = opinions - 1 WHERE version_id = OLD.version_id AND submitter_key = OLD.submitter_key AND node IN (SELECT ancestor_id AS node FROM provision_ancestors WHERE provision_id = OLD.provision_id UNION ALL SELECT 0 WHERE OLD.provision_id IS NULL UNION ALL SELECT -1) AND OLD.moderation_state <> 'hidden';
  UPDATE tally_nodes SET submitters = submitters - 1 WHERE version_id = OLD.version_id AND node IN (SELECT node FROM tally_submitters WHERE version_id = OLD.version_id AND submitter_key = OLD.submitter_key AND node IN (SELECT ancestor_id AS node FROM provision_ancestors WHERE provision_id = OLD.provision_id UNION ALL SELECT 0 WHERE OLD.provision_id IS NULL UNION ALL SELECT -1) AND opinions = 0) AND OLD.moderation_state <> 'hidden';
  DELETE FROM tally_submitters WHERE version_id = OLD.version_id AND submitter_key = OLD.submitter_key AND node IN (SELECT ancestor_id AS node FROM provision_ancestors WHERE provision_id = OLD.provision_id UNION ALL SELECT 0 WHERE OLD.provision_id IS NULL UNION ALL SELECT -1) AND opinions = 0 AND OLD.moderation_state <> 'hidden';
  INSERT INTO tally_submitters (version_id, node, submitter_key, opinions) SELECT NEW.version_id, node, NEW.submitter_key, 1 FROM (SELECT ancestor_id AS node FROM provision_ancestors WHERE provision_id = NEW.provision_id UNION ALL SELECT 0 WHERE NEW.provision_id IS NULL UNION ALL SELECT -1) WHERE NEW.moderation_state <> 'hidden' ON CONFLICT (version_id, node, submitter_key) DO UPDATE SET opinions = opinions + 1;
  INSERT INTO tally_nodes (version_id, node, submitters) SELECT version_id, node, 1 FROM tally_submitters WHERE version_id = NEW.version_id AND submitter_key = NEW.submitter_key AND opinions = 1 AND node IN (SELECT ancestor_id AS node FROM provision_ancestors WHERE provision_id = NEW.provision_id UNION ALL SELECT 0 WHERE NEW.provision_id IS NULL UNION ALL SELECT -1) AND NEW.moderation_state <> 'hidden' ON CONFLICT (version_id, node) DO UPDATE SET submitters = submitters + 1;
END""",
}

POSTGRESQL_FUNCTIONS = {
    'tally_provision_ancestors': """CREATE OR REPLACE FUNCTION tally_provision_ancestors() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF OLD.parent_id IS DISTINCT FROM NEW.parent_id OR OLD.version_id IS DISTINCT FROM NEW.version_id THEN
            RAISE EXCEPTION 'provisions do not move: a new text is a new version';
        END IF;
        RETURN NEW;
    END IF;
    IF NEW.parent_id IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM provision_ancestors WHERE provision_id = NEW.parent_id) THEN
        RAISE EXCEPTION 'provision_ancestors: the parent provision has no ancestors row';
    END IF;
    INSERT INTO provision_ancestors (provision_id, ancestor_id)
        SELECT NEW.id, ancestor_id FROM provision_ancestors WHERE provision_id = NEW.parent_id
        UNION ALL SELECT NEW.id, NEW.id;
    RETURN NULL;
END
$$""",
    'tally_opinion_change': """CREATE OR REPLACE FUNCTION tally_opinion_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    old_counted boolean := TG_OP <> 'INSERT' AND OLD.moderation_state <> 'hidden';
    new_counted boolean := TG_OP <> 'DELETE' AND NEW.moderation_state <> 'hidden';
    counts_change boolean := TG_OP <> 'UPDATE' OR
        (OLD.version_id, OLD.provision_id, OLD.moderation_state, OLD.stance, OLD.category, OLD.liaison_point_id,
         OLD.represented_count)
        IS DISTINCT FROM
        (NEW.version_id, NEW.provision_id, NEW.moderation_state, NEW.stance, NEW.category, NEW.liaison_point_id,
         NEW.represented_count);
    submitters_change boolean := TG_OP <> 'UPDATE' OR old_counted IS DISTINCT FROM new_counted OR
        (OLD.version_id, OLD.provision_id, OLD.submitter_key)
        IS DISTINCT FROM (NEW.version_id, NEW.provision_id, NEW.submitter_key);
    nodes integer[];
BEGIN
    IF NOT (counts_change OR submitters_change) THEN
        RETURN NULL;
    END IF;
    -- First the version's row: its lock puts this version's tally changes in line.
    IF TG_OP <> 'DELETE' THEN
        INSERT INTO tally_versions AS t (version_id, changes) VALUES (NEW.version_id, 1)
            ON CONFLICT (version_id) DO UPDATE SET changes = t.changes + 1;
    END IF;
    IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND OLD.version_id <> NEW.version_id) THEN
        -- Removals never insert: in a cascade the version row may already be gone.
        UPDATE tally_versions SET changes = changes + 1 WHERE version_id = OLD.version_id;
    END IF;

    IF counts_change AND TG_OP <> 'INSERT' THEN
        UPDATE tally_counts SET opinions = opinions - 1, represented = represented - OLD.represented_count
            WHERE version_id = OLD.version_id AND node = coalesce(OLD.provision_id, 0)
              AND moderation_state = OLD.moderation_state AND stance = OLD.stance AND category = OLD.category
              AND liaison_point = coalesce(OLD.liaison_point_id, 0);
        DELETE FROM tally_counts
            WHERE version_id = OLD.version_id AND node = coalesce(OLD.provision_id, 0)
              AND moderation_state = OLD.moderation_state AND stance = OLD.stance AND category = OLD.category
              AND liaison_point = coalesce(OLD.liaison_point_id, 0) AND opinions = 0;
    END IF;
    IF counts_change AND TG_OP <> 'DELETE' THEN
        INSERT INTO tally_counts AS t (version_id, node, moderation_state, stance, category, liaison_point,
                                       opinions, represented)
            VALUES (NEW.version_id, coalesce(NEW.provision_id, 0), NEW.moderation_state, NEW.stance, NEW.category,
                    coalesce(NEW.liaison_point_id, 0), 1, NEW.represented_count)
            ON CONFLICT (version_id, node, moderation_state, stance, category, liaison_point)
            DO UPDATE SET opinions = t.opinions + 1, represented = t.represented + excluded.represented;
    END IF;

    IF submitters_change AND old_counted THEN
        nodes := ARRAY(SELECT ancestor_id FROM provision_ancestors WHERE provision_id = OLD.provision_id)
                 || CASE WHEN OLD.provision_id IS NULL THEN ARRAY[0, -1] ELSE ARRAY[-1] END;
        WITH lowered AS (
            UPDATE tally_submitters SET opinions = opinions - 1
                WHERE version_id = OLD.version_id AND node = ANY (nodes) AND submitter_key = OLD.submitter_key
                RETURNING node, opinions
        )
        UPDATE tally_nodes SET submitters = submitters - 1
            WHERE version_id = OLD.version_id AND node IN (SELECT node FROM lowered WHERE opinions = 0);
        DELETE FROM tally_submitters
            WHERE version_id = OLD.version_id AND node = ANY (nodes) AND submitter_key = OLD.submitter_key
              AND opinions = 0;
    END IF;
    IF submitters_change AND new_counted THEN
        nodes := ARRAY(SELECT ancestor_id FROM provision_ancestors WHERE provision_id = NEW.provision_id)
                 || CASE WHEN NEW.provision_id IS NULL THEN ARRAY[0, -1] ELSE ARRAY[-1] END;
        WITH raised AS (
            INSERT INTO tally_submitters AS t (version_id, node, submitter_key, opinions)
                SELECT NEW.version_id, node, NEW.submitter_key, 1 FROM unnest(nodes) AS node ORDER BY node
                ON CONFLICT (version_id, node, submitter_key) DO UPDATE SET opinions = t.opinions + 1
                RETURNING node, opinions
        )
        INSERT INTO tally_nodes AS t (version_id, node, submitters)
            SELECT NEW.version_id, node, 1 FROM raised WHERE opinions = 1 ORDER BY node
            ON CONFLICT (version_id, node) DO UPDATE SET submitters = t.submitters + 1;
    END IF;
    RETURN NULL;
END
$$""",
    'tally_opinions_inserted': """CREATE OR REPLACE FUNCTION tally_opinions_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- First the versions' rows, in id order: their locks put these tally changes in line.
    INSERT INTO tally_versions AS t (version_id, changes)
        SELECT version_id, count(*) FROM inserted_opinions GROUP BY version_id ORDER BY version_id
        ON CONFLICT (version_id) DO UPDATE SET changes = t.changes + excluded.changes;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    INSERT INTO tally_counts AS t (version_id, node, moderation_state, stance, category, liaison_point,
                                   opinions, represented)
        SELECT version_id, coalesce(provision_id, 0), moderation_state, stance, category,
               coalesce(liaison_point_id, 0), count(*), sum(represented_count)
        FROM inserted_opinions GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 1, 2, 3, 4, 5, 6
        ON CONFLICT (version_id, node, moderation_state, stance, category, liaison_point)
        DO UPDATE SET opinions = t.opinions + excluded.opinions, represented = t.represented + excluded.represented;
    WITH added AS (
        SELECT o.version_id, path.node, o.submitter_key, count(*) AS opinions
        FROM inserted_opinions o
        CROSS JOIN LATERAL (
            SELECT ancestor_id AS node FROM provision_ancestors WHERE provision_id = o.provision_id
            UNION ALL SELECT 0 WHERE o.provision_id IS NULL
            UNION ALL SELECT -1
        ) AS path
        WHERE o.moderation_state <> 'hidden'
        GROUP BY 1, 2, 3
    ), raised AS (
        INSERT INTO tally_submitters AS t (version_id, node, submitter_key, opinions)
            SELECT version_id, node, submitter_key, opinions FROM added ORDER BY 1, 2, 3
            ON CONFLICT (version_id, node, submitter_key) DO UPDATE SET opinions = t.opinions + excluded.opinions
            RETURNING t.version_id, t.node, t.submitter_key, t.opinions
    )
    -- A submitter is new to a node when the row holds just what this statement added.
    INSERT INTO tally_nodes AS t (version_id, node, submitters)
        SELECT raised.version_id, raised.node, count(*) FROM raised
        JOIN added USING (version_id, node, submitter_key)
        WHERE raised.opinions = added.opinions
        GROUP BY 1, 2 ORDER BY 1, 2
        ON CONFLICT (version_id, node) DO UPDATE SET submitters = t.submitters + excluded.submitters;
    RETURN NULL;
END
$$""",
}

POSTGRESQL_TRIGGERS = {
    'provision_ancestors_insert': """CREATE OR REPLACE TRIGGER provision_ancestors_insert AFTER INSERT ON provisions FOR EACH ROW EXECUTE FUNCTION tally_provision_ancestors()""",
    'provisions_stay_in_place': """CREATE OR REPLACE TRIGGER provisions_stay_in_place BEFORE UPDATE OF parent_id, version_id ON provisions FOR EACH ROW EXECUTE FUNCTION tally_provision_ancestors()""",
    'opinions_tally': """CREATE OR REPLACE TRIGGER opinions_tally AFTER DELETE OR UPDATE OF category, liaison_point_id, moderation_state, provision_id, represented_count, stance, submitter_key, version_id ON opinions FOR EACH ROW EXECUTE FUNCTION tally_opinion_change()""",
    'opinions_tally_inserted': """CREATE OR REPLACE TRIGGER opinions_tally_inserted AFTER INSERT ON opinions REFERENCING NEW TABLE AS inserted_opinions FOR EACH STATEMENT EXECUTE FUNCTION tally_opinions_inserted()""",
}


BACKFILL = [
    # The closure of every provision tree.
    """WITH RECURSIVE up(provision_id, ancestor_id) AS (
        SELECT id, id FROM provisions
        UNION ALL
        SELECT up.provision_id, p.parent_id FROM up JOIN provisions p ON p.id = up.ancestor_id
        WHERE p.parent_id IS NOT NULL
    )
    INSERT INTO provision_ancestors (provision_id, ancestor_id) SELECT provision_id, ancestor_id FROM up""",
    """INSERT INTO tally_counts (version_id, node, moderation_state, stance, category, liaison_point, opinions,
                                 represented)
    SELECT version_id, coalesce(provision_id, 0), moderation_state, stance, category, coalesce(liaison_point_id, 0),
           count(*), sum(represented_count)
    FROM opinions
    GROUP BY version_id, coalesce(provision_id, 0), moderation_state, stance, category, coalesce(liaison_point_id, 0)""",
    """INSERT INTO tally_submitters (version_id, node, submitter_key, opinions)
    SELECT o.version_id, a.ancestor_id, o.submitter_key, count(*)
    FROM opinions o JOIN provision_ancestors a ON a.provision_id = o.provision_id
    WHERE o.moderation_state <> 'hidden'
    GROUP BY o.version_id, a.ancestor_id, o.submitter_key
    UNION ALL
    SELECT version_id, 0, submitter_key, count(*) FROM opinions
    WHERE provision_id IS NULL AND moderation_state <> 'hidden'
    GROUP BY version_id, submitter_key
    UNION ALL
    SELECT version_id, -1, submitter_key, count(*) FROM opinions
    WHERE moderation_state <> 'hidden'
    GROUP BY version_id, submitter_key""",
    """INSERT INTO tally_nodes (version_id, node, submitters)
    SELECT version_id, node, count(*) FROM tally_submitters GROUP BY version_id, node""",
    """INSERT INTO tally_versions (version_id, changes)
    SELECT version_id, 0 FROM tally_counts GROUP BY version_id""",
]


def upgrade():
    op.create_table('tally_counts',
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('node', sa.Integer(), nullable=False),
    sa.Column('moderation_state', sa.String(length=12), nullable=False),
    sa.Column('stance', sa.String(length=12), nullable=False),
    sa.Column('category', sa.String(length=20), nullable=False),
    sa.Column('liaison_point', sa.Integer(), nullable=False),
    sa.Column('opinions', sa.Integer(), nullable=False),
    sa.Column('represented', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['version_id'], ['draft_versions.id'], name=op.f('fk_tally_counts_version_id_draft_versions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('version_id', 'node', 'moderation_state', 'stance', 'category', 'liaison_point', name=op.f('pk_tally_counts')),
    sqlite_with_rowid=False
    )
    op.create_table('tally_nodes',
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('node', sa.Integer(), nullable=False),
    sa.Column('submitters', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['version_id'], ['draft_versions.id'], name=op.f('fk_tally_nodes_version_id_draft_versions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('version_id', 'node', name=op.f('pk_tally_nodes')),
    sqlite_with_rowid=False
    )
    op.create_table('tally_submitters',
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('node', sa.Integer(), nullable=False),
    sa.Column('submitter_key', sa.String(length=120), nullable=False),
    sa.Column('opinions', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['version_id'], ['draft_versions.id'], name=op.f('fk_tally_submitters_version_id_draft_versions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('version_id', 'node', 'submitter_key', name=op.f('pk_tally_submitters')),
    sqlite_with_rowid=False
    )
    op.create_table('tally_versions',
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('changes', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['version_id'], ['draft_versions.id'], name=op.f('fk_tally_versions_version_id_draft_versions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('version_id', name=op.f('pk_tally_versions'))
    )
    op.create_table('provision_ancestors',
    sa.Column('provision_id', sa.Integer(), nullable=False),
    sa.Column('ancestor_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['ancestor_id'], ['provisions.id'], name=op.f('fk_provision_ancestors_ancestor_id_provisions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['provision_id'], ['provisions.id'], name=op.f('fk_provision_ancestors_provision_id_provisions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('provision_id', 'ancestor_id', name=op.f('pk_provision_ancestors')),
    sqlite_with_rowid=False
    )
    with op.batch_alter_table('provision_ancestors', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_provision_ancestors_ancestor_id'), ['ancestor_id'], unique=False)

    bind = op.get_bind()
    for statement in BACKFILL:
        op.execute(statement)
    if bind.dialect.name == "sqlite":
        for statement in SQLITE_TRIGGERS.values():
            op.execute(statement)
    else:
        for statement in POSTGRESQL_FUNCTIONS.values():
            op.execute(statement)
        for statement in POSTGRESQL_TRIGGERS.values():
            op.execute(statement)


def downgrade():
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    else:
        op.execute("DROP TRIGGER IF EXISTS opinions_tally_inserted ON opinions")
        op.execute("DROP TRIGGER IF EXISTS opinions_tally ON opinions")
        op.execute("DROP TRIGGER IF EXISTS provisions_stay_in_place ON provisions")
        op.execute("DROP TRIGGER IF EXISTS provision_ancestors_insert ON provisions")
        op.execute("DROP FUNCTION IF EXISTS tally_opinions_inserted()")
        op.execute("DROP FUNCTION IF EXISTS tally_opinion_change()")
        op.execute("DROP FUNCTION IF EXISTS tally_provision_ancestors()")
    with op.batch_alter_table('provision_ancestors', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_provision_ancestors_ancestor_id'))

    op.drop_table('provision_ancestors')
    op.drop_table('tally_versions')
    op.drop_table('tally_submitters')
    op.drop_table('tally_nodes')
    op.drop_table('tally_counts')
