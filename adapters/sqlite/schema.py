"""The event store's SQLite schema and its migrations, keyed on `PRAGMA user_version`.

A migration is a list of statements run in one transaction; the database ends at the
version of the last one applied. Old databases upgrade in place on open; a database with
a newer version than this program knows is refused, never touched.
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs

# "LUKA" in ASCII: marks a SQLite file as Lukas's event store (PRAGMA application_id).
APPLICATION_ID = 0x4C554B41


@attrs.frozen
class Migration:
    version: int
    statements: tuple[str, ...]


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        version=1,
        statements=(
            """
            CREATE TABLE events (
                position       INTEGER PRIMARY KEY AUTOINCREMENT,
                event_id       TEXT    NOT NULL UNIQUE,
                stream_id      TEXT    NOT NULL,
                version        INTEGER NOT NULL CHECK (version >= 1),
                type           TEXT    NOT NULL,
                schema_version INTEGER NOT NULL CHECK (schema_version >= 1),
                data           TEXT    NOT NULL CHECK (json_valid(data)),
                metadata       TEXT    NOT NULL CHECK (json_valid(metadata)),
                recorded_at    TEXT    NOT NULL,
                UNIQUE (stream_id, version)
            )
            """,
            # The log is append-only by the database's own rules, not by convention.
            """
            CREATE TRIGGER events_refuse_update BEFORE UPDATE ON events
            BEGIN SELECT RAISE(ABORT, 'events are append-only: UPDATE refused'); END
            """,
            """
            CREATE TRIGGER events_refuse_delete BEFORE DELETE ON events
            BEGIN SELECT RAISE(ABORT, 'events are append-only: DELETE refused'); END
            """,
        ),
    ),
    Migration(
        version=2,
        statements=(
            # Projections' folded states, each with the last position folded into it
            # (ADR 18). A cache of the log, not part of it: rows are replaced, and losing
            # one costs a rebuild.
            """
            CREATE TABLE checkpoints (
                name     TEXT    PRIMARY KEY,
                version  INTEGER NOT NULL,
                position INTEGER NOT NULL CHECK (position >= 0),
                state    TEXT    NOT NULL
            )
            """,
        ),
    ),
)


def latest_version(migrations: Sequence[Migration]) -> int:
    return migrations[-1].version if migrations else 0
