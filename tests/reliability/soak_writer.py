"""A child process that hammers a SQLite event store, for the soak tests.

usage: soak_writer.py DB MODE ARGS...
  storm TASKS SEED          TASKS asyncio tasks append batches of 1-5 events to their own and
                            to shared streams, forever; after each append returns, prints
                            "ack ID ID ..." (flushed). Meant to be killed.
  contend GO SECONDS SEED   waits for the file GO, then for SECONDS appends batches to streams
                            other processes use too, re-reading the version after each
                            ConcurrencyError; prints one JSON line: acked ids and counts.

Event ids are "PID.TASK.N.J/SIZE": event J of the Nth batch of size SIZE that a task made,
so a reader of the file alone can tell whether a batch is whole.
"""

from __future__ import annotations

import json
import os
import random
import sys
import time
from pathlib import Path

import anyio

from lukas.adapters.sqlite.event_store import SqliteEventStore
from lukas.adapters.system_clock import SystemClock
from lukas.application.ports.event_store import (
    ConcurrencyError,
    EventMetadata,
    EventStore,
    EventStoreError,
    NewEvent,
)
from lukas.domain.conversation_key import ConversationKey
from lukas.domain.events import MessageReceived
from lukas.domain.routing import Route

SHARED_STREAMS = ("shared-0", "shared-1", "shared-2")


def batch_ids(task: str, number: int, size: int) -> list[str]:
    return [f"{os.getpid()}.{task}.{number}.{j}/{size}" for j in range(size)]


def event(event_id: str, text: str) -> NewEvent:
    return NewEvent(
        event_id=event_id,
        event=MessageReceived(
            conversation=ConversationKey("console:soak"),
            author_id="U1",
            author_name="Soak",
            text=text,
            platform_message_id=event_id,
            token_count=1,
            route=Route.addressed(),
        ),
        metadata=EventMetadata(correlation_id=event_id),
    )


async def append_with_retries(
    store: EventStore, stream: str, events: list[NewEvent], conflicts: list[int]
) -> None:
    """Append at the version just read, reading again after each conflict."""
    while True:
        tail = await store.read_stream_tail(stream, 1)
        version = tail[-1].version if tail else 0
        try:
            result = await store.append(stream, events, version)
        except ConcurrencyError:
            conflicts[0] += 1
            continue
        if result.appended != len(events):
            raise AssertionError(f"{stream}: appended {result.appended} of {len(events)}")
        return


async def storm(db: Path, tasks: int, seed: int) -> None:
    async with await SqliteEventStore.open(db, SystemClock()) as store:

        async def writer(task: int) -> None:
            rng = random.Random(seed * 1000 + task)
            own = f"own-{os.getpid()}-{task}"
            conflicts = [0]
            for number in range(10**9):
                stream = rng.choice([own, *SHARED_STREAMS])
                ids = batch_ids(str(task), number, rng.randint(1, 5))
                # Bodies of varied size, so that commits take varied time.
                events = [event(i, "honey " * rng.randint(0, 400)) for i in ids]
                await append_with_retries(store, stream, events, conflicts)
                print("ack", *ids, flush=True)

        async with anyio.create_task_group() as group:
            for task in range(tasks):
                group.start_soon(writer, task)


async def contend(db: Path, go: Path, seconds: float, seed: int) -> None:
    rng = random.Random(seed)
    acked: list[str] = []
    conflicts = [0]
    errors: list[str] = []
    appends = 0
    async with await SqliteEventStore.open(db, SystemClock()) as store:
        # The barrier is another process's file: no in-process event can stand for it.
        while not await anyio.Path(go).exists():  # noqa: ASYNC110
            await anyio.sleep(0.001)
        deadline = time.monotonic() + seconds
        number = 0
        while time.monotonic() < deadline:
            stream = rng.choice([*SHARED_STREAMS[:2], f"own-{os.getpid()}"])
            ids = batch_ids("c", number, rng.randint(1, 5))
            number += 1
            try:
                await append_with_retries(store, stream, [event(i, "x") for i in ids], conflicts)
            except EventStoreError as error:  # e.g. the write lock not had within the timeout
                errors.append(str(error))
                continue
            appends += 1
            acked.extend(ids)
    print(
        json.dumps(
            {"acked": acked, "appends": appends, "conflicts": conflicts[0], "errors": errors}
        ),
        flush=True,
    )


def main(argv: list[str]) -> None:
    db, mode, args = Path(argv[1]), argv[2], argv[3:]
    if mode == "storm":
        anyio.run(storm, db, int(args[0]), int(args[1]))
    elif mode == "contend":
        anyio.run(contend, db, Path(args[0]), float(args[1]), int(args[2]))
    else:
        raise SystemExit(f"unknown mode {mode!r}")


if __name__ == "__main__":
    main(sys.argv)
