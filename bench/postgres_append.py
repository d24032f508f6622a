"""Durable appends through the PostgreSQL event store, against raw psycopg inserts of the
same rows (ADR 24).

Both sides write one event per transaction into tables made by `PostgresEventStore.open`
(the real schema, its indexes and triggers), in a database of their own made for the run
and dropped after it, with the server's durability (synchronous_commit on: every commit
waits for the WAL flush).

Measured: `PostgresEventStore.append(stream, [event], expected_version)`: encode, a pooled
connection, one call of `lukas.append` (the advisory lock, the duplicate-id and version
checks, the INSERT, the notification), the commit. Baseline: one INSERT of the same row,
already encoded, with its position given, per autocommit transaction on one psycopg
connection: the least any durable append can do through the same driver. The two sides
alternate in rounds so that disk and machine noise fall on both alike.

The server: LUKAS_TEST_POSTGRES_URL, else 127.0.0.1:5432 as the tests find it. Without one
the benchmark says so on stderr and reports nothing.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo

from bench.common import Options, median, percentile, progress
from bench.report import Figure, Target
from bench.seed import Row, exchange_rows, interleaved
from lukas.adapters.event_codec import EventCodec
from lukas.adapters.postgres.event_store import PostgresEventStore
from lukas.adapters.system_clock import SystemClock
from lukas.application.ports.event_store import NewEvent
from lukas.domain.conversation_key import ConversationKey

NAME = "postgres append"
_ROUNDS = 6
_CONVERSATIONS = 20
_SERVERS = ("postgresql://127.0.0.1:5432/test", "postgresql://postgres@127.0.0.1:5432/test")
_RAW_INSERT = (
    "INSERT INTO lukas.raw_events (position, event_id, stream_id, version, type, schema_version,"
    " data, metadata, recorded_at) VALUES (%s, %s, %s, %s, %s, %s, %s::json, %s::json, %s)"
)


def run(options: Options) -> list[Figure]:
    server_url = server()
    if server_url is None:
        print(
            f"{NAME}: skipped, no PostgreSQL server (set LUKAS_TEST_POSTGRES_URL)", file=sys.stderr
        )
        return []
    appends = 300 if options.quick else 3000
    with database(server_url) as url:
        store_times, raw_times = asyncio.run(_measure(url, appends))
    store_rate = len(store_times) / sum(store_times)
    raw_rate = len(raw_times) / sum(raw_times)
    return [
        Figure(
            benchmark=NAME,
            measure="store appends/s / raw psycopg inserts/s (1 event per txn)",
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
            },
        )
    ]


async def _measure(url: str, appends: int) -> tuple[list[float], list[float]]:
    codec = EventCodec()
    keys = [ConversationKey(f"slack-dm:D0BENCH{n:04d}") for n in range(_CONVERSATIONS)]
    rows = list(exchange_rows(interleaved(keys, appends // 3 + 1), codec, limit=appends))
    events = [_as_new_event(row, codec) for row in rows]
    store = await PostgresEventStore.open(url, SystemClock())
    raw = await psycopg.AsyncConnection.connect(url, autocommit=True)
    # The raw side's table is a copy of the store's, with its columns, constraints and
    # indexes, so both pay for the same index updates.
    await raw.execute("CREATE TABLE lukas.raw_events (LIKE lukas.events INCLUDING ALL)")
    try:
        store_times: list[float] = []
        raw_times: list[float] = []
        raw_position = 0
        size = -(-appends // _ROUNDS)
        now = dt.datetime.now(dt.UTC)
        for start in range(0, appends, size):
            for stream, version, event in events[start : start + size]:
                began = time.perf_counter()
                await store.append(stream, [event], version - 1)
                store_times.append(time.perf_counter() - began)
            for row in rows[start : start + size]:
                event_id, stream, version, event_type, schema, data, metadata, _ = row
                raw_position += 1
                values: list[Any] = [
                    *(raw_position, event_id, stream),
                    *(version, event_type, schema, data, metadata, now),
                ]
                began = time.perf_counter()
                await raw.execute(_RAW_INSERT, values)
                raw_times.append(time.perf_counter() - began)
            progress(f"{len(store_times):,} of {appends:,} appends each")
    finally:
        await raw.close()
        await store.close()
    return store_times, raw_times


def _as_new_event(row: Row, codec: EventCodec) -> tuple[str, int, NewEvent]:
    event_id, stream, version, event_type, schema_version, data, metadata, _ = row
    event = codec.decode(event_type, schema_version, data)
    return stream, version, NewEvent(event_id, event, codec.decode_metadata(metadata))


def server() -> str | None:
    given = os.environ.get("LUKAS_TEST_POSTGRES_URL")
    for url in (given,) if given else _SERVERS:
        try:
            with psycopg.connect(url, connect_timeout=3) as connection:
                connection.execute("SELECT 1")
            return url
        except psycopg.Error:
            continue
    return None


@contextmanager
def database(server: str) -> Iterator[str]:
    name = f"lukas_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield make_conninfo(server, dbname=name)
    finally:
        with psycopg.connect(server, autocommit=True) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
