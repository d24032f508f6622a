"""The event store's PostgreSQL schema and its migrations, kept in a schema of its own
(`lukas`), so that Lukas can share a database with other programs' tables.

The version applied is a row in `lukas.schema_version`. Migrations run in one transaction
each, under an advisory lock, so processes starting together migrate once. A database with
a newer version than this program knows is refused, never touched.
"""

from __future__ import annotations

import attrs

# "LUKA" in ASCII in the high half: advisory lock keys no other program is likely to use.
_KEY_BASE = 0x4C554B41 << 32
# Held from an append's first statement until its commit: positions in commit order.
APPEND_LOCK = _KEY_BASE | 1
# Held while the schema is created or migrated.
MIGRATION_LOCK = _KEY_BASE | 2
# Held, at session level, by the process that runs the schedulers (ADR 26).
LEADER_LOCK = _KEY_BASE | 3
# The channel appends notify with the new head position, waking subscribers.
CHANNEL = "lukas_events"


@attrs.frozen
class Migration:
    version: int
    statements: tuple[str, ...]


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        version=1,
        statements=(
            # `json` keeps the codec's text byte for byte (jsonb would reorder keys), and
            # still refuses what is not JSON, as SQLite's json_valid CHECK does.
            """
            CREATE TABLE lukas.events (
                position       bigint      PRIMARY KEY CHECK (position >= 1),
                event_id       text        NOT NULL UNIQUE,
                stream_id      text        NOT NULL,
                version        integer     NOT NULL CHECK (version >= 1),
                type           text        NOT NULL,
                schema_version integer     NOT NULL CHECK (schema_version >= 1),
                data           json        NOT NULL,
                metadata       json        NOT NULL,
                recorded_at    timestamptz NOT NULL,
                UNIQUE (stream_id, version)
            )
            """,
            """
            CREATE FUNCTION lukas.refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'events are append-only: % refused', TG_OP
                    USING ERRCODE = 'restrict_violation';
            END $$
            """,
            """
            CREATE TRIGGER events_refuse_change BEFORE UPDATE OR DELETE ON lukas.events
            FOR EACH ROW EXECUTE FUNCTION lukas.refuse_change()
            """,
            """
            CREATE TRIGGER events_refuse_truncate BEFORE TRUNCATE ON lukas.events
            FOR EACH STATEMENT EXECUTE FUNCTION lukas.refuse_change()
            """,
            # One round trip and one transaction per append. The advisory lock is held to
            # the commit, so no position is handed out while an earlier one is uncommitted:
            # readers never see a gap that fills later (ADR 24). `appended` -1 is a conflict.
            # Built from this module's own constants only.
            f"""
            CREATE FUNCTION lukas.append(
                p_stream text, p_expected integer, p_ids text[], p_types text[],
                p_schemas integer[], p_data text[], p_metadata text[], p_at timestamptz,
                OUT stream_version integer, OUT appended integer
            ) LANGUAGE plpgsql AS $$
            DECLARE
                v_head bigint;
            BEGIN
                PERFORM pg_advisory_xact_lock({APPEND_LOCK});
                SELECT COALESCE(MAX(e.version), 0) INTO stream_version
                    FROM lukas.events e WHERE e.stream_id = p_stream;
                SELECT count(*) INTO appended FROM unnest(p_ids) AS n(id)
                    WHERE NOT EXISTS (SELECT 1 FROM lukas.events e WHERE e.event_id = n.id);
                IF appended = 0 THEN
                    RETURN;
                END IF;
                IF p_expected IS NOT NULL AND p_expected <> stream_version THEN
                    appended := -1;
                    RETURN;
                END IF;
                SELECT COALESCE(MAX(e.position), 0) INTO v_head FROM lukas.events e;
                INSERT INTO lukas.events (position, event_id, stream_id, version, type,
                                          schema_version, data, metadata, recorded_at)
                SELECT v_head + row_number() OVER w, n.id, p_stream,
                       stream_version + row_number() OVER w, n.type, n.schema,
                       n.data::json, n.metadata::json, p_at
                FROM unnest(p_ids, p_types, p_schemas, p_data, p_metadata)
                     WITH ORDINALITY AS n(id, type, schema, data, metadata, ord)
                WHERE NOT EXISTS (SELECT 1 FROM lukas.events e WHERE e.event_id = n.id)
                WINDOW w AS (ORDER BY n.ord);
                stream_version := stream_version + appended;
                PERFORM pg_notify('{CHANNEL}', (v_head + appended)::text);
            END $$
            """,  # noqa: S608
            # Projections' folded states (ADR 18): a cache of the log, rows are replaced.
            """
            CREATE TABLE lukas.checkpoints (
                name     text    PRIMARY KEY,
                version  integer NOT NULL,
                position bigint  NOT NULL CHECK (position >= 0),
                state    text    NOT NULL
            )
            """,
        ),
    ),
    Migration(
        version=2,
        statements=(
            # Data keys (ADR 27): one per person and period, sealing their words in the log.
            # Unlike the log, rows are deleted here, which is how a person is forgotten.
            """
            CREATE TABLE lukas.data_keys (
                key_id text  PRIMARY KEY,
                person text  NOT NULL,
                period text  NOT NULL,
                secret bytea NOT NULL CHECK (length(secret) = 32),
                UNIQUE (person, period)
            )
            """,
            "CREATE INDEX data_keys_by_period ON lukas.data_keys (period)",
            # One row, bumped in the transaction of every delete that removed a key.
            """
            CREATE TABLE lukas.data_key_epoch (
                id    integer PRIMARY KEY CHECK (id = 1),
                value bigint  NOT NULL CHECK (value >= 0)
            )
            """,
            "INSERT INTO lukas.data_key_epoch (id, value) VALUES (1, 0)",
            # One row, once the log is first opened with these keys: was it empty then?
            """
            CREATE TABLE lukas.data_key_log_start (
                id        integer PRIMARY KEY CHECK (id = 1),
                was_empty boolean NOT NULL
            )
            """,
        ),
    ),
)


def latest_version(migrations: tuple[Migration, ...] = MIGRATIONS) -> int:
    return migrations[-1].version if migrations else 0
