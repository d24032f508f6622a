"""Data keys in a SQLite file of their own beside the log (`lukas.db.keys`), so that a copy
of the log is not a copy of its keys, and forgetting is deleting a few rows here (ADR 27).

A deleted key must leave no byte on disk, so this file is kept in rollback-journal mode
(journal_mode=DELETE), not WAL as the log is:
- `secure_delete` zeroes a deleted row where it lay in its page, and zeroes pages as they
  are freed, so the database file itself keeps nothing of it.
- The journal holds the pages as they were before the transaction (the deleted key among
  them) only until the commit, whose last step is unlinking it. There is no -wal file that
  must be checkpointed and truncated, which a reader of another process can hold up; so no
  delete has to fail for want of a truncation.
- synchronous=EXTRA, not FULL: FULL does not sync the folder after the journal is unlinked,
  and a power cut just then would bring the journal back and roll the delete back, key and
  all. EXTRA also makes a new key durable before key_for returns.
What SQLite cannot reach: blocks that the file system freed (the unlinked journal's) stay on
the device until reused, and any backup that copied this file keeps its keys.

Every sqlite3 error is translated into DataKeyError. SQLite's messages never hold the values
bound to a statement, so a secret never reaches one.
"""

from __future__ import annotations

import json
import os
import secrets
import sqlite3
from collections.abc import Collection, Mapping
from pathlib import Path

import aiosqlite
import anyio

from lukas.adapters.closing import ClosedOnExit
from lukas.adapters.sqlite.file_kind import FileKind, file_kind
from lukas.application.ports.data_keys import KEY_BYTES, DataKey, DataKeyError

# "LUKK" in ASCII: marks a SQLite file as Lukas's key store, apart from the event store's
# "LUKA", so that neither is ever opened as the other.
APPLICATION_ID = 0x4C554B4B
SCHEMA_VERSION = 1
_BUSY_TIMEOUT_MS = 10_000
_COLUMNS = "key_id, person, period, secret"

_SCHEMA = (
    f"""
    CREATE TABLE data_keys (
        key_id TEXT NOT NULL PRIMARY KEY,
        person TEXT NOT NULL,
        period TEXT NOT NULL,
        secret BLOB NOT NULL CHECK (length(secret) = {KEY_BYTES}),
        UNIQUE (person, period)
    )
    """,
    "CREATE INDEX data_keys_by_period ON data_keys (period)",
    # One row: bumped in the transaction of every delete that removed a key.
    """
    CREATE TABLE epoch (
        id    INTEGER PRIMARY KEY CHECK (id = 1),
        value INTEGER NOT NULL CHECK (value >= 0)
    )
    """,
    "INSERT INTO epoch (id, value) VALUES (1, 0)",
    # One row, once a log is first opened with these keys: was it empty then?
    """
    CREATE TABLE log_start (
        id        INTEGER PRIMARY KEY CHECK (id = 1),
        was_empty INTEGER NOT NULL CHECK (was_empty IN (0, 1))
    )
    """,
)


class SqliteDataKeys(ClosedOnExit):
    def __init__(self, connection: aiosqlite.Connection, path: Path) -> None:
        self._db = connection
        self._path = path
        # One connection runs one transaction at a time.
        self._lock = anyio.Lock()

    @classmethod
    async def open(cls, path: Path, *, create: bool) -> SqliteDataKeys:
        """Opens the key store at `path`; with `create`, makes it (mode 0600) when missing."""
        _check_file(path, create=create)
        try:
            connection = await aiosqlite.connect(path, isolation_level=None)
        except sqlite3.Error as error:
            raise DataKeyError(f"cannot open the key store {path}: {error}") from error
        try:
            await _prepare(connection, path, create=create)
        except BaseException:
            await connection.close()
            raise
        return cls(connection, path)

    async def close(self) -> None:
        await self._db.close()

    def __repr__(self) -> str:
        return f"SqliteDataKeys({str(self._path)!r})"

    async def key_for(self, person: str, period: str) -> DataKey:
        select = f"SELECT {_COLUMNS} FROM data_keys WHERE person = ? AND period = ?"  # noqa: S608
        async with self._lock:
            try:
                row = await _fetch_one(self._db, select, [person, period])
                if row is not None:
                    return _key(row)
                # The write lock first: of two writers asking at once, the second finds the
                # first one's key instead of making its own.
                await self._db.execute("BEGIN IMMEDIATE")
                try:
                    await self._db.execute(
                        "INSERT INTO data_keys (key_id, person, period, secret)"
                        " VALUES (?, ?, ?, ?) ON CONFLICT (person, period) DO NOTHING",
                        [secrets.token_hex(16), person, period, secrets.token_bytes(KEY_BYTES)],
                    )
                    row = await _fetch_one(self._db, select, [person, period])
                    await self._db.execute("COMMIT")
                except BaseException:
                    await _roll_back(self._db)
                    raise
            except sqlite3.Error as error:
                raise self._error("making a key", error) from error
        if row is None:
            raise DataKeyError(f"the key store {self._path} lost a key it had just written")
        return _key(row)

    async def find(self, key_ids: Collection[str]) -> Mapping[str, DataKey]:
        if not key_ids:
            return {}
        # The ids as one JSON array: one statement however many, with no limit on variables.
        async with self._lock:
            try:
                async with self._db.execute(
                    f"SELECT {_COLUMNS} FROM data_keys"  # noqa: S608
                    " WHERE key_id IN (SELECT value FROM json_each(?))",
                    [json.dumps(list(key_ids))],
                ) as cursor:
                    rows = await cursor.fetchall()
            except sqlite3.Error as error:
                raise self._error("reading keys", error) from error
        return {str(row[0]): _key(row) for row in rows}

    async def forget_person(self, person: str) -> int:
        return await self._delete("DELETE FROM data_keys WHERE person = ?", person)

    async def drop_before(self, period: str) -> int:
        return await self._delete("DELETE FROM data_keys WHERE period < ?", period)

    async def first_opened_empty(self, log_is_empty: bool) -> bool:
        async with self._lock:
            try:
                # Read first: a log opened only to be read (a read-only copy) writes nothing.
                row = await _fetch_one(self._db, "SELECT was_empty FROM log_start", [])
                if row is not None:
                    return bool(row[0])
                await self._db.execute("BEGIN IMMEDIATE")
                try:
                    await self._db.execute(
                        "INSERT INTO log_start (id, was_empty) VALUES (1, ?)"
                        " ON CONFLICT (id) DO NOTHING",
                        [int(log_is_empty)],
                    )
                    row = await _fetch_one(self._db, "SELECT was_empty FROM log_start", [])
                    await self._db.execute("COMMIT")
                except BaseException:
                    await _roll_back(self._db)
                    raise
            except sqlite3.Error as error:
                raise self._error("recording the log's start", error) from error
        return bool(row and row[0])

    async def epoch(self) -> int:
        async with self._lock:
            try:
                row = await _fetch_one(self._db, "SELECT value FROM epoch WHERE id = 1", [])
            except sqlite3.Error as error:
                raise self._error("reading the epoch", error) from error
        if row is None:
            raise DataKeyError(f"the key store {self._path} has lost its epoch row")
        return int(row[0])

    async def _delete(self, statement: str, value: str) -> int:
        async with self._lock:
            try:
                await self._db.execute("BEGIN IMMEDIATE")
                try:
                    cursor = await self._db.execute(statement, [value])
                    deleted = cursor.rowcount
                    if deleted:
                        await self._db.execute("UPDATE epoch SET value = value + 1 WHERE id = 1")
                    await self._db.execute("COMMIT")
                except BaseException:
                    await _roll_back(self._db)
                    raise
            except sqlite3.Error as error:
                raise self._error("deleting keys", error) from error
        return deleted

    def _error(self, doing: str, error: sqlite3.Error) -> DataKeyError:
        return DataKeyError(f"{doing} in the key store {self._path} failed: {error}")


def _key(row: sqlite3.Row) -> DataKey:
    """A key from a row of (key_id, person, period, secret)."""
    return DataKey(str(row[0]), str(row[1]), str(row[2]), bytes(row[3]))


async def _fetch_one(
    db: aiosqlite.Connection, sql: str, parameters: list[str]
) -> sqlite3.Row | None:
    async with db.execute(sql, parameters) as cursor:
        return await cursor.fetchone()


async def _roll_back(db: aiosqlite.Connection) -> None:
    # SQLite ends a transaction itself on some errors; a ROLLBACK then would hide the cause.
    if db.in_transaction:
        await db.execute("ROLLBACK")


def _check_file(path: Path, *, create: bool) -> None:
    """Refuses what is plainly not a key store, and makes a new one readable by its owner
    only, before SQLite touches it."""
    try:
        kind = file_kind(path)
    except OSError as error:
        raise DataKeyError(f"cannot read the key store {path}: {error.strerror}") from error
    match kind:
        case FileKind.DIRECTORY:
            raise DataKeyError(f"{path} is a directory, not a key store")
        case FileKind.MISSING if not create:
            raise DataKeyError(f"no key store at {path} (the file is missing)")
        case FileKind.MISSING:
            try:
                os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
            except FileExistsError:
                pass  # another process made it first: SQLite's locks order the rest
            except OSError as error:
                raise DataKeyError(
                    f"cannot create the key store {path}: {error.strerror}"
                ) from error
        case FileKind.NOT_REGULAR:
            raise DataKeyError(f"{path} is not a regular file, not a key store")
        case FileKind.NOT_SQLITE:
            raise DataKeyError(f"{path} is not a SQLite database, not a Lukas key store")
        case FileKind.SQLITE:
            pass


async def _prepare(db: aiosqlite.Connection, path: Path, *, create: bool) -> None:
    try:
        await db.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_MS}")
        application_id, user_version, tables = await _identify(db)
    except sqlite3.Error as error:
        raise DataKeyError(f"{path} is not a readable SQLite database: {error}") from error
    if application_id != APPLICATION_ID and (application_id != 0 or tables or user_version):
        raise DataKeyError(f"{path} is not a Lukas key store (another program's database)")
    if user_version > SCHEMA_VERSION:
        raise DataKeyError(
            f"{path} has key store schema {user_version}, newer than this Lukas reads "
            f"(up to {SCHEMA_VERSION}); upgrade Lukas"
        )
    if user_version == 0 and not create:
        raise DataKeyError(f"no key store at {path} (the file is empty)")
    try:
        await _require(db, "PRAGMA journal_mode = DELETE", "delete", path)
        await db.execute("PRAGMA synchronous = EXTRA")
        await _require(db, "PRAGMA secure_delete = ON", 1, path)
        if user_version == 0:
            await _make_schema(db)
    except sqlite3.Error as error:
        raise DataKeyError(f"cannot prepare the key store {path}: {error}") from error


async def _require(db: aiosqlite.Connection, pragma: str, expected: object, path: Path) -> None:
    """Runs a pragma that answers with the setting in force, and insists on it: a key store
    that cannot promise to erase is not used."""
    row = await _fetch_one(db, pragma, [])
    if row is None or row[0] != expected:
        got = row[0] if row else None
        raise DataKeyError(f"the key store {path} refused {pragma!r} (it answered {got!r})")


async def _identify(db: aiosqlite.Connection) -> tuple[int, int, set[str]]:
    application_id = await _fetch_one(db, "PRAGMA application_id", [])
    user_version = await _fetch_one(db, "PRAGMA user_version", [])
    async with db.execute("SELECT name FROM sqlite_master WHERE type = 'table'") as cursor:
        tables = {str(row[0]) for row in await cursor.fetchall()}
    return int((application_id or (0,))[0]), int((user_version or (0,))[0]), tables


async def _make_schema(db: aiosqlite.Connection) -> None:
    await db.execute("BEGIN IMMEDIATE")
    try:
        # Another process may have made it while this one waited for the write lock.
        row = await _fetch_one(db, "PRAGMA user_version", [])
        if row is not None and row[0] >= SCHEMA_VERSION:
            await db.execute("COMMIT")
            return
        for statement in _SCHEMA:
            await db.execute(statement)
        await db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        await db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        await db.execute("COMMIT")
    except BaseException:
        await _roll_back(db)
        raise
