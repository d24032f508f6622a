"""A child process that appends to a SQLite event store, for the cross-process tests.

usage: store_process.py DB MODE ARGS...
  race GO_FILE          wait for GO_FILE, append one event at expected version 1, print ok|conflict
  many COUNT NAME       append COUNT events one by one, re-reading the version on conflict
  append-and-hang ID    append one event, print "appended", then sleep until killed
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import anyio

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fakes.events import new_event

from lukas.adapters.sqlite.event_store import SqliteEventStore
from lukas.adapters.system_clock import SystemClock
from lukas.application.ports.event_store import ConcurrencyError


async def main(db: str, mode: str, args: list[str]) -> None:
    async with await SqliteEventStore.open(Path(db), SystemClock()) as store:
        if mode == "race":
            # The barrier is another process's file: no in-process event can stand for it.
            while not await anyio.Path(args[0]).exists():  # noqa: ASYNC110
                await anyio.sleep(0.001)
            try:
                await store.append("s", [new_event("racer", event_id=f"racer-{os.getpid()}")], 1)
                print("ok", flush=True)
            except ConcurrencyError:
                print("conflict", flush=True)
        elif mode == "many":
            for i in range(int(args[0])):
                while True:
                    tail = await store.read_stream_tail("s", 1)
                    version = tail[-1].version if tail else 0
                    try:
                        await store.append(
                            "s", [new_event(f"{args[1]}-{i}", event_id=f"{args[1]}-{i}")], version
                        )
                        break
                    except ConcurrencyError:
                        continue
            print("done", flush=True)
        elif mode == "append-and-hang":
            await store.append("s", [new_event("survivor", event_id=args[0])], None)
            print("appended", flush=True)
            await anyio.sleep(60)


if __name__ == "__main__":
    anyio.run(main, sys.argv[1], sys.argv[2], sys.argv[3:])
