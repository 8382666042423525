"""The triggers that keep ``tally_dispositions`` (participation.models.tally.TallyDisposition)
exact: opinions per node × moderation state × disposition (处理情况) × channel (web, api,
batch: the feedback report counts by it).

They sit beside the triggers of participation.tally.upkeep rather than inside them, so
the older counts keep their proven definitions. ``upkeep`` installs and checks these with
its own (``flask tally check`` / ``rebuild``); the migration that made the table
(``d41f7a9e2c35``) holds a frozen copy.

* SQLite: one row trigger per event, as for the other counts (one writer at a time; an
  update of a counted row is an in-place B-tree write, cheap even 10,000 times).
* PostgreSQL: one *statement* trigger per event, counted from the transition tables. A
  bulk disposition (``UPDATE opinions SET disposition = … WHERE …`` of 10,000 rows)
  becomes one grouped upsert of the net changes, instead of 10,000 updates of the same
  few count rows, each leaving a row version the next has to step over. Transition
  tables cannot go with a column list, so the update trigger runs for every UPDATE of
  opinions; it joins the old and new rows by id and does nothing when no counted column
  moved. Like the other tally triggers, it first bumps the versions' ``tally_versions``
  rows (in id order): their locks put one version's tally changes in line.

Rows are never deleted by the triggers: a count back at 0 stays (bounded by nodes ×
states × dispositions), so check and compute ignore zero rows.
"""
from __future__ import annotations

COUNTED_COLUMNS = ("version_id", "provision_id", "moderation_state", "disposition", "channel", "represented_count")

_SQLITE_KEY = ("version_id = {r}.version_id AND node = coalesce({r}.provision_id, 0) "
               "AND moderation_state = {r}.moderation_state AND disposition = {r}.disposition "
               "AND channel = {r}.channel")


def _sqlite_add(r: str) -> str:
    return (
        "INSERT INTO tally_dispositions (version_id, node, moderation_state, disposition, channel, opinions, "
        f"represented) VALUES ({r}.version_id, coalesce({r}.provision_id, 0), {r}.moderation_state, "
        f"{r}.disposition, {r}.channel, 1, {r}.represented_count) "
        "ON CONFLICT (version_id, node, moderation_state, disposition, channel) "
        "DO UPDATE SET opinions = opinions + 1, represented = represented + excluded.represented;"
    )


def _sqlite_remove(r: str) -> str:
    return (f"UPDATE tally_dispositions SET opinions = opinions - 1, represented = represented - {r}.represented_count "
            f"WHERE {_SQLITE_KEY.format(r=r)};")


SQLITE_TRIGGERS: dict[str, str] = {
    "opinions_tally_dispositions_insert": (
        f"CREATE TRIGGER opinions_tally_dispositions_insert AFTER INSERT ON opinions BEGIN\n  {_sqlite_add('NEW')}\nEND"
    ),
    "opinions_tally_dispositions_delete": (
        f"CREATE TRIGGER opinions_tally_dispositions_delete AFTER DELETE ON opinions BEGIN\n  {_sqlite_remove('OLD')}\nEND"
    ),
    "opinions_tally_dispositions_update": (
        f"CREATE TRIGGER opinions_tally_dispositions_update AFTER UPDATE OF {', '.join(COUNTED_COLUMNS)} ON opinions "
        f"WHEN {' OR '.join(f'OLD.{c} IS NOT NEW.{c}' for c in COUNTED_COLUMNS)} BEGIN\n"
        f"  {_sqlite_remove('OLD')}\n  {_sqlite_add('NEW')}\nEND"
    ),
}

_PG_UPSERT = """INSERT INTO tally_dispositions AS t (version_id, node, moderation_state, disposition, channel,
                                         opinions, represented)
        SELECT version_id, node, moderation_state, disposition, channel, sum(opinions), sum(represented)
        FROM ({rows}) AS moved
        GROUP BY 1, 2, 3, 4, 5 HAVING sum(opinions) <> 0 OR sum(represented) <> 0 ORDER BY 1, 2, 3, 4, 5
        ON CONFLICT (version_id, node, moderation_state, disposition, channel)
        DO UPDATE SET opinions = t.opinions + excluded.opinions, represented = t.represented + excluded.represented;"""


def _pg_rows(table: str, sign: str, where: str = "") -> str:
    return (f"SELECT {table}.version_id, coalesce({table}.provision_id, 0) AS node, {table}.moderation_state, "
            f"{table}.disposition, {table}.channel, {sign}1 AS opinions, {sign}{table}.represented_count AS represented "
            f"FROM {where or table}")


_PG_CHANGED = ("old_opinions o JOIN new_opinions n USING (id) WHERE "
               f"({', '.join(f'o.{c}' for c in COUNTED_COLUMNS)}) IS DISTINCT FROM "
               f"({', '.join(f'n.{c}' for c in COUNTED_COLUMNS)})")


def _pg_function(name: str, body: str) -> str:
    return (f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
            f"{body}\n$$")


POSTGRESQL_FUNCTIONS: dict[str, str] = {
    "tally_dispositions_inserted": _pg_function("tally_dispositions_inserted", f"""\
BEGIN
    INSERT INTO tally_versions AS t (version_id, changes)
        SELECT version_id, count(*) FROM inserted_opinions GROUP BY version_id ORDER BY version_id
        ON CONFLICT (version_id) DO UPDATE SET changes = t.changes + excluded.changes;
    IF FOUND THEN
        {_PG_UPSERT.format(rows=_pg_rows("inserted_opinions", ""))}
    END IF;
    RETURN NULL;
END"""),
    "tally_dispositions_deleted": _pg_function("tally_dispositions_deleted", f"""\
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
END"""),
    "tally_dispositions_updated": _pg_function("tally_dispositions_updated", f"""\
DECLARE
    versions integer[];
BEGIN
    versions := ARRAY(SELECT o.version_id FROM {_PG_CHANGED}
                      UNION SELECT n.version_id FROM {_PG_CHANGED} ORDER BY 1);
    IF cardinality(versions) = 0 THEN
        RETURN NULL;
    END IF;
    INSERT INTO tally_versions AS t (version_id, changes)
        SELECT version_id, 1 FROM unnest(versions) AS version_id ORDER BY version_id
        ON CONFLICT (version_id) DO UPDATE SET changes = t.changes + 1;
    {_PG_UPSERT.format(rows=_pg_rows("o", "-", _PG_CHANGED) + " UNION ALL " + _pg_rows("n", "", _PG_CHANGED))}
    RETURN NULL;
END"""),
}

POSTGRESQL_TRIGGERS: dict[str, str] = {
    "opinions_tally_dispositions_inserted": (
        "CREATE OR REPLACE TRIGGER opinions_tally_dispositions_inserted AFTER INSERT ON opinions "
        "REFERENCING NEW TABLE AS inserted_opinions FOR EACH STATEMENT EXECUTE FUNCTION tally_dispositions_inserted()"
    ),
    "opinions_tally_dispositions_deleted": (
        "CREATE OR REPLACE TRIGGER opinions_tally_dispositions_deleted AFTER DELETE ON opinions "
        "REFERENCING OLD TABLE AS deleted_opinions FOR EACH STATEMENT EXECUTE FUNCTION tally_dispositions_deleted()"
    ),
    "opinions_tally_dispositions_updated": (
        "CREATE OR REPLACE TRIGGER opinions_tally_dispositions_updated AFTER UPDATE ON opinions "
        "REFERENCING OLD TABLE AS old_opinions NEW TABLE AS new_opinions "
        "FOR EACH STATEMENT EXECUTE FUNCTION tally_dispositions_updated()"
    ),
}
