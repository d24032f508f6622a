"""Data keys in the PostgreSQL database of the event store, table `lukas.data_keys` (made
by the schema's migration 2), on a connection of their own (ADR 27).

A key is committed with synchronous_commit on before key_for returns. Each delete is
followed by VACUUM FULL of the table (adapters/postgres/vacuum.py), so no deleted key stays
in the table's files. What PostgreSQL cannot promise:
- its write-ahead log (pg_wal) keeps each key as it was inserted until the segment is
  recycled (renamed and overwritten, not erased), and archived WAL keeps it for as long as
  the archive does; so do streaming replicas' WAL and base backups;
- a pg_dump, base backup or file-system snapshot made before the delete holds the key, so
  backups of the log should leave this table out (pg_dump --exclude-table-data
  lukas.data_keys) and keep keys apart, for a short time only;
- blocks the file system freed (the old table files) stay on the device until reused.

Errors are translated into DataKeyError with the server's first line only: a DETAIL line
can quote a row, and so a secret.
"""

from __future__ import annotations

import secrets
from collections.abc import Collection, Mapping
from typing import Any

import anyio
import psycopg

from lukas.adapters.closing import ClosedOnExit
from lukas.adapters.postgres.connection import connect, describe, prepare, translate
from lukas.adapters.postgres.vacuum import NotRewrittenError, rewrite
from lukas.application.ports.data_keys import KEY_BYTES, DataKey, DataKeyError
from lukas.application.ports.event_store import EventStoreError

_COLUMNS = "key_id, person, period, secret"


class PostgresDataKeys(ClosedOnExit):
    def __init__(self, connection: psycopg.AsyncConnection[Any], url: str) -> None:
        self._db = connection
        self._url = url
        # One connection serves one statement at a time.
        self._lock = anyio.Lock()

    @classmethod
    async def open(cls, url: str, *, create: bool) -> PostgresDataKeys:
        """Opens the key store in the database at `url`; with `create`, makes (or migrates)
        the schema first."""
        connection = await _connect(url, create=create)
        return cls(connection, url)

    async def close(self) -> None:
        await self._db.close()

    def __repr__(self) -> str:
        return f"PostgresDataKeys({describe(self._url)!r})"

    async def key_for(self, person: str, period: str) -> DataKey:
        select = f"SELECT {_COLUMNS} FROM lukas.data_keys WHERE person = %s AND period = %s"  # noqa: S608
        async with self._lock:
            try:
                connection = await self._connection()
                row = await _fetch_one(connection, select, [person, period])
                if row is None:
                    # Committed on its own (autocommit); of two writers, the second waits for
                    # the first's commit, inserts nothing, and then reads the first's key.
                    await connection.execute(
                        "INSERT INTO lukas.data_keys (key_id, person, period, secret)"
                        " VALUES (%s, %s, %s, %s) ON CONFLICT (person, period) DO NOTHING",
                        [secrets.token_hex(16), person, period, secrets.token_bytes(KEY_BYTES)],
                    )
                    row = await _fetch_one(connection, select, [person, period])
            except psycopg.Error as error:
                raise self._error(error, "making a key") from error
        if row is None:
            raise DataKeyError(f"the key store in {describe(self._url)} lost a key just written")
        return _key(row)

    async def find(self, key_ids: Collection[str]) -> Mapping[str, DataKey]:
        if not key_ids:
            return {}
        async with self._lock:
            try:
                connection = await self._connection()
                cursor = await connection.execute(
                    f"SELECT {_COLUMNS} FROM lukas.data_keys WHERE key_id = ANY(%s)",  # noqa: S608
                    [list(key_ids)],
                )
                rows = await cursor.fetchall()
            except psycopg.Error as error:
                raise self._error(error, "reading keys") from error
        return {str(row[0]): _key(row) for row in rows}

    async def forget_person(self, person: str) -> int:
        return await self._delete("DELETE FROM lukas.data_keys WHERE person = %s", person)

    async def drop_before(self, period: str) -> int:
        return await self._delete("DELETE FROM lukas.data_keys WHERE period < %s", period)

    async def first_opened_empty(self, log_is_empty: bool) -> bool:
        async with self._lock:
            try:
                connection = await self._connection()
                # Read first: a reader with no right to write records nothing.
                row = await _fetch_one(
                    connection, "SELECT was_empty FROM lukas.data_key_log_start", []
                )
                if row is not None:
                    return bool(row[0])
                async with connection.transaction():
                    await connection.execute(
                        "INSERT INTO lukas.data_key_log_start (id, was_empty) VALUES (1, %s)"
                        " ON CONFLICT (id) DO NOTHING",
                        [log_is_empty],
                    )
                    row = await _fetch_one(
                        connection, "SELECT was_empty FROM lukas.data_key_log_start", []
                    )
            except psycopg.Error as error:
                raise self._error(error, "recording the log's start") from error
        return bool(row and row[0])

    async def epoch(self) -> int:
        async with self._lock:
            try:
                connection = await self._connection()
                row = await _fetch_one(
                    connection, "SELECT value FROM lukas.data_key_epoch WHERE id = 1", []
                )
            except psycopg.Error as error:
                raise self._error(error, "reading the epoch") from error
        if row is None:
            raise DataKeyError(f"the key store in {describe(self._url)} lost its epoch row")
        return int(row[0])

    async def _delete(self, statement: str, value: str) -> int:
        async with self._lock:
            try:
                connection = await self._connection()
                async with connection.transaction():
                    cursor = await connection.execute(statement, [value])
                    deleted = cursor.rowcount
                    if deleted:
                        await connection.execute(
                            "UPDATE lukas.data_key_epoch SET value = value + 1 WHERE id = 1"
                        )
                # A forget waits at most 10 s for the table's lock (lock_timeout), then says so.
                # Even when nothing was deleted now: an earlier delete whose VACUUM failed
                # (a lost connection) is cleaned up by asking again.
                await rewrite(connection, "lukas", "data_keys")
            except psycopg.Error as error:
                raise self._error(error, "deleting keys") from error
            except NotRewrittenError as error:
                raise DataKeyError(f"in {describe(self._url)}: {error}") from error
        return deleted

    async def _connection(self) -> psycopg.AsyncConnection[Any]:
        """The connection, opened again if it was lost (a restarted server, a network cut)."""
        if self._db.closed or self._db.broken:
            self._db = await _connect(self._url, create=False)
        return self._db

    def _error(self, error: psycopg.Error, doing: str) -> DataKeyError:
        return DataKeyError(str(translate(error, self._url, doing)))


def _key(row: tuple[Any, ...]) -> DataKey:
    """A key from a row of (key_id, person, period, secret)."""
    return DataKey(str(row[0]), str(row[1]), str(row[2]), bytes(row[3]))


async def _fetch_one(
    connection: psycopg.AsyncConnection[Any], statement: str, parameters: list[str]
) -> tuple[Any, ...] | None:
    cursor = await connection.execute(statement, parameters)
    return await cursor.fetchone()


async def _connect(url: str, *, create: bool) -> psycopg.AsyncConnection[Any]:
    try:
        connection = await connect(url, "opening the key store")
    except EventStoreError as error:
        raise DataKeyError(str(error)) from error
    try:
        # Durable at return whatever the role's or database's default.
        await connection.execute("SET synchronous_commit = on")
        await connection.execute("SET lock_timeout = '10s'")
        await prepare(connection, url, create=create)
        row = await _fetch_one(connection, "SELECT to_regclass('lukas.data_keys') IS NOT NULL", [])
        if not (row and row[0]):
            raise DataKeyError(
                f"no key store in {describe(url)} (its schema predates data keys; "
                "start Lukas once to migrate it)"
            )
    except BaseException as error:
        await connection.close()
        if isinstance(error, EventStoreError):
            raise DataKeyError(str(error)) from error
        if isinstance(error, psycopg.Error):
            raise DataKeyError(str(translate(error, url, "opening the key store"))) from error
        raise
    return connection
