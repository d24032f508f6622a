"""The event store's writer: one connection on a thread of its own, with group commit.

Appends that arrive while a transaction is being written wait, then go together in the
next one: one BEGIN IMMEDIATE, each append checked and inserted inside a SAVEPOINT of its
own (so a conflict or a bad row undoes only that append), one COMMIT and so one fsync for
all. No caller hears of its append before that COMMIT: durable when append returns, as
with one transaction each. Queued in arrival order, so appends to one stream are written
in the order they were made. A whole batch is one hop to the writer thread, where the
per-statement hops of aiosqlite would cost one each.

sqlite3 errors are translated here; what reaches a caller is an EventStoreError.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import threading
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import attrs

from lukas.application.ports.event_store import AppendResult, ConcurrencyError, EventStoreError

# event_id, type, schema_version, data, metadata: an event as the codec made it.
Encoded = tuple[str, str, int, str, str]

_INSERT = (
    "INSERT INTO events (event_id, stream_id, version, type, schema_version,"
    " data, metadata, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)
# The common case, checks included, in one statement: nothing written when the id is
# stored or the stream is not at the expected version (the full path tells which).
_INSERT_IF_EXPECTED = (
    "INSERT INTO events (event_id, stream_id, version, type, schema_version,"
    " data, metadata, recorded_at) SELECT ?, ?, ?, ?, ?, ?, ?, ?"
    " WHERE NOT EXISTS (SELECT 1 FROM events WHERE event_id = ?)"
    " AND (SELECT COALESCE(MAX(version), 0) FROM events WHERE stream_id = ?) = ?"
)


@attrs.frozen
class Append:
    stream_id: str
    events: Sequence[Encoded]
    expected_version: int | None
    recorded_at: str


class ReadOnlyStoreError(EventStoreError):
    def __init__(self, path: Path) -> None:
        super().__init__(f"cannot write to {path}: read-only (check the file's permissions)")


Outcome = AppendResult | EventStoreError
_Waiting = tuple[Append, "asyncio.Future[AppendResult]"]


class GroupWriter:
    def __init__(self, path: Path, *, busy_timeout_ms: int) -> None:
        self._path = path
        self._busy_timeout_ms = busy_timeout_ms
        # One thread: the connection is only ever used by it, one batch at a time.
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="lukas-event-writer")
        self._connection: sqlite3.Connection | None = None
        # Shared with the writer thread, under the lock.
        self._lock = threading.Lock()
        self._queue: list[_Waiting] = []
        self._draining: Future[None] | None = None

    async def append(self, request: Append) -> AppendResult:
        done: asyncio.Future[AppendResult] = asyncio.get_running_loop().create_future()
        with self._lock:
            self._queue.append((request, done))
            start = self._draining is None
            if start:
                # The thread takes batch after batch until the queue is empty, without
                # waiting for the event loop between them.
                self._draining = self._thread.submit(self._drain)
        # A caller cancelled before its batch starts is left out of it (never written);
        # one cancelled during the batch may still have been written, as with any write.
        return await done

    async def close(self) -> None:
        with self._lock:
            draining = self._draining
        if draining is not None:
            await asyncio.shield(asyncio.wrap_future(draining))
        if self._connection is not None:
            loop = asyncio.get_running_loop()
            await loop.run_in_executor(self._thread, self._connection.close)
            self._connection = None
        self._thread.shutdown(wait=False)

    # Everything below runs on the writer thread.

    def _drain(self) -> None:
        while True:
            with self._lock:
                queued, self._queue = self._queue, []
                if not queued:
                    self._draining = None
                    return
            batch = [(request, done) for request, done in queued if not done.cancelled()]
            if not batch:
                continue
            try:
                outcomes = self._write([request for request, _ in batch])
            except Exception as error:  # a bug, not SQLite: every waiter must still hear back
                outcomes = [EventStoreError(f"append failed: {error}")] * len(batch)
            loop = batch[0][1].get_loop()
            # A closed event loop refuses: nobody is left to tell.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(_tell, batch, outcomes)

    def _write(self, batch: list[Append]) -> list[Outcome]:
        try:
            db = self._connect()
            if len(batch) == 1:
                single = _insert_if_single(db, batch[0])
                if single is not None:
                    return [single]
            db.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as error:
            return [self._translated(error, request) for request in batch]
        outcomes = [self._append_in_savepoint(db, request) for request in batch]
        try:
            if not db.in_transaction:
                # SQLite ended the transaction on an error (a full disk, an I/O error):
                # what the appends before it wrote is gone with it.
                failed = [o for o in outcomes if isinstance(o, EventStoreError)]
                cause = failed[-1] if failed else EventStoreError("the transaction ended")
                return [_lost(request, cause) for request in batch]
            db.execute("COMMIT")
        except sqlite3.Error as error:
            _roll_back(db)
            return [self._translated(error, request) for request in batch]
        return outcomes

    def _append_in_savepoint(self, db: sqlite3.Connection, request: Append) -> Outcome:
        if not db.in_transaction:
            return EventStoreError(f"append to {request.stream_id!r} failed: not written")
        try:
            # One statement needs no savepoint: SQLite undoes a failed statement alone.
            inserted = _insert_if_single(db, request)
            if inserted is not None:
                return inserted
            db.execute("SAVEPOINT one_append")
            try:
                outcome = _append_checked(db, request)
            except BaseException:
                if db.in_transaction:
                    db.execute("ROLLBACK TO one_append")
                    db.execute("RELEASE one_append")
                raise
            db.execute("RELEASE one_append")
        except ConcurrencyError as error:
            return error
        except sqlite3.Error as error:
            return self._translated(error, request)
        return outcome

    def _connect(self) -> sqlite3.Connection:
        if self._connection is None:
            # The reader connection opened, checked and migrated the file already.
            db = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
            try:
                db.execute(f"PRAGMA busy_timeout = {self._busy_timeout_ms}")
                db.execute("PRAGMA journal_mode = WAL")
                db.execute("PRAGMA synchronous = FULL")
            except BaseException:
                db.close()
                raise
            self._connection = db
        return self._connection

    def _translated(self, error: sqlite3.Error, request: Append) -> EventStoreError:
        if is_read_only(error):
            translated: EventStoreError = ReadOnlyStoreError(self._path)
        else:
            translated = EventStoreError(f"append to {request.stream_id!r} failed: {error}")
        translated.__cause__ = error
        return translated


def _tell(batch: list[_Waiting], outcomes: list[Outcome]) -> None:
    for (_, done), outcome in zip(batch, outcomes, strict=True):
        if done.done():
            continue
        if isinstance(outcome, AppendResult):
            done.set_result(outcome)
        else:
            done.set_exception(outcome)


def _insert_if_single(db: sqlite3.Connection, request: Append) -> AppendResult | None:
    """A single event with an expected version, as one statement (its own transaction when
    none is open). None when it wrote nothing: the full path then tells a duplicate from a
    conflict."""
    expected = request.expected_version
    if len(request.events) != 1 or expected is None:
        return None
    event_id, event_type, schema, data, meta = request.events[0]
    cursor = db.execute(
        _INSERT_IF_EXPECTED,
        (
            *(event_id, request.stream_id, expected + 1, event_type, schema, data, meta),
            *(request.recorded_at, event_id, request.stream_id, expected),
        ),
    )
    return AppendResult(expected + 1, 1) if cursor.rowcount == 1 else None


def _append_checked(db: sqlite3.Connection, request: Append) -> AppendResult:
    """Inside a transaction: skips stored ids, checks the version, inserts the rest."""
    expected, events, stream_id = request.expected_version, request.events, request.stream_id
    placeholders = ",".join("?" * len(events))
    stored = {
        row[0]
        for row in db.execute(
            f"SELECT event_id FROM events WHERE event_id IN ({placeholders})",  # noqa: S608
            [e[0] for e in events],
        )
    }
    (current,) = db.execute(
        "SELECT COALESCE(MAX(version), 0) FROM events WHERE stream_id = ?", [stream_id]
    ).fetchone()
    new = [e for e in events if e[0] not in stored]
    if not new:
        return AppendResult(stream_version=current, appended=0)
    if expected is not None and expected != current:
        raise ConcurrencyError(stream_id, expected, current)
    db.executemany(
        _INSERT,
        [
            (event_id, stream_id, current + i, event_type, schema, data, meta, request.recorded_at)
            for i, (event_id, event_type, schema, data, meta) in enumerate(new, 1)
        ],
    )
    return AppendResult(stream_version=current + len(new), appended=len(new))


def _lost(request: Append, cause: EventStoreError) -> EventStoreError:
    lost = EventStoreError(f"append to {request.stream_id!r} failed: {cause}")
    lost.__cause__ = cause
    return lost


def _roll_back(db: sqlite3.Connection) -> None:
    # SQLite ends a transaction itself on some errors; a ROLLBACK then would fail.
    if db.in_transaction:
        db.execute("ROLLBACK")


def is_read_only(error: sqlite3.Error) -> bool:
    # SQLITE_READONLY and its extended codes (SQLITE_READONLY_DIRECTORY, ...).
    return (getattr(error, "sqlite_errorcode", 0) & 0xFF) == sqlite3.SQLITE_READONLY
