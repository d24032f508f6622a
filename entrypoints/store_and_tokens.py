"""The adapters the commands that only read the log need: the event store, its checkpoints
and the token counter. Kept apart from wiring.py, which imports every use case, so that
`lukas replay`, `stats`, `context` and `config show` import only these."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import attrs

from lukas.adapters.memory.checkpoints import NoCheckpoints
from lukas.adapters.memory.data_keys import NoDataKeys
from lukas.adapters.sealing.sealed_store import SealedEventStore
from lukas.adapters.sqlite.checkpoints import SqliteCheckpoints
from lukas.adapters.sqlite.data_keys import SqliteDataKeys
from lukas.adapters.sqlite.event_store import SqliteEventStore
from lukas.adapters.system_clock import SystemClock
from lukas.application.ports.checkpoints import CheckpointError, Checkpoints
from lukas.application.ports.data_keys import DataKeys
from lukas.application.ports.event_store import EventStore
from lukas.entrypoints.config import Config
from lukas.entrypoints.db_location import Location, beside

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from lukas.adapters.postgres.checkpoints import PostgresCheckpoints
    from lukas.adapters.tokens.tiktoken_counter import DeferredTiktokenCounter, TiktokenCounter


@attrs.frozen
class OpenedLog:
    """The log, sealing personal words with the keys kept apart from it (ADR 27)."""

    store: SealedEventStore
    keys: DataKeys
    # Where the keys are, for messages: a file beside a SQLite log, or a table.
    keys_where: str


@asynccontextmanager
async def open_store(
    location: Location,
    *,
    create: bool,
    check: Literal["at_open", "before_writing"] = "at_open",
) -> AsyncIterator[EventStore]:
    """A SQLite file or a PostgreSQL database, its personal words sealed. `check`
    "before_writing" for what must start fast on a long SQLite log (ADR 22); PostgreSQL
    checks its own pages."""
    async with open_log(location, create=create, check=check) as log:
        yield log.store


@asynccontextmanager
async def open_log(
    location: Location,
    *,
    create: bool,
    check: Literal["at_open", "before_writing"] = "at_open",
) -> AsyncIterator[OpenedLog]:
    async with (
        _raw_store(location, create=create, check=check) as raw,
        _keys(location, create=create) as (keys, where),
    ):
        store = await SealedEventStore.open(raw, keys, SystemClock())
        yield OpenedLog(store, keys, where)


@asynccontextmanager
async def _raw_store(
    location: Location, *, create: bool, check: Literal["at_open", "before_writing"]
) -> AsyncIterator[EventStore]:
    if isinstance(location, Path):
        store = await SqliteEventStore.open(location, SystemClock(), create=create, check=check)
        try:
            yield store
        finally:
            await store.close()
        return
    from lukas.adapters.postgres.event_store import PostgresEventStore

    async with await PostgresEventStore.open(location.url, SystemClock(), create=create) as pg:
        yield pg


def keys_file(log: Path) -> Path:
    """The data keys of a SQLite log: a file of their own beside it, so that a copy of the
    log alone holds no key (ADR 27)."""
    return beside(log, ".keys")


@asynccontextmanager
async def _keys(location: Location, *, create: bool) -> AsyncIterator[tuple[DataKeys, str]]:
    if isinstance(location, Path):
        path = keys_file(location)
        if not create and not path.exists():
            # Reading without keys: sealed words read as forgotten, none are made.
            yield NoDataKeys(), str(path)
            return
        async with await SqliteDataKeys.open(path, create=True) as keys:
            yield keys, str(path)
        return
    from lukas.adapters.postgres.data_keys import PostgresDataKeys

    async with await PostgresDataKeys.open(location.url, create=create) as pg_keys:
        yield pg_keys, f"the lukas_data_keys table of {location}"


async def log_exists(location: Location) -> bool:
    """Whether there is a log to read, without making one by looking."""
    if isinstance(location, Path):
        import anyio

        return await anyio.Path(location).exists()
    from lukas.adapters.postgres.connection import has_event_store

    return await has_event_store(location.url)


@asynccontextmanager
async def open_checkpoints(location: Location) -> AsyncIterator[Checkpoints]:
    """The checkpoints beside an event store already opened there; when they cannot be
    opened, none: every projection is then folded from the start, which is only slower."""
    try:
        if isinstance(location, Path):
            checkpoints: SqliteCheckpoints | PostgresCheckpoints = await SqliteCheckpoints.open(
                location
            )
        else:
            from lukas.adapters.postgres.checkpoints import PostgresCheckpoints

            checkpoints = await PostgresCheckpoints.open(location.url)
    except CheckpointError as error:
        log.info("%s; folding projections from the start", error)
        yield NoCheckpoints()
        return
    try:
        yield checkpoints
    finally:
        await checkpoints.close()


def token_counter(config: Config) -> TiktokenCounter:
    # tiktoken only where tokens are counted: replay and stats never do.
    from lukas.adapters.tokens.tiktoken_counter import TiktokenCounter

    return TiktokenCounter.for_model(config.llm.model)


def deferred_token_counter(config: Config) -> DeferredTiktokenCounter:
    """For chat: the encoding loads in the background once the front end is ready (or on
    the first count), so start-up does not wait for it."""
    from lukas.adapters.tokens.tiktoken_counter import DeferredTiktokenCounter

    return DeferredTiktokenCounter(config.llm.model)
