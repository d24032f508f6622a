"""Answering in a long conversation must cost what it costs in a short one.

One store file holds two conversations, seeded in bulk (bench/seed.py; not measured): one
of 10 messages and one of 100,000 (10,000 with --quick), each message with its reply and
delivery, so 30 and 300,000 events. Both are read from the same file, so index depth and
page cache are the same for both.

Figure 1, the part that could grow with the conversation: what `MessageHandler` does to
build a context window, `read_stream_tail(stream, tail_size)` on the real SQLite store,
`history_from(tail)` and `ContextBuilder.build(...)` for the newest message. Timed for the
long conversation over the short one, alternating, median of each.

Figure 2, the whole path: `MessageHandler.handle` of a new message in each conversation,
alternating, with the real store and tokenizer but a fake model (the tests' FakeChatModel,
which echoes at once) and the tests' FakeChatChannel, so the model's time does not dilute
the comparison. Median of each.

Target for both: long / short at most 1.5.
"""

from __future__ import annotations

import asyncio
import itertools
import random
import time
from pathlib import Path

import attrs
from fakes.chat_model import FakeChatModel

from bench.common import Options, median, progress, scratch_dir
from bench.composed import composed
from bench.reply_overhead import incoming
from bench.report import Figure, Target
from bench.seed import exchange_rows, seed
from lukas.adapters.event_codec import EventCodec
from lukas.adapters.sqlite.event_store import SqliteEventStore
from lukas.adapters.system_clock import SystemClock
from lukas.application.context import ContextBuilder
from lukas.application.projections.conversation_history import history_from
from lukas.domain.context_window import ContextLimits
from lukas.domain.conversation_key import ConversationKey
from lukas.domain.persona import PERSONA_SYSTEM_PROMPT
from lukas.entrypoints.config import Config
from lukas.entrypoints.wiring import token_counter

NAME = "context building"
SHORT = ConversationKey("slack-dm:D0SHORT")
LONG = ConversationKey("slack-dm:D0LONG")


def run(options: Options) -> list[Figure]:
    long_messages = 10_000 if options.quick else 100_000
    builds, handles = (100, 40) if options.quick else (500, 200)
    with scratch_dir(options, "context") as work:
        path = work / "context.db"
        progress(f"seeding conversations of 10 and {long_messages:,} messages")
        schedule = itertools.chain(
            itertools.repeat(SHORT, 10), itertools.repeat(LONG, long_messages)
        )
        count, seeded_in = seed(path, exchange_rows(schedule, EventCodec()))
        progress(f"seeded {count:,} events in {seeded_in:.1f} s")
        build_times, handle_times, tail_size = asyncio.run(_measure(path, builds, handles))
    ms = 1000.0
    short_build, long_build = median(build_times[SHORT]), median(build_times[LONG])
    short_handle, long_handle = median(handle_times[SHORT]), median(handle_times[LONG])
    raw: dict[str, float | int | str] = {
        "long conversation messages": long_messages,
        "events in the file": count,
        "tail size (events read)": tail_size,
        "build samples each": len(build_times[SHORT]),
        "short build median ms": short_build * ms,
        "long build median ms": long_build * ms,
        "handle samples each": len(handle_times[SHORT]),
        "short handle median ms": short_handle * ms,
        "long handle median ms": long_handle * ms,
        "seeding seconds (not measured)": seeded_in,
    }
    return [
        Figure(
            benchmark=NAME,
            measure=f"tail read + build, {long_messages:,} msgs / 10 msgs",
            value=long_build / short_build,
            unit="x",
            target=Target(at_most=1.5),
            summary=f"{long_build * ms:.3f} ms vs {short_build * ms:.3f} ms (median)",
            raw=raw,
        ),
        Figure(
            benchmark=NAME,
            measure=f"whole handle (fake model), {long_messages:,} msgs / 10 msgs",
            value=long_handle / short_handle,
            unit="x",
            target=Target(at_most=1.5),
            summary=f"{long_handle * ms:.2f} ms vs {short_handle * ms:.2f} ms (median)",
        ),
    ]


async def _measure(
    path: Path, builds: int, handles: int
) -> tuple[dict[ConversationKey, list[float]], dict[ConversationKey, list[float]], int]:
    config = Config()
    counter = token_counter(config)
    # Built as compose builds the handler's own, so tail size and limits match.
    builder = ContextBuilder.for_prompt(
        PERSONA_SYSTEM_PROMPT,
        counter.count(PERSONA_SYSTEM_PROMPT),
        ContextLimits(max_pairs=config.history_pairs, max_tokens=config.context_tokens),
    )
    store = await SqliteEventStore.open(path, SystemClock(), create=False)
    try:
        handler = composed(
            config,
            store=store,
            model=FakeChatModel(),
            counter=counter,
            clock=SystemClock(),
            draw=random.Random(3).random,
        ).handler
        build_times: dict[ConversationKey, list[float]] = {SHORT: [], LONG: []}
        for _ in range(builds):
            for key in (SHORT, LONG):
                began = time.perf_counter()
                events = await store.read_stream_tail(key.stream_id, builder.tail_size)
                entries = history_from(events)
                builder.build(entries, entries[-1].message_id)
                build_times[key].append(time.perf_counter() - began)
        progress(f"{builds} builds each; now {handles} messages each through the handler")
        handle_times: dict[ConversationKey, list[float]] = {SHORT: [], LONG: []}
        for number in range(handles):
            for key in (SHORT, LONG):
                message = attrs.evolve(incoming(number), conversation=key)
                began = time.perf_counter()
                outcome = await handler.handle(message)
                handle_times[key].append(time.perf_counter() - began)
                if not outcome.delivered:
                    raise RuntimeError(f"{key}: message {number} was not delivered: {outcome}")
    finally:
        await store.close()
    return build_times, handle_times, builder.tail_size
