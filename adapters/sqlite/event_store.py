"""The event log in one SQLite file, through aiosqlite.

Optimistic concurrency is the database's job: `BEGIN IMMEDIATE` takes the write lock, the
stream's version is checked inside that transaction, and UNIQUE(stream_id, version) backs
it up. WAL with synchronous=FULL makes an event durable once append returns. Every sqlite3
error is translated at this boundary; none crosses the port.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any, Literal

import aiosqlite
import anyio
import attrs

from lukas.adapters.closing import ClosedOnExit
from lukas.adapters.event_codec import EventCodec
from lukas.adapters.sqlite.file_kind import FileKind, file_kind
from lukas.adapters.sqlite.group_writer import (
    Append,
    GroupWriter,
    ReadOnlyStoreError,
    is_read_only,
)
from lukas.adapters.sqlite.schema import (
    APPLICATION_ID,
    MIGRATIONS,
    Migration,
    latest_version,
)
from lukas.application.ports.clock import Clock
from lukas.application.ports.event_store import (
    AppendResult,
    EventStoreError,
    NewEvent,
    NotAnEventStoreError,
    RecordedEvent,
)

_COLUMNS = (
    "position, stream_id, version, event_id, type, schema_version, data, metadata, recorded_at"
)
# How often a subscriber looks for events that another process appended.
_POLL_SECONDS = 0.2
_BUSY_TIMEOUT_MS = 10_000
# Enough of quick_check's report to see past rows that only break a CHECK constraint.
_CHECK_LINES = 20


class MissingDatabaseError(EventStoreError):
    pass


class DamagedStoreError(EventStoreError):
    """The file fails SQLite's own check: some pages are not what SQLite wrote."""

    def __init__(self, damage: Damage) -> None:
        if damage.last_good:
            recover = (
                f"events up to position {damage.last_good} read fine: "
                f"`lukas replay --db {damage.path} --until {damage.last_good}` shows them"
            )
        else:
            recover = "no event in it reads back; keep a copy of the file before anything else"
        super().__init__(f"the database {damage.path} is damaged: {damage.detail}; {recover}")


@attrs.frozen
class Damage:
    path: Path
    detail: str
    last_good: int  # every position from 1 to this one reads back


class ReadOnlyFolderError(EventStoreError):
    def __init__(self, path: Path) -> None:
        super().__init__(
            f"cannot write to {path.parent}: read-only, and SQLite keeps {path.name}-wal and "
            f"{path.name}-shm beside {path.name} (check the folder's permissions)"
        )


class SqliteEventStore(ClosedOnExit):
    def __init__(
        self,
        connection: aiosqlite.Connection,
        clock: Clock,
        codec: EventCodec,
        path: Path,
        damage: Damage | None = None,
        *,
        checked: bool = True,
    ) -> None:
        # Reads go through this connection, writes through the writer's own: in WAL mode a
        # read never waits behind a write or its fsync, and sees every committed append.
        self._db = connection
        self._writer = GroupWriter(path, busy_timeout_ms=_BUSY_TIMEOUT_MS)
        self._path = path
        # A damaged file is read only up to its last good position, and never written.
        self._damage = damage
        # False until SQLite's full check has run (ADR 22): it runs before the first write,
        # or when a read meets a page that does not parse.
        self._checked = checked
        self._checking = anyio.Lock()
        self._clock = clock
        self._codec = codec
        self._appended = anyio.Event()

    @classmethod
    async def open(
        cls,
        path: Path,
        clock: Clock,
        *,
        create: bool = True,
        codec: EventCodec | None = None,
        migrations: Sequence[Migration] = MIGRATIONS,
        check: Literal["at_open", "before_writing"] = "at_open",
    ) -> SqliteEventStore:
        """`check`: when SQLite's check of every page runs. "at_open" pays for the whole file
        before anything is read; "before_writing" starts at once and checks before the first
        append (or when a read meets damage), for front ends that must start fast on a long
        log: the check reads every page, about 1.5 s for 1,000,000 events."""
        _check_file(path, create=create)
        try:
            connection = await aiosqlite.connect(path, isolation_level=None)
        except sqlite3.Error as error:
            raise EventStoreError(f"cannot open {path}: {error}") from error
        try:
            damage = await _prepare(connection, path, migrations, check_now=check == "at_open")
            if damage is not None and create:
                raise DamagedStoreError(damage)
            if create:
                # Opened to write: a read-only file is named now, not at the first append.
                await _check_writable(connection, path)
        except BaseException:
            await connection.close()
            raise
        checked = check == "at_open"
        return cls(connection, clock, codec or EventCodec(), path, damage, checked=checked)

    async def verify(self) -> None:
        """Runs SQLite's check of the whole file if it has not run; raises DamagedStoreError
        when it finds damage, and from then on the store reads only the good part and never
        writes. On a connection of its own, so reads go on meanwhile; cancelling it stops
        SQLite at once."""
        async with self._checking:
            if self._checked:
                self._refuse_if_damaged()
                return
            connection = await aiosqlite.connect(self._path, isolation_level=None)
            try:
                damage = await _damage(connection, self._path)
            except anyio.get_cancelled_exc_class():
                with anyio.CancelScope(shield=True):
                    await connection.interrupt()
                raise
            finally:
                with anyio.CancelScope(shield=True):
                    await connection.close()
            self._checked = True
            if damage is not None:
                self._damage = damage
                raise DamagedStoreError(damage)

    async def close(self) -> None:
        try:
            await self._writer.close()
        finally:
            await self._db.close()

    async def append(
        self, stream_id: str, events: Sequence[NewEvent], expected_version: int | None
    ) -> AppendResult:
        if not self._checked:
            await self.verify()
        if self._damage is not None:
            raise DamagedStoreError(self._damage)
        ids = [e.event_id for e in events]
        if len(set(ids)) != len(ids):
            raise ValueError("the same event id twice in one batch")
        # Encode before queueing: a bad event fails without holding up anyone's transaction.
        encoded = [
            (e.event_id, *self._codec.encode(e.event), self._codec.encode_metadata(e.metadata))
            for e in events
        ]
        request = Append(stream_id, encoded, expected_version, self._clock.now().isoformat())
        result = await self._writer.append(request)
        if result.appended:
            self._appended.set()
            self._appended = anyio.Event()
        return result

    async def read_stream(self, stream_id: str, from_version: int = 1) -> list[RecordedEvent]:
        self._refuse_if_damaged()
        return await self._select(
            f"SELECT {_COLUMNS} FROM events WHERE stream_id = ? AND version >= ?"  # noqa: S608
            " ORDER BY version",
            [stream_id, from_version],
        )

    async def read_stream_tail(self, stream_id: str, count: int) -> list[RecordedEvent]:
        if count <= 0:
            return []
        self._refuse_if_damaged()
        newest_first = await self._select(
            f"SELECT {_COLUMNS} FROM events WHERE stream_id = ?"  # noqa: S608
            " ORDER BY version DESC LIMIT ?",
            [stream_id, count],
        )
        return newest_first[::-1]

    async def read_all(
        self, from_position: int = 0, until_position: int | None = None, limit: int | None = None
    ) -> list[RecordedEvent]:
        if self._damage is not None:
            return await self._read_all_damaged(self._damage, from_position, until_position, limit)
        return await self._select(
            f"SELECT {_COLUMNS} FROM events WHERE position > ? AND position <= ?"  # noqa: S608
            " ORDER BY position LIMIT ?",
            [
                from_position,
                until_position if until_position is not None else 2**63 - 1,
                limit if limit is not None else -1,
            ],
        )

    async def _read_all_damaged(
        self, damage: Damage, from_position: int, until_position: int | None, limit: int | None
    ) -> list[RecordedEvent]:
        """Only a read that stays within the good part is answered. A reader going batch by
        batch gets each full batch before the damage and then the error: a short batch would
        tell it that the log ends there."""
        if until_position is not None and until_position <= damage.last_good:
            last = until_position
        elif limit is not None:
            last = damage.last_good
        else:
            raise DamagedStoreError(damage)
        rows = await self._select(
            f"SELECT {_COLUMNS} FROM events WHERE position > ? AND position <= ?"  # noqa: S608
            " ORDER BY position LIMIT ?",
            [from_position, last, limit if limit is not None else -1],
        )
        if last < (until_position or 2**63 - 1) and len(rows) < (limit or 0):
            raise DamagedStoreError(damage)
        return rows

    def _refuse_if_damaged(self) -> None:
        # A stream is read through an index, which the damage may have reached unseen.
        if self._damage is not None:
            raise DamagedStoreError(self._damage)

    async def subscribe(self, from_position: int = 0) -> AsyncIterator[RecordedEvent]:
        position = from_position
        while True:
            appended = self._appended
            batch = await self.read_all(position, limit=500)
            for recorded in batch:
                yield recorded
                position = recorded.position
            if not batch:
                # Woken at once by appends in this process; polls for other processes'.
                with anyio.move_on_after(_POLL_SECONDS):
                    await appended.wait()

    async def _select(self, sql: str, parameters: list[Any]) -> list[RecordedEvent]:
        # One hop to the reader's thread; each statement is a read transaction of its own.
        try:
            rows = await self._db.execute_fetchall(sql, parameters)
        except sqlite3.Error as error:
            if not self._checked and _is_damage(error):
                await self.verify()  # raises DamagedStoreError, naming the good part
            raise EventStoreError(f"reading the event log failed: {error}") from error
        return [self._decode(row) for row in rows]

    def _decode(self, row: sqlite3.Row) -> RecordedEvent:
        return self._codec.decode_row(row)


def _check_file(path: Path, *, create: bool) -> None:
    """Refuse what is plainly not a SQLite file before SQLite touches it."""
    try:
        kind = file_kind(path)
    except OSError as error:
        raise EventStoreError(f"cannot read {path}: {error.strerror}") from error
    match kind:
        case FileKind.DIRECTORY:
            raise NotAnEventStoreError(f"{path} is a directory, not an event store")
        case FileKind.MISSING if not create:
            raise MissingDatabaseError(f"no event store at {path}")
        case FileKind.NOT_REGULAR:
            # /dev/null and the like: SQLite would fail later with an error about a transaction.
            raise NotAnEventStoreError(
                f"{path} is not a regular file, not an event store (give --db a file's path)"
            )
        case FileKind.NOT_SQLITE:
            raise NotAnEventStoreError(f"{path} is not a SQLite database (not a Lukas event store)")
        case FileKind.MISSING | FileKind.SQLITE:
            pass


async def _prepare(
    db: aiosqlite.Connection, path: Path, migrations: Sequence[Migration], *, check_now: bool
) -> Damage | None:
    try:
        application_id, user_version, tables = await _identify(db)
    except sqlite3.DatabaseError as error:
        if _folder_is_read_only(error, path):
            raise ReadOnlyFolderError(path) from error
        raise NotAnEventStoreError(f"{path} is not a readable SQLite database: {error}") from error
    latest = latest_version(migrations)
    if application_id != APPLICATION_ID and (application_id != 0 or tables or user_version):
        shown = ", ".join(sorted(tables)[:5]) or "none"
        raise NotAnEventStoreError(
            f"{path} is a SQLite database of another program (tables: {shown}), "
            "not a Lukas event store; refusing to touch it"
        )
    if user_version > latest:
        raise NotAnEventStoreError(
            f"{path} has event store schema {user_version}, newer than this Lukas reads "
            f"(up to {latest}); upgrade Lukas"
        )
    if check_now and user_version:
        damage = await _damage(db, path)
        if damage is not None:
            return damage
    try:
        await db.execute("PRAGMA journal_mode = WAL")
        await db.execute("PRAGMA synchronous = FULL")
        await db.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_MS}")
        # Each page's cells are checked as it is read: damage the full check has not
        # looked at yet fails a read (SQLITE_CORRUPT) instead of reading as garbage.
        await db.execute("PRAGMA cell_size_check = ON")
        for migration in migrations:
            if migration.version > user_version:
                await _migrate(db, migration)
    except sqlite3.Error as error:
        if is_read_only(error):
            raise ReadOnlyStoreError(path) from error
        raise EventStoreError(f"cannot prepare the event store in {path}: {error}") from error
    return None


async def _damage(db: aiosqlite.Connection, path: Path) -> Damage | None:
    """SQLite's quick_check: every page and record well formed, without cross-checking
    indexes against the table as integrity_check does (about half the time: 0.13 s against
    0.27 s for 100,000 events). Without it a damaged page can look like an empty one."""
    found = await _quick_check(db, 1)
    if found and all(_breaks_a_check(line) for line in found):
        # A row that breaks a CHECK was written around the database's rules, not damaged:
        # reading it names its position. Damage may still hide behind it.
        found = await _quick_check(db, _CHECK_LINES)
    damage = [line for line in found if not _breaks_a_check(line)]
    if not damage:
        return None
    return Damage(path, damage[0], await _last_good_position(db))


async def _quick_check(db: aiosqlite.Connection, most: int) -> list[str]:
    """quick_check's complaints, one a line ("ok" is none). SQLite heads its report with
    "*** in database main ***"; on some damage it stops with an error instead."""
    try:
        async with db.execute(f"PRAGMA quick_check({most})") as cursor:
            report = [str(row[0]) for row in await cursor.fetchall()]
    except sqlite3.DatabaseError as error:
        return [str(error)]
    lines = (line.strip() for text in report for line in text.splitlines())
    return [line for line in lines if line and line != "ok" and not line.startswith("***")]


def _is_damage(error: sqlite3.Error) -> bool:
    code = getattr(error, "sqlite_errorcode", 0) & 0xFF
    return code in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB)


def _breaks_a_check(line: str) -> bool:
    return "constraint failed" in line


async def _last_good_position(db: aiosqlite.Connection) -> int:
    """The last position that a read in order, from the start, gets to: what `replay
    --until` can show. The log has no gaps, so a missing position is damage too. Read in
    chunks, then row by row from the last good chunk: a chunk that fails says nothing about
    which of its rows did."""
    last = 0
    for chunk in (500, 1):
        try:
            async with db.execute(
                f"SELECT {_COLUMNS} FROM events WHERE position > ? ORDER BY position",  # noqa: S608
                [last],
            ) as cursor:
                while rows := await cursor.fetchmany(chunk):
                    for row in rows:
                        if row[0] != last + 1:
                            return last
                        last = row[0]
            return last
        except sqlite3.DatabaseError:
            continue  # the first row that does not read back ends the good run
    return last


async def _identify(db: aiosqlite.Connection) -> tuple[int, int, set[str]]:
    async with db.execute("PRAGMA application_id") as cursor:
        application_id = (await cursor.fetchone() or (0,))[0]
    async with db.execute("PRAGMA user_version") as cursor:
        user_version = (await cursor.fetchone() or (0,))[0]
    async with db.execute("SELECT name FROM sqlite_master WHERE type = 'table'") as cursor:
        tables = {row[0] for row in await cursor.fetchall()}
    return int(application_id), int(user_version), tables


async def _migrate(db: aiosqlite.Connection, migration: Migration) -> None:
    await db.execute("BEGIN IMMEDIATE")
    try:
        # Another process may have migrated while this one waited for the write lock.
        async with db.execute("PRAGMA user_version") as cursor:
            current = (await cursor.fetchone() or (0,))[0]
        if current >= migration.version:
            await db.execute("COMMIT")
            return
        for statement in migration.statements:
            await db.execute(statement)
        await db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        await db.execute(f"PRAGMA user_version = {migration.version}")
        await db.execute("COMMIT")
    except BaseException:
        await _roll_back(db)
        raise


async def _roll_back(db: aiosqlite.Connection) -> None:
    """Rolls back what is open. SQLite ends a transaction itself on some errors (a full
    disk, an I/O error); a ROLLBACK then would fail and hide the error that matters."""
    if db.in_transaction:
        await db.execute("ROLLBACK")


async def _check_writable(db: aiosqlite.Connection, path: Path) -> None:
    """Writes the schema version it already has, then rolls back: SQLite reports a
    read-only file only when a page is written, which BEGIN IMMEDIATE alone does not do."""
    try:
        await db.execute("BEGIN IMMEDIATE")
        try:
            async with db.execute("PRAGMA user_version") as cursor:
                version = (await cursor.fetchone() or (0,))[0]
            await db.execute(f"PRAGMA user_version = {int(version)}")
        finally:
            await _roll_back(db)
    except sqlite3.Error as error:
        if is_read_only(error):
            raise ReadOnlyStoreError(path) from error
        raise EventStoreError(f"cannot write to {path}: {error}") from error


def _folder_is_read_only(error: sqlite3.Error, path: Path) -> bool:
    """A WAL database in a read-only folder cannot be opened at all: SQLite must create
    its -shm file beside it. SQLite says only "unable to open database file"."""
    cant_open = (getattr(error, "sqlite_errorcode", 0) & 0xFF) == sqlite3.SQLITE_CANTOPEN
    return cant_open and path.is_file() and not os.access(path.parent, os.W_OK)
