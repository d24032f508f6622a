"""Durable appends through the event store, against raw aiosqlite inserts of the same rows.

Both sides write one event per transaction to a file made by `SqliteEventStore.open` (the
real schema, its indexes and triggers) with the durability Lukas runs with: WAL and
`synchronous = FULL`, so every commit waits for an fsync.

Measured: `SqliteEventStore.append(stream, [event], expected_version)`, the path every
message, reply and delivery takes: encode, BEGIN IMMEDIATE, the duplicate-id and version
checks, INSERT, COMMIT. Baseline: one `INSERT` of the same row (already encoded) per
autocommit transaction on an aiosqlite connection, the least any durable append can do
through the same driver. The events are exchanges in 20 conversations. The two sides
alternate in rounds so that disk and machine noise fall on both alike.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import aiosqlite

from bench.common import Options, filesystem_of, median, percentile, progress, scratch_dir
from bench.report import Figure, Target
from bench.seed import INSERT, Row, create_store_file, exchange_rows, interleaved
from lukas.adapters.event_codec import EventCodec
from lukas.adapters.sqlite.event_store import SqliteEventStore
from lukas.adapters.system_clock import SystemClock
from lukas.application.ports.event_store import NewEvent
from lukas.domain.conversation_key import ConversationKey

NAME = "append throughput"
_ROUNDS = 6
_CONVERSATIONS = 20


def run(options: Options) -> list[Figure]:
    appends = 300 if options.quick else 3000
    with scratch_dir(options, "append") as work:
        store_times, raw_times = asyncio.run(_measure(work, appends))
        where = filesystem_of(work)
    store_rate = len(store_times) / sum(store_times)
    raw_rate = len(raw_times) / sum(raw_times)
    return [
        Figure(
            benchmark=NAME,
            measure="store appends/s / raw aiosqlite inserts/s (1 event per txn, WAL+FULL)",
            value=store_rate / raw_rate,
            unit="x",
            target=Target(at_least=0.7),
            summary=f"{store_rate:,.0f} vs {raw_rate:,.0f} appends/s ({len(store_times):,} each)",
            raw={
                "appends each": len(store_times),
                "store appends/s": store_rate,
                "raw inserts/s": raw_rate,
                "store median ms": median(store_times) * 1000,
                "store p99 ms": percentile(store_times, 99) * 1000,
                "raw median ms": median(raw_times) * 1000,
                "raw p99 ms": percentile(raw_times, 99) * 1000,
                "file system": where,
            },
        )
    ]


async def _measure(work: Path, appends: int) -> tuple[list[float], list[float]]:
    codec = EventCodec()
    keys = [ConversationKey(f"slack-dm:D0BENCH{n:04d}") for n in range(_CONVERSATIONS)]
    rows = list(exchange_rows(interleaved(keys, appends // 3 + 1), codec, limit=appends))
    events = [_as_new_event(row, codec) for row in rows]
    store_path, raw_path = work / "store.db", work / "raw.db"
    await create_store_file(store_path)
    await create_store_file(raw_path)
    store = await SqliteEventStore.open(store_path, SystemClock())
    raw = await aiosqlite.connect(raw_path, isolation_level=None)
    try:
        await _same_durability(raw)
        store_times: list[float] = []
        raw_times: list[float] = []
        size = -(-appends // _ROUNDS)
        for start in range(0, appends, size):
            for stream, version, event in events[start : start + size]:
                began = time.perf_counter()
                await store.append(stream, [event], version - 1)
                store_times.append(time.perf_counter() - began)
            for row in rows[start : start + size]:
                began = time.perf_counter()
                await raw.execute(INSERT, row)
                raw_times.append(time.perf_counter() - began)
            progress(f"{len(store_times):,} of {appends:,} appends each")
    finally:
        await raw.close()
        await store.close()
    return store_times, raw_times


async def _same_durability(raw: aiosqlite.Connection) -> None:
    await raw.execute("PRAGMA journal_mode = WAL")
    await raw.execute("PRAGMA synchronous = FULL")
    async with raw.execute("PRAGMA synchronous") as cursor:
        level = await cursor.fetchone()
    # 2 is FULL; anything less would make the baseline skip the fsync the store waits for.
    if level is None or level[0] != 2:
        raise RuntimeError(f"the baseline connection is not at synchronous=FULL: {level}")


def _as_new_event(row: Row, codec: EventCodec) -> tuple[str, int, NewEvent]:
    event_id, stream, version, event_type, schema_version, data, metadata, _ = row
    event = codec.decode(event_type, schema_version, data)
    return stream, version, NewEvent(event_id, event, codec.decode_metadata(metadata))
