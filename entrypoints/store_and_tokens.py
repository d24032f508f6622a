"""The adapters the commands that only read the log need: the event store, its checkpoints
and the token counter. Kept apart from wiring.py, which imports every use case, so that
`lukas replay`, `stats`, `context` and `config show` import only these."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from lukas.adapters.memory.checkpoints import NoCheckpoints
from lukas.adapters.sqlite.checkpoints import SqliteCheckpoints
from lukas.adapters.sqlite.event_store import SqliteEventStore
from lukas.adapters.system_clock import SystemClock
from lukas.application.ports.checkpoints import CheckpointError, Checkpoints
from lukas.entrypoints.config import Config

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from lukas.adapters.tokens.tiktoken_counter import DeferredTiktokenCounter, TiktokenCounter


@asynccontextmanager
async def open_store(
    path: Path, *, create: bool, check: Literal["at_open", "before_writing"] = "at_open"
) -> AsyncIterator[SqliteEventStore]:
    """`check` "before_writing" for what must start fast on a long log (ADR 22)."""
    store = await SqliteEventStore.open(path, SystemClock(), create=create, check=check)
    try:
        yield store
    finally:
        await store.close()


@asynccontextmanager
async def open_checkpoints(path: Path) -> AsyncIterator[Checkpoints]:
    """The checkpoints beside an event store already opened at `path`; when they cannot be
    opened, none: every projection is then folded from the start, which is only slower."""
    try:
        checkpoints = await SqliteCheckpoints.open(path)
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
