"""The Slack bot's recovery, run every minute, against the first one at start.

The log: 300,000 events (30,000 with --quick), complete exchanges over 1,000 interleaved
conversations, seeded in bulk (bench/seed.py; not measured).

Baseline: the first `Recovery.run()` of a process, which folds the whole log into pending
work. Measured: the later runs of the same Recovery, each after a minute's worth of new
traffic (20 exchanges, 60 events, appended through the store and not timed), which fold
only the events since the run before. The figure is the median later run over the first;
before this, every run folded the whole log, a ratio of about 1.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from fakes.chat_model import FakeChatModel
from fakes.token_counter import FakeTokenCounter

from bench.common import Options, median, progress, scratch_dir
from bench.composed import composed
from bench.report import Figure, Target
from bench.seed import exchange_rows, interleaved, seed
from lukas.adapters.event_codec import EventCodec
from lukas.adapters.sqlite.event_store import SqliteEventStore
from lukas.adapters.system_clock import SystemClock
from lukas.application.handle_message import IncomingMessage
from lukas.domain.conversation_key import ConversationKey
from lukas.entrypoints.config import Config

NAME = "periodic recovery"
_ROUNDS = 5
_NEW_EXCHANGES = 20


def run(options: Options) -> list[Figure]:
    events = 30_000 if options.quick else 300_000
    with scratch_dir(options, "recovery") as work:
        path = work / "recovery.db"
        keys = [ConversationKey(f"slack-thread:C0BENCH:{n}.000100") for n in range(1_000)]
        progress(f"seeding {events:,} events")
        count, seeded_in = seed(
            path, exchange_rows(interleaved(keys, events // 3), EventCodec(), limit=events)
        )
        first, later, answered = asyncio.run(_measure(path))
    ratio = median(later) / first
    return [
        Figure(
            benchmark=NAME,
            measure="a later run / the first run (whole log)",
            value=ratio,
            unit="x",
            target=Target(at_most=0.05),
            summary=(
                f"median {median(later) * 1000:.1f} ms vs {first * 1000:.0f} ms"
                f" ({count:,} events, {_NEW_EXCHANGES * 3} new per round)"
            ),
            raw={
                "events seeded": count,
                "first run seconds": first,
                "later runs seconds": ",".join(f"{s:.4f}" for s in later),
                "messages answered by the runs": answered,
                "seeding seconds (not measured)": seeded_in,
            },
        )
    ]


async def _measure(path: Path) -> tuple[float, list[float], int]:
    clock = SystemClock()
    store = await SqliteEventStore.open(path, clock, create=False)
    try:
        lukas = composed(
            Config(recovery_max_age=600),
            store=store,
            model=FakeChatModel(),
            counter=FakeTokenCounter(),
            clock=clock,
            draw=lambda: 0.0,
        )
        handler, recovery = lukas.handler, lukas.recovery
        started = time.perf_counter()
        report = await recovery.run()
        first = time.perf_counter() - started
        progress(f"first run {first:.2f} s; {_ROUNDS} later rounds")
        later: list[float] = []
        answered = report.answered
        for round_number in range(_ROUNDS):
            for n in range(_NEW_EXCHANGES):
                await handler.handle(
                    IncomingMessage(
                        conversation=ConversationKey.console(f"bench-{round_number}-{n}"),
                        author_id="U0BENCH",
                        author_name="Ada",
                        text="Still there?",
                        platform_message_id="1",
                    )
                )
            started = time.perf_counter()
            report = await recovery.run()
            later.append(time.perf_counter() - started)
            answered += report.answered
        return first, later, answered
    finally:
        await store.close()
