"""Connecting to PostgreSQL, preparing the schema, and saying what went wrong in one line.

The URL may hold a password: only `describe` (user, host, port, database) ever reaches a
message, a log line or an exception.
"""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg import errors
from psycopg.conninfo import conninfo_to_dict

from lukas.adapters.postgres.schema import MIGRATION_LOCK, MIGRATIONS, Migration, latest_version
from lukas.application.ports.event_store import EventStoreError, NotAnEventStoreError

CONNECT_TIMEOUT_SECONDS = 10
# Every time comes back in UTC, whatever the server's or the role's default zone.
CONNECTION_OPTIONS: dict[str, Any] = {"autocommit": True, "options": "-c TimeZone=UTC"}


class MissingDatabaseError(EventStoreError):
    pass


class PermissionDeniedError(EventStoreError):
    pass


def is_postgres_url(text: str) -> bool:
    return text.startswith(("postgresql://", "postgres://"))


def describe(url: str) -> str:
    """user@host:port/database, without the password or other parameters."""
    try:
        parts = conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return "postgresql://(unreadable URL)"
    user = f"{parts['user']}@" if parts.get("user") else ""
    host = parts.get("host") or "localhost"
    port = parts.get("port") or "5432"
    return f"postgresql://{user}{host}:{port}/{parts.get('dbname') or ''}"


def translate(error: psycopg.Error, url: str, doing: str) -> EventStoreError:
    """A driver error as the port's error, naming the database but never the password."""
    where = describe(url)
    if isinstance(error, errors.InsufficientPrivilege):
        translated: EventStoreError = PermissionDeniedError(
            f"{doing} in {where} failed: the role lacks the rights ({_first_line(error)}); "
            "grant it CREATE on the database (first start) and USAGE, SELECT, INSERT on "
            "schema lukas, or have the owner start Lukas once"
        )
    elif isinstance(error, errors.InvalidCatalogName) or _no_such_database(error):
        translated = MissingDatabaseError(
            f"no database at {where} ({_first_line(error)}); create it, or name another"
        )
    elif isinstance(error, psycopg.OperationalError):
        translated = EventStoreError(
            f"{doing} in {where} failed: cannot reach PostgreSQL ({_first_line(error)})"
        )
    else:
        translated = EventStoreError(f"{doing} in {where} failed: {_first_line(error)}")
    translated.__cause__ = error
    return translated


def _no_such_database(error: psycopg.Error) -> bool:
    # Refused at connection time, libpq gives only the server's text, no SQLSTATE.
    text = str(error)
    return "FATAL:" in text and "database" in text and "does not exist" in text


def _first_line(error: BaseException) -> str:
    """The server's own words: without the DETAIL/HINT lines, and without libpq's
    "connection to server at ... failed:" preamble."""
    diagnostic = getattr(error, "diag", None)
    primary = getattr(diagnostic, "message_primary", None)
    text = (primary or str(error) or type(error).__name__).strip()
    if "FATAL:" in text:
        text = text.rsplit("FATAL:", 1)[1]
    elif "failed:" in text:
        text = text.rsplit("failed:", 1)[1]
    return " ".join(text.split()) or type(error).__name__


async def connect(url: str, doing: str) -> psycopg.AsyncConnection[Any]:
    try:
        return await psycopg.AsyncConnection.connect(
            url, connect_timeout=CONNECT_TIMEOUT_SECONDS, **CONNECTION_OPTIONS
        )
    except psycopg.Error as error:
        raise translate(error, url, doing) from error


async def schema_version(connection: psycopg.AsyncConnection[Any]) -> int | None:
    """The schema version applied, or None when the database has no Lukas schema."""
    cursor = await connection.execute(
        "SELECT to_regclass('lukas.schema_version') IS NOT NULL,"
        " to_regnamespace('lukas') IS NOT NULL"
    )
    has_table, has_schema = await cursor.fetchone() or (False, False)
    if not has_table:
        if has_schema and await _has_other_objects(connection):
            raise NotAnEventStoreError(
                "the database has a schema named lukas that is not a Lukas event store; "
                "refusing to touch it"
            )
        return None
    cursor = await connection.execute("SELECT max(version) FROM lukas.schema_version")
    row = await cursor.fetchone()
    return int(row[0]) if row and row[0] is not None else 0


async def _has_other_objects(connection: psycopg.AsyncConnection[Any]) -> bool:
    cursor = await connection.execute(
        "SELECT EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE n.nspname = 'lukas')"
    )
    row = await cursor.fetchone()
    return bool(row and row[0])


async def prepare(
    connection: psycopg.AsyncConnection[Any],
    url: str,
    *,
    create: bool,
    migrations: tuple[Migration, ...] = MIGRATIONS,
) -> None:
    """Creates or migrates the schema when `create`; otherwise requires one to be there."""
    where = describe(url)
    latest = latest_version(migrations)
    try:
        current = await schema_version(connection)
        if current is not None and current > latest:
            raise NotAnEventStoreError(
                f"{where} has event store schema {current}, newer than this Lukas reads "
                f"(up to {latest}); upgrade Lukas"
            )
        if current is None and not create:
            raise MissingDatabaseError(f"no event store in {where} (nothing recorded there yet)")
        if create and (current or 0) < latest:
            for migration in migrations:
                if migration.version > (current or 0):
                    await _migrate(connection, migration)
    except psycopg.Error as error:
        raise translate(error, url, "preparing the event store") from error


async def _migrate(connection: psycopg.AsyncConnection[Any], migration: Migration) -> None:
    async with connection.transaction():
        await connection.execute("SELECT pg_advisory_xact_lock(%s)", [MIGRATION_LOCK])
        # Another process may have migrated while this one waited for the lock.
        await connection.execute("CREATE SCHEMA IF NOT EXISTS lukas")
        await connection.execute(
            "CREATE TABLE IF NOT EXISTS lukas.schema_version ("
            " version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
        )
        cursor = await connection.execute("SELECT max(version) FROM lukas.schema_version")
        row = await cursor.fetchone()
        if row and row[0] is not None and row[0] >= migration.version:
            return
        for statement in migration.statements:
            await connection.execute(statement)
        await connection.execute(
            "INSERT INTO lukas.schema_version (version) VALUES (%s)", [migration.version]
        )


async def has_event_store(url: str) -> bool:
    """Whether the database holds a Lukas event store; False when the database is missing."""
    try:
        async with await connect(url, "looking for the event store") as connection:
            return await schema_version(connection) is not None
    except MissingDatabaseError:
        return False
    except psycopg.Error as error:
        raise translate(error, url, "looking for the event store") from error
