"""Rebuilding every projection from a long log, against reading and parsing the same rows.

The log: 1,000,000 events (50,000 with --quick), exchanges of message, reply and delivery
over 5,000 conversations that interleave in the global order (about 200 events each),
seeded in bulk (bench/seed.py; not measured).

Measured: `rebuild(store, every)` from application/projections/projection.py, which reads
the log as `lukas` does, through `SealedEventStore` over `SqliteEventStore.read_all` (each
message and reply sealed with its person's weekly key, opened with AES-GCM) in batches of
1000 and folds each event into
ConversationListProjection, ContextWindowsProjection(keep=11) and PendingWorkProjection in
one pass (one projection made of the three, so the log is read once, as a process that
needs all three would).

Baseline: the same rows through aiosqlite, the driver the store uses, in batches of 1000
from one `SELECT ... ORDER BY position`, with `json.loads` of data and metadata and
nothing else. It runs before and after the rebuild and the mean is used, so a warming page
cache or a drifting clock favours neither side.

Memory: growth of the process's peak RSS (VmHWM, reset through /proc/self/clear_refs just
before) over its RSS when the measurement began. It includes the state the rebuild ends
with (5,000 conversations' summaries and last eleven exchanges), SQLite's page cache and
the interpreter's own arenas, so it is an upper bound on what streaming costs.
"""

from __future__ import annotations

import asyncio
import cProfile
import gc
import io
import json
import pstats
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import aiosqlite

from bench.common import Options, peak_rss_mib, progress, reset_peak_rss, rss_mib, scratch_dir
from bench.report import Figure, Target
from bench.seed import Sealer, exchange_rows, interleaved, seed
from lukas.adapters.event_codec import EventCodec
from lukas.adapters.sealing.sealed_store import SealedEventStore
from lukas.adapters.sqlite.data_keys import SqliteDataKeys
from lukas.adapters.sqlite.event_store import SqliteEventStore
from lukas.adapters.system_clock import SystemClock
from lukas.application.ports.event_store import RecordedEvent
from lukas.application.projections.context_windows import (
    ContextWindowsProjection,
    RecentExchanges,
)
from lukas.application.projections.conversation_list import (
    ConversationListProjection,
    Conversations,
)
from lukas.application.projections.pending_work import PendingWork, PendingWorkProjection
from lukas.application.projections.projection import rebuild
from lukas.domain.conversation_key import ConversationKey
from lukas.entrypoints.store_and_tokens import keys_file

NAME = "projection rebuild"
_BATCH = 1000  # the batch rebuild() reads in
_PROFILED_EVENTS = 100_000

Every = tuple[Conversations, RecentExchanges, PendingWork]


class EveryProjection:
    """The three projections folded side by side in one pass over the log."""

    def __init__(self) -> None:
        self.conversations = ConversationListProjection()
        self.windows = ContextWindowsProjection(keep=11)
        self.pending = PendingWorkProjection()

    def initial(self) -> Every:
        return (self.conversations.initial(), self.windows.initial(), self.pending.initial())

    def evolve(self, state: Every, recorded: RecordedEvent) -> Every:
        conversations, windows, pending = state
        return (
            self.conversations.evolve(conversations, recorded),
            self.windows.evolve(windows, recorded),
            self.pending.evolve(pending, recorded),
        )


@dataclass(frozen=True)
class Reading:
    seconds: float
    events: int
    peak_growth_mib: float

    @property
    def per_second(self) -> float:
        return self.events / self.seconds


def run(options: Options) -> list[Figure]:
    events = 50_000 if options.quick else 1_000_000
    conversations = 250 if options.quick else 5_000
    with scratch_dir(options, "rebuild") as work:
        path = work / "rebuild.db"
        progress(f"seeding {events:,} events over {conversations:,} conversations")
        keys = [ConversationKey(f"slack-thread:C0BENCH:{n}.000100") for n in range(conversations)]
        # Sealed, as `lukas` writes it: the rebuild opens every personal word (ADR 27).
        sealer = Sealer(keys_file(path))
        schedule = interleaved(keys, events // 3 + 1)
        rows = exchange_rows(schedule, EventCodec(), limit=events, sealer=sealer)
        count, seeded_in = seed(path, rows)
        progress(f"seeded {count:,} events in {seeded_in:.1f} s ({path.stat().st_size >> 20} MiB)")
        before, rebuilt, after, folded = asyncio.run(_measure(path))
        if options.profile:
            asyncio.run(_profile(path, min(events, _PROFILED_EVENTS)))
    baseline = (before.per_second + after.per_second) / 2
    ratio = rebuilt.per_second / baseline
    baseline_peak = max(before.peak_growth_mib, after.peak_growth_mib)
    raw: dict[str, float | int | str] = {
        "events": rebuilt.events,
        "rebuild seconds": rebuilt.seconds,
        "rebuild events/s": rebuilt.per_second,
        "baseline events/s (before)": before.per_second,
        "baseline events/s (after)": after.per_second,
        "rebuild us/event": rebuilt.seconds / rebuilt.events * 1e6,
        "baseline us/event": 1e6 / baseline,
        **folded,
        "seeding seconds (not measured)": seeded_in,
    }
    return [
        Figure(
            benchmark=NAME,
            measure="rebuild events/s / raw SELECT+json.loads events/s",
            value=ratio,
            unit="x",
            target=Target(at_least=0.5),
            summary=(
                f"{rebuilt.per_second:,.0f} vs {baseline:,.0f} events/s"
                f" ({rebuilt.events:,} events, {rebuilt.seconds:.1f} s)"
            ),
            raw=raw,
        ),
        Figure(
            benchmark=NAME,
            measure="peak RSS growth during the rebuild",
            value=rebuilt.peak_growth_mib,
            unit="MiB",
            target=Target(at_most=200),
            summary=f"baseline read: {baseline_peak:.1f} MiB",
            raw={
                "measured as": "VmHWM growth after a clear_refs reset; includes the final state",
                "baseline peak RSS growth MiB": baseline_peak,
            },
        ),
    ]


async def _measure(path: Path) -> tuple[Reading, Reading, Reading, dict[str, int]]:
    progress("baseline: SELECT + json.loads")
    before = await _timed_baseline(path)
    progress(f"  {before.per_second:,.0f} events/s; rebuilding every projection")
    async with _sealed(path) as store:
        gc.collect()
        start_rss = _start_peak()
        started = time.perf_counter()
        state, last = await rebuild(store, EveryProjection())
        seconds = time.perf_counter() - started
        rebuilt = Reading(seconds, last, peak_rss_mib() - start_rss)
    conversations, windows, pending = state
    folded = {
        "conversations": len(conversations),
        "context window entries kept": sum(len(entries) for entries in windows.values()),
        "pending messages at the end": len(pending.messages),
    }
    # A live state would make every collection during the second baseline walk it.
    del state, conversations, windows, pending
    progress(f"  {rebuilt.per_second:,.0f} events/s; baseline again")
    after = await _timed_baseline(path)
    return before, rebuilt, after, folded


async def _timed_baseline(path: Path) -> Reading:
    gc.collect()
    start_rss = _start_peak()
    started = time.perf_counter()
    count = await _raw_read(path)
    seconds = time.perf_counter() - started
    return Reading(seconds, count, peak_rss_mib() - start_rss)


async def _raw_read(path: Path) -> int:
    count = 0
    async with (
        aiosqlite.connect(path) as db,
        db.execute(
            "SELECT position, stream_id, version, event_id, type, schema_version, data,"
            " metadata, recorded_at FROM events ORDER BY position"
        ) as cursor,
    ):
        while rows := list(await cursor.fetchmany(_BATCH)):
            for row in rows:
                json.loads(row[6])
                json.loads(row[7])
            count += len(rows)
    return count


@asynccontextmanager
async def _sealed(path: Path) -> AsyncIterator[SealedEventStore]:
    """The log as `lukas` reads it: through the sealing store, with its key file."""
    async with (
        await SqliteEventStore.open(path, SystemClock(), create=False) as raw,
        await SqliteDataKeys.open(keys_file(path), create=False) as keys,
    ):
        yield await SealedEventStore.open(raw, keys, SystemClock())


def _start_peak() -> float:
    if not reset_peak_rss():
        progress("cannot reset the peak RSS here; the peak includes earlier work")
    return rss_mib()


async def _profile(path: Path, events: int) -> None:
    """cProfile of a rebuild of the first `events` events, printed to stderr (--profile)."""
    profiler = cProfile.Profile()
    async with _sealed(path) as store:
        profiler.enable()
        await rebuild(store, EveryProjection(), until_position=events)
        profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("tottime").print_stats(25)
    stats.sort_stats("cumulative").print_stats(40)
    progress(f"cProfile of rebuilding the first {events:,} events:\n{out.getvalue()}")
