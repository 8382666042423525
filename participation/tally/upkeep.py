"""How the tally's counts (participation.models.tally) are kept exact.

**Triggers.** The database changes the counts in the same transaction as the opinion
row, whatever changes the row: the submission service, a liaison-point batch (a Core
``INSERT`` of many rows), a moderation change made through the ORM or by a bulk
``UPDATE``, a bulk ``DELETE``, a draft deleted with everything in it (cascades), SQL
typed by hand. Application code cannot forget to do it, and cannot do it twice.

For each opinion added (removed: the same with −1; an update: the old row removed, the
new one added, skipping what did not change):

1. ``tally_versions``: the version's row is bumped first. On PostgreSQL that row lock
   puts the transactions changing one version's tally in line, from their first
   opinion change to their commit; the other count rows are only touched behind it,
   so two transactions can never wait for each other's count rows (no deadlocks,
   whatever the order of the rows of a batch). SQLite has one writer at a time anyway.
2. ``tally_counts``: +1 on the row (node, state, stance, category, liaison point).
3. If the opinion is not hidden: +1 on ``tally_submitters`` (node, submitter) for
   every ancestor of its clause (itself included; the pseudo-node 0 for an opinion on
   the draft as a whole) and for the pseudo-node −1 (the whole draft). Where that count
   goes from 0 to 1 the submitter is new to the node: +1 on ``tally_nodes.submitters``.
   Removing mirrors it: a count back at 0 takes one off the node and the row goes.
   The same row counts the submitter's *published* opinions there (``published``), and
   moves ``tally_nodes.published_submitters`` as that passes 0: the public tally counts
   published opinions only (pending ones wait for review), distinct submitters included.

On PostgreSQL an ``INSERT`` is counted once per statement, from its transition table
(``tally_opinions_inserted``): the same steps, grouped, so a liaison-point batch of
10,000 rows makes one upsert per count row instead of 10,000 updates of the same few
rows. Updates and deletes are counted per row (``tally_opinion_change``).

A provision's ancestors come from ``provision_ancestors`` (one indexed lookup), which a
trigger on ``provisions`` fills as provisions are inserted; provisions never move (a
trigger refuses to change their parent or version: a new text is a new version).

The counts by disposition (``tally_dispositions``) have triggers of their own, in
participation.tally.disposition_triggers (PostgreSQL counts their updates and deletes
per statement too); they are installed, checked and rebuilt with these.

The migration that made the tables (``b8e4c1f07a2d``) created the triggers with a copy
of the SQL below; ``check`` verifies that the database has exactly these definitions,
``install_triggers`` (run by ``flask tally rebuild``) puts them back. On SQLite a
migration that rebuilds the ``opinions`` or ``provisions`` table (Alembic batch mode)
drops their triggers: run ``flask tally rebuild`` after it (``flask tally check`` says so).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Integer, case, delete, except_, func, insert, literal, select, union_all
from sqlalchemy.engine import Connection

from participation.extensions import db
from participation.models import DraftVersion, ModerationState, Opinion, Provision
from participation.models.tally import (
    EVERYTHING_NODE, NO_LIAISON_POINT, WHOLE_DRAFT_NODE, ProvisionAncestor, TallyCount, TallyDisposition, TallyNode,
    TallySubmitter, TallyVersion,
)
from participation.tally import disposition_triggers

HIDDEN = ModerationState.HIDDEN.value
PUBLISHED = ModerationState.PUBLISHED.value
assert (WHOLE_DRAFT_NODE, EVERYTHING_NODE, NO_LIAISON_POINT, HIDDEN, PUBLISHED) == (0, -1, 0, "hidden", "published"), \
    "the trigger SQL below spells these values out"

# --- SQLite ------------------------------------------------------------------------------

# The nodes an opinion row R counts in for distinct submitters.
_SQLITE_PATH = ("SELECT ancestor_id AS node FROM provision_ancestors WHERE provision_id = {r}.provision_id "
                "UNION ALL SELECT 0 WHERE {r}.provision_id IS NULL UNION ALL SELECT -1")
_SQLITE_COUNT_KEY = ("version_id = {r}.version_id AND node = coalesce({r}.provision_id, 0) "
                     "AND moderation_state = {r}.moderation_state AND stance = {r}.stance "
                     "AND category = {r}.category AND liaison_point = coalesce({r}.liaison_point_id, 0)")


def _sqlite_add_count(r: str) -> str:
    return (
        "INSERT INTO tally_counts (version_id, node, moderation_state, stance, category, liaison_point, "
        "opinions, represented) "
        f"VALUES ({r}.version_id, coalesce({r}.provision_id, 0), {r}.moderation_state, {r}.stance, {r}.category, "
        f"coalesce({r}.liaison_point_id, 0), 1, {r}.represented_count) "
        "ON CONFLICT (version_id, node, moderation_state, stance, category, liaison_point) "
        "DO UPDATE SET opinions = opinions + 1, represented = represented + excluded.represented;"
    )


def _sqlite_remove_count(r: str) -> str:
    key = _SQLITE_COUNT_KEY.format(r=r)
    return (f"UPDATE tally_counts SET opinions = opinions - 1, represented = represented - {r}.represented_count "
            f"WHERE {key};\n"
            f"  DELETE FROM tally_counts WHERE {key} AND opinions = 0;")


def _sqlite_add_submitter(r: str) -> str:
    path = _SQLITE_PATH.format(r=r)
    published = f"({r}.moderation_state = 'published')"
    return (
        "INSERT INTO tally_submitters (version_id, node, submitter_key, opinions, published) "
        f"SELECT {r}.version_id, node, {r}.submitter_key, 1, {published} FROM ({path}) "
        f"WHERE {r}.moderation_state <> 'hidden' "
        "ON CONFLICT (version_id, node, submitter_key) DO UPDATE SET opinions = opinions + 1, "
        "published = published + excluded.published;\n"
        # New to the node: the first opinion (not hidden) there, or the first published one.
        "  INSERT INTO tally_nodes (version_id, node, submitters, published_submitters) "
        f"SELECT version_id, node, opinions = 1, {published} AND published = 1 FROM tally_submitters "
        f"WHERE version_id = {r}.version_id AND submitter_key = {r}.submitter_key "
        f"AND (opinions = 1 OR ({published} AND published = 1)) AND node IN ({path}) "
        f"AND {r}.moderation_state <> 'hidden' "
        "ON CONFLICT (version_id, node) DO UPDATE SET submitters = submitters + excluded.submitters, "
        "published_submitters = published_submitters + excluded.published_submitters;"
    )


def _sqlite_remove_submitter(r: str) -> str:
    path = _SQLITE_PATH.format(r=r)
    pairs = f"version_id = {r}.version_id AND submitter_key = {r}.submitter_key AND node IN ({path})"
    counted = f"{r}.moderation_state <> 'hidden'"
    published = f"{r}.moderation_state = 'published'"
    return (
        f"UPDATE tally_submitters SET opinions = opinions - 1, published = published - ({published}) "
        f"WHERE {pairs} AND {counted};\n"
        f"  UPDATE tally_nodes SET submitters = submitters - 1 WHERE version_id = {r}.version_id AND node IN "
        f"(SELECT node FROM tally_submitters WHERE {pairs} AND opinions = 0) AND {counted};\n"
        f"  UPDATE tally_nodes SET published_submitters = published_submitters - 1 "
        f"WHERE version_id = {r}.version_id AND node IN "
        f"(SELECT node FROM tally_submitters WHERE {pairs} AND published = 0) AND {published};\n"
        f"  DELETE FROM tally_submitters WHERE {pairs} AND opinions = 0 AND {counted};"
    )


_SQLITE_BUMP_NEW = ("INSERT INTO tally_versions (version_id, changes) VALUES (NEW.version_id, 1) "
                    "ON CONFLICT (version_id) DO UPDATE SET changes = changes + 1;")
# Removals never insert: in a cascade the version row may already be gone.
_SQLITE_BUMP_OLD = "UPDATE tally_versions SET changes = changes + 1 WHERE version_id = OLD.version_id;"
_SQLITE_BUMP_MOVED = ("UPDATE tally_versions SET changes = changes + 1 WHERE version_id = OLD.version_id "
                      "AND OLD.version_id IS NOT NEW.version_id;")
_COUNTED_COLUMNS = ("version_id", "provision_id", "moderation_state", "stance", "category", "liaison_point_id",
                    "represented_count")
_SUBMITTER_COLUMNS = ("version_id", "provision_id", "moderation_state", "submitter_key")


def _changed(columns) -> str:
    return " OR ".join(f"OLD.{column} IS NOT NEW.{column}" for column in columns)


SQLITE_TRIGGERS: dict[str, str] = {
    "provision_ancestors_insert": (
        "CREATE TRIGGER provision_ancestors_insert AFTER INSERT ON provisions BEGIN\n"
        "  SELECT RAISE(ABORT, 'provision_ancestors: the parent provision has no ancestors row') "
        "WHERE NEW.parent_id IS NOT NULL "
        "AND NOT EXISTS (SELECT 1 FROM provision_ancestors WHERE provision_id = NEW.parent_id);\n"
        "  INSERT INTO provision_ancestors (provision_id, ancestor_id) "
        "SELECT NEW.id, ancestor_id FROM provision_ancestors WHERE provision_id = NEW.parent_id "
        "UNION ALL SELECT NEW.id, NEW.id;\n"
        "END"
    ),
    "provisions_stay_in_place": (
        "CREATE TRIGGER provisions_stay_in_place BEFORE UPDATE OF parent_id, version_id ON provisions "
        "WHEN OLD.parent_id IS NOT NEW.parent_id OR OLD.version_id IS NOT NEW.version_id BEGIN\n"
        "  SELECT RAISE(ABORT, 'provisions do not move: a new text is a new version');\n"
        "END"
    ),
    "opinions_tally_insert": (
        "CREATE TRIGGER opinions_tally_insert AFTER INSERT ON opinions BEGIN\n"
        f"  {_SQLITE_BUMP_NEW}\n  {_sqlite_add_count('NEW')}\n  {_sqlite_add_submitter('NEW')}\nEND"
    ),
    "opinions_tally_delete": (
        "CREATE TRIGGER opinions_tally_delete AFTER DELETE ON opinions BEGIN\n"
        f"  {_SQLITE_BUMP_OLD}\n  {_sqlite_remove_count('OLD')}\n  {_sqlite_remove_submitter('OLD')}\nEND"
    ),
    "opinions_tally_update": (
        f"CREATE TRIGGER opinions_tally_update AFTER UPDATE OF {', '.join(_COUNTED_COLUMNS)} ON opinions "
        f"WHEN {_changed(_COUNTED_COLUMNS)} BEGIN\n"
        f"  {_SQLITE_BUMP_NEW}\n  {_SQLITE_BUMP_MOVED}\n"
        f"  {_sqlite_remove_count('OLD')}\n  {_sqlite_add_count('NEW')}\nEND"
    ),
    # Hiding, showing again, approving a held opinion or moving an opinion changes who
    # counts where (every change of state: pending and published are told apart for
    # the public tally's distinct submitters).
    "opinions_tally_update_submitters": (
        f"CREATE TRIGGER opinions_tally_update_submitters AFTER UPDATE OF {', '.join(_SUBMITTER_COLUMNS)} "
        f"ON opinions WHEN {_changed(_SUBMITTER_COLUMNS)} BEGIN\n"
        f"  {_sqlite_remove_submitter('OLD')}\n  {_sqlite_add_submitter('NEW')}\nEND"
    ),
}

# --- PostgreSQL --------------------------------------------------------------------------

POSTGRESQL_FUNCTIONS: dict[str, str] = {
    "tally_provision_ancestors": """\
CREATE OR REPLACE FUNCTION tally_provision_ancestors() RETURNS trigger LANGUAGE plpgsql AS $$
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
    "tally_opinion_change": """\
CREATE OR REPLACE FUNCTION tally_opinion_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    old_counted boolean := TG_OP <> 'INSERT' AND OLD.moderation_state <> 'hidden';
    new_counted boolean := TG_OP <> 'DELETE' AND NEW.moderation_state <> 'hidden';
    old_published boolean := TG_OP <> 'INSERT' AND OLD.moderation_state = 'published';
    new_published boolean := TG_OP <> 'DELETE' AND NEW.moderation_state = 'published';
    counts_change boolean := TG_OP <> 'UPDATE' OR
        (OLD.version_id, OLD.provision_id, OLD.moderation_state, OLD.stance, OLD.category, OLD.liaison_point_id,
         OLD.represented_count)
        IS DISTINCT FROM
        (NEW.version_id, NEW.provision_id, NEW.moderation_state, NEW.stance, NEW.category, NEW.liaison_point_id,
         NEW.represented_count);
    submitters_change boolean := TG_OP <> 'UPDATE' OR
        (OLD.version_id, OLD.provision_id, OLD.moderation_state, OLD.submitter_key)
        IS DISTINCT FROM (NEW.version_id, NEW.provision_id, NEW.moderation_state, NEW.submitter_key);
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
            UPDATE tally_submitters SET opinions = opinions - 1, published = published - old_published::integer
                WHERE version_id = OLD.version_id AND node = ANY (nodes) AND submitter_key = OLD.submitter_key
                RETURNING node, opinions, published
        )
        UPDATE tally_nodes AS t SET submitters = t.submitters - (l.opinions = 0)::integer,
                published_submitters = t.published_submitters - (old_published AND l.published = 0)::integer
            FROM lowered l
            WHERE t.version_id = OLD.version_id AND t.node = l.node
              AND (l.opinions = 0 OR (old_published AND l.published = 0));
        DELETE FROM tally_submitters
            WHERE version_id = OLD.version_id AND node = ANY (nodes) AND submitter_key = OLD.submitter_key
              AND opinions = 0;
    END IF;
    IF submitters_change AND new_counted THEN
        nodes := ARRAY(SELECT ancestor_id FROM provision_ancestors WHERE provision_id = NEW.provision_id)
                 || CASE WHEN NEW.provision_id IS NULL THEN ARRAY[0, -1] ELSE ARRAY[-1] END;
        WITH raised AS (
            INSERT INTO tally_submitters AS t (version_id, node, submitter_key, opinions, published)
                SELECT NEW.version_id, node, NEW.submitter_key, 1, new_published::integer
                FROM unnest(nodes) AS node ORDER BY node
                ON CONFLICT (version_id, node, submitter_key)
                DO UPDATE SET opinions = t.opinions + 1, published = t.published + excluded.published
                RETURNING node, opinions, published
        )
        INSERT INTO tally_nodes AS t (version_id, node, submitters, published_submitters)
            SELECT NEW.version_id, node, (opinions = 1)::integer, (new_published AND published = 1)::integer
            FROM raised WHERE opinions = 1 OR (new_published AND published = 1) ORDER BY node
            ON CONFLICT (version_id, node) DO UPDATE SET submitters = t.submitters + excluded.submitters,
                published_submitters = t.published_submitters + excluded.published_submitters;
    END IF;
    RETURN NULL;
END
$$""",
    # Inserts are counted once per statement: a batch of 10,000 rows becomes one upsert
    # per (clause, state, stance, category, point) and per (node, submitter), instead of
    # 10,000 row triggers updating the same few rows again and again (each update of a
    # row leaves a version the next one has to step over: quadratic in the batch size).
    "tally_opinions_inserted": """\
CREATE OR REPLACE FUNCTION tally_opinions_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
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
        SELECT o.version_id, path.node, o.submitter_key, count(*) AS opinions,
               count(*) FILTER (WHERE o.moderation_state = 'published') AS published
        FROM inserted_opinions o
        CROSS JOIN LATERAL (
            SELECT ancestor_id AS node FROM provision_ancestors WHERE provision_id = o.provision_id
            UNION ALL SELECT 0 WHERE o.provision_id IS NULL
            UNION ALL SELECT -1
        ) AS path
        WHERE o.moderation_state <> 'hidden'
        GROUP BY 1, 2, 3
    ), raised AS (
        INSERT INTO tally_submitters AS t (version_id, node, submitter_key, opinions, published)
            SELECT version_id, node, submitter_key, opinions, published FROM added ORDER BY 1, 2, 3
            ON CONFLICT (version_id, node, submitter_key)
            DO UPDATE SET opinions = t.opinions + excluded.opinions, published = t.published + excluded.published
            RETURNING t.version_id, t.node, t.submitter_key, t.opinions, t.published
    )
    -- A submitter is new to a node when the row holds just what this statement added
    -- (and new to its public tally when the published count is just what was added).
    INSERT INTO tally_nodes AS t (version_id, node, submitters, published_submitters)
        SELECT raised.version_id, raised.node, count(*) FILTER (WHERE raised.opinions = added.opinions),
               count(*) FILTER (WHERE added.published > 0 AND raised.published = added.published) FROM raised
        JOIN added USING (version_id, node, submitter_key)
        WHERE raised.opinions = added.opinions OR (added.published > 0 AND raised.published = added.published)
        GROUP BY 1, 2 ORDER BY 1, 2
        ON CONFLICT (version_id, node) DO UPDATE SET submitters = t.submitters + excluded.submitters,
            published_submitters = t.published_submitters + excluded.published_submitters;
    RETURN NULL;
END
$$""",
}

POSTGRESQL_TRIGGERS: dict[str, str] = {
    "provision_ancestors_insert": (
        "CREATE OR REPLACE TRIGGER provision_ancestors_insert AFTER INSERT ON provisions "
        "FOR EACH ROW EXECUTE FUNCTION tally_provision_ancestors()"
    ),
    "provisions_stay_in_place": (
        "CREATE OR REPLACE TRIGGER provisions_stay_in_place BEFORE UPDATE OF parent_id, version_id ON provisions "
        "FOR EACH ROW EXECUTE FUNCTION tally_provision_ancestors()"
    ),
    "opinions_tally": (
        "CREATE OR REPLACE TRIGGER opinions_tally AFTER DELETE OR UPDATE OF "
        f"{', '.join(sorted(set(_COUNTED_COLUMNS) | set(_SUBMITTER_COLUMNS)))} ON opinions "
        "FOR EACH ROW EXECUTE FUNCTION tally_opinion_change()"
    ),
    "opinions_tally_inserted": (
        "CREATE OR REPLACE TRIGGER opinions_tally_inserted AFTER INSERT ON opinions "
        "REFERENCING NEW TABLE AS inserted_opinions FOR EACH STATEMENT EXECUTE FUNCTION tally_opinions_inserted()"
    ),
}


SQLITE_TRIGGERS.update(disposition_triggers.SQLITE_TRIGGERS)
POSTGRESQL_FUNCTIONS.update(disposition_triggers.POSTGRESQL_FUNCTIONS)
POSTGRESQL_TRIGGERS.update(disposition_triggers.POSTGRESQL_TRIGGERS)


def _postgresql_body(definition: str) -> str:
    return definition.split("$$", 2)[1]


# --- Installing and checking the triggers ------------------------------------------------

def install_triggers(connection: Connection) -> None:
    """(Re)create the triggers and their functions, in the caller's transaction."""
    if connection.dialect.name == "sqlite":
        for name, sql in SQLITE_TRIGGERS.items():
            connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")
            connection.exec_driver_sql(sql)
    elif connection.dialect.name == "postgresql":
        for sql in POSTGRESQL_FUNCTIONS.values():
            connection.exec_driver_sql(sql)
        for sql in POSTGRESQL_TRIGGERS.values():
            connection.exec_driver_sql(sql)
    else:  # pragma: no cover - the application supports these two
        raise RuntimeError(f"tally triggers are written for SQLite and PostgreSQL, not {connection.dialect.name}")


def trigger_problems(connection: Connection) -> list[str]:
    """What is missing or different from the definitions above (empty: all is well)."""
    problems = []
    if connection.dialect.name == "sqlite":
        installed = dict(connection.exec_driver_sql(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name IN ('opinions', 'provisions')"
        ).all())
        for name, sql in SQLITE_TRIGGERS.items():
            if name not in installed:
                problems.append(f"trigger {name} is missing")
            elif installed[name] != sql:
                problems.append(f"trigger {name} differs from participation.tally.upkeep")
        return problems
    functions = dict(connection.exec_driver_sql(
        "SELECT proname, prosrc FROM pg_proc WHERE proname = ANY(%(names)s)", {"names": list(POSTGRESQL_FUNCTIONS)}
    ).all())
    for name, sql in POSTGRESQL_FUNCTIONS.items():
        if name not in functions:
            problems.append(f"function {name}() is missing")
        elif functions[name] != _postgresql_body(sql):
            problems.append(f"function {name}() differs from participation.tally.upkeep")
    triggers = dict(connection.exec_driver_sql(
        "SELECT t.tgname, t.tgenabled FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
        "WHERE c.relname IN ('opinions', 'provisions') AND NOT t.tgisinternal"
    ).all())
    for name in POSTGRESQL_TRIGGERS:
        if name not in triggers:
            problems.append(f"trigger {name} is missing")
        elif triggers[name] == "D":
            problems.append(f"trigger {name} is disabled")
    return problems


# --- Recomputing from scratch ------------------------------------------------------------

def _closure(version_id: int):
    """(provision_id, ancestor_id) of the version's tree, recomputed from provisions."""
    up = (select(Provision.id.label("provision_id"), Provision.id.label("ancestor_id"))
          .where(Provision.version_id == version_id).cte("up", recursive=True))
    parent = select(up.c.provision_id, Provision.parent_id).join(Provision, Provision.id == up.c.ancestor_id) \
        .where(Provision.parent_id.is_not(None))
    up = up.union_all(parent)
    return select(up.c.provision_id, up.c.ancestor_id)


def _expected_counts(version_id: int):
    node = func.coalesce(Opinion.provision_id, WHOLE_DRAFT_NODE)
    point = func.coalesce(Opinion.liaison_point_id, NO_LIAISON_POINT)
    return (
        select(Opinion.version_id, node, Opinion.moderation_state, Opinion.stance, Opinion.category, point,
               func.count(), func.sum(Opinion.represented_count))
        .where(Opinion.version_id == version_id)
        .group_by(Opinion.version_id, node, Opinion.moderation_state, Opinion.stance, Opinion.category, point)
    )


def _expected_dispositions(version_id: int):
    node = func.coalesce(Opinion.provision_id, WHOLE_DRAFT_NODE)
    return (
        select(Opinion.version_id, node, Opinion.moderation_state, Opinion.disposition, Opinion.channel,
               func.count(), func.sum(Opinion.represented_count))
        .where(Opinion.version_id == version_id)
        .group_by(Opinion.version_id, node, Opinion.moderation_state, Opinion.disposition, Opinion.channel)
    )


def _expected_submitters(version_id: int):
    closure = _closure(version_id).subquery()
    counted = (Opinion.version_id == version_id, Opinion.moderation_state != HIDDEN)
    published = func.sum(case((Opinion.moderation_state == PUBLISHED, 1), else_=0))
    on_provisions = (
        select(Opinion.version_id, closure.c.ancestor_id.label("node"), Opinion.submitter_key, func.count(),
               published)
        .join(closure, closure.c.provision_id == Opinion.provision_id).where(*counted)
        .group_by(Opinion.version_id, closure.c.ancestor_id, Opinion.submitter_key)
    )
    whole_draft = (
        select(Opinion.version_id, literal(WHOLE_DRAFT_NODE, Integer), Opinion.submitter_key, func.count(),
               published)
        .where(*counted, Opinion.provision_id.is_(None)).group_by(Opinion.version_id, Opinion.submitter_key)
    )
    everything = (
        select(Opinion.version_id, literal(EVERYTHING_NODE, Integer), Opinion.submitter_key, func.count(),
               published)
        .where(*counted).group_by(Opinion.version_id, Opinion.submitter_key)
    )
    return union_all(on_provisions, whole_draft, everything)


def _nodes_from(pairs, version_id_column, node_column, published_column):
    """(version, node, submitters, published submitters) from (node, submitter) pairs."""
    return (select(version_id_column, node_column, func.count(),
                   func.sum(case((published_column > 0, 1), else_=0)))
            .select_from(pairs).group_by(version_id_column, node_column))


def _expected_nodes(version_id: int):
    pairs = _expected_submitters(version_id).subquery()
    version_id_column, node_column, _key, _opinions, published = pairs.c
    return _nodes_from(pairs, version_id_column, node_column, published)


def _maintained(model, version_id: int):
    table = model.__table__
    columns = [column for column in table.c]
    if model is ProvisionAncestor:
        return select(*columns).join(Provision, Provision.id == table.c.provision_id) \
            .where(Provision.version_id == version_id)
    return select(*columns).where(table.c.version_id == version_id)


def _parts(version_id: int):
    """(name, model, recomputed rows, maintained rows) for every table."""
    return [
        ("provision_ancestors", ProvisionAncestor, _closure(version_id), _maintained(ProvisionAncestor, version_id)),
        ("tally_counts", TallyCount, _expected_counts(version_id), _maintained(TallyCount, version_id)),
        ("tally_submitters", TallySubmitter, _expected_submitters(version_id), _maintained(TallySubmitter, version_id)),
        ("tally_nodes", TallyNode, _expected_nodes(version_id),
         _maintained(TallyNode, version_id).where((TallyNode.submitters != 0) | (TallyNode.published_submitters != 0))),
        # The triggers leave rows at 0 (see disposition_triggers): not a difference.
        ("tally_dispositions", TallyDisposition, _expected_dispositions(version_id),
         _maintained(TallyDisposition, version_id)
         .where((TallyDisposition.opinions != 0) | (TallyDisposition.represented != 0))),
    ]


@dataclass
class Difference:
    version_id: int
    table: str
    missing: int                 # rows a count from scratch has and the table has not
    extra: int                   # rows the table has and a count from scratch has not
    examples: list[tuple] = field(default_factory=list)


def check_version(version_id: int, *, examples: int = 3) -> list[Difference]:
    """Compare the maintained rows of one version with a count made from scratch from
    the opinion and provision rows. Empty: they are equal."""
    differences = []
    for name, _model, expected, maintained in _parts(version_id):
        # Each side as a plain SELECT from a subquery: SQLite takes no parenthesised
        # compound as an operand of EXCEPT.
        expected, maintained = select(expected.subquery()), select(maintained.subquery())
        missing_rows = except_(expected, maintained).subquery()
        extra_rows = except_(maintained, expected).subquery()
        missing = db.session.scalar(select(func.count()).select_from(missing_rows))
        extra = db.session.scalar(select(func.count()).select_from(extra_rows))
        if missing or extra:
            sample = [("missing", *row) for row in db.session.execute(select(missing_rows).limit(examples))]
            sample += [("extra", *row) for row in db.session.execute(select(extra_rows).limit(examples))]
            differences.append(Difference(version_id, name, missing, extra, sample))
    return differences


def _lock_version(version_id: int) -> None:
    # The same first step as the triggers': behind this, no opinion change of the
    # version can run until our transaction ends.
    from sqlalchemy.dialects.postgresql import insert as pg_insert
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    dialect = db.session.get_bind().dialect.name
    statement = (pg_insert if dialect == "postgresql" else sqlite_insert)(TallyVersion).values(
        version_id=version_id, changes=1)
    db.session.execute(statement.on_conflict_do_update(
        index_elements=[TallyVersion.version_id], set_={"changes": TallyVersion.changes + 1}))


def rebuild_version(version_id: int) -> None:
    """Replace the version's maintained rows with a count made from scratch. In the
    caller's transaction (commit it); concurrent opinion changes of the version wait."""
    _lock_version(version_id)
    provision_ids = select(Provision.id).where(Provision.version_id == version_id).scalar_subquery()
    db.session.execute(delete(ProvisionAncestor).where(ProvisionAncestor.provision_id.in_(provision_ids)))
    db.session.execute(insert(ProvisionAncestor).from_select(["provision_id", "ancestor_id"], _closure(version_id)))
    for model, expected, columns in (
        (TallyCount, _expected_counts(version_id),
         ["version_id", "node", "moderation_state", "stance", "category", "liaison_point", "opinions", "represented"]),
        (TallySubmitter, _expected_submitters(version_id),
         ["version_id", "node", "submitter_key", "opinions", "published"]),
        (TallyDisposition, _expected_dispositions(version_id),
         ["version_id", "node", "moderation_state", "disposition", "channel", "opinions", "represented"]),
        (TallyNode, None, ["version_id", "node", "submitters", "published_submitters"]),
    ):
        db.session.execute(delete(model).where(model.version_id == version_id))
        if model is TallyNode:
            # From the pairs just stored (the same numbers as _expected_nodes, cheaper).
            expected = _nodes_from(TallySubmitter, TallySubmitter.version_id, TallySubmitter.node,
                                   TallySubmitter.published).where(TallySubmitter.version_id == version_id)
        db.session.execute(insert(model).from_select(columns, expected))


def version_ids(draft_id: int | None = None) -> list[int]:
    """The versions of one draft, or of every draft."""
    query = select(DraftVersion.id).order_by(DraftVersion.id)
    if draft_id is not None:
        query = query.where(DraftVersion.draft_id == draft_id)
    return list(db.session.scalars(query))

