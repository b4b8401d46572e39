"""The store's schema: the migrations that build it, version by version, and the check that
a store is not newer than this detente (``Store`` runs them when it opens a file)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import duckdb

from detente.errors import SchemaVersionError
from detente.events import attached as attached_model
from detente.events import dataset_names
from detente.events.connection import rollback

# A step of a migration: a statement, or a function of the connection for what SQL alone does
# not say plainly (filling a new column row by row).
Step = str | Callable[[duckdb.DuckDBPyConnection], None]

# Each migration brings the schema from version i to i + 1. Append, never edit.
MIGRATIONS: list[Sequence[Step]] = [
    [
        """CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR)""",
        """CREATE TABLE events (
            id VARCHAR NOT NULL, date DATE NOT NULL, "end" DATE, actor VARCHAR NOT NULL,
            target VARCHAR, kind VARCHAR NOT NULL, attrs JSON NOT NULL, source VARCHAR NOT NULL,
            source_ref VARCHAR NOT NULL, confidence VARCHAR NOT NULL, summary VARCHAR,
            match_key VARCHAR)""",
        """CREATE TABLE aliases (id VARCHAR NOT NULL, event_id VARCHAR NOT NULL,
            source VARCHAR NOT NULL, source_ref VARCHAR NOT NULL)""",
        """CREATE TABLE actors (code VARCHAR PRIMARY KEY, name VARCHAR)""",
        """CREATE TABLE ingests (ingested_at TIMESTAMP, file VARCHAR, format VARCHAR, rows BIGINT,
            added BIGINT, merged BIGINT, linked BIGINT, unchanged BIGINT)""",
    ],
    [
        # detente watch: the files each watch has ingested (its cursor) and its alert log,
        # with per-channel delivery state so alerts survive restarts (detente/watch.py).
        """CREATE TABLE watch_files (watch VARCHAR NOT NULL, path VARCHAR NOT NULL,
            size BIGINT NOT NULL, mtime_ns BIGINT NOT NULL, format VARCHAR,
            ingested_at TIMESTAMP NOT NULL, rows BIGINT, added BIGINT, rejected BIGINT,
            skipped BIGINT, error VARCHAR, PRIMARY KEY (watch, path))""",
        """CREATE TABLE alerts (id VARCHAR PRIMARY KEY, watch VARCHAR NOT NULL,
            agreement VARCHAR NOT NULL, kind VARCHAR NOT NULL, created_at TIMESTAMP NOT NULL,
            payload JSON NOT NULL, console_at TIMESTAMP, logged_at TIMESTAMP,
            webhook_at TIMESTAMP, webhook_attempts INTEGER NOT NULL DEFAULT 0,
            webhook_error VARCHAR, webhook_next TIMESTAMP)""",
    ],
    [
        # attrs as plain text: ingest validates and minifies it already, and a JSON column
        # would parse every value once more on insert (a third of the insert's time).
        """ALTER TABLE events ALTER COLUMN attrs SET DATA TYPE VARCHAR""",
    ],
    [
        # What each source covers (detente/events/coverage.py): the record's blind spots.
        """CREATE TABLE coverage (key VARCHAR PRIMARY KEY, source VARCHAR NOT NULL,
            start DATE NOT NULL, "end" DATE NOT NULL, declaration JSON NOT NULL,
            declared_at TIMESTAMP NOT NULL)""",
    ],
    # Datasets read in place (detente/events/attached.py): the stored events become table
    # stored_events, and events a view over it and every attached dataset.
    attached_model.MIGRATION,
    # Names of the attached datasets (detente/events/dataset_names.py): a column, unique, each
    # existing dataset named after its path.
    dataset_names.MIGRATION,
]


def version(con: duckdb.DuckDBPyConnection) -> int:
    """The schema version of the store ``con`` is open on (0 for a new file)."""
    has_meta = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'meta'"
    ).fetchall()[0][0]
    if not has_meta:
        return 0
    rows = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchall()
    return int(rows[0][0]) if rows else 0


def check_version(con: duckdb.DuckDBPyConnection, path: Path) -> int:
    """The store's schema version; ``SchemaVersionError`` if it is newer than this detente's."""
    found = version(con)
    if found > len(MIGRATIONS):
        raise SchemaVersionError(
            f"the event store {path} has schema version {found}, newer than this "
            f"detente understands ({len(MIGRATIONS)}); upgrade detente")
    return found


def migrate(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """Bring the store up to the latest schema, in one transaction."""
    found = check_version(con, path)
    if found == len(MIGRATIONS):
        return
    con.begin()
    try:
        for statements in MIGRATIONS[found:]:
            for step in statements:
                if callable(step):
                    step(con)
                else:
                    con.execute(step)
        con.execute(
            "INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", [str(len(MIGRATIONS))])
        con.commit()
    except BaseException:
        rollback(con)
        raise
