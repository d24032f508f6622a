"""A hundred conversations at once against a model that takes 500 ms per reply.

Each of 100 conversations gets two messages at the same moment: the second arrives while
the first is being answered, as when someone adds a line before Lukas has replied. Lukas
answers one conversation's messages in order (a per-conversation lock) and different
conversations concurrently, so the least this can take is two model calls in a row:
1.0 s. The figure is the wall time over the model client's alone (the baseline below), at
most 1.25: the client's own CPU per request (any-llm, the OpenAI SDK, httpx) is most of the
time on 2 cores, and this leaves a quarter on top of it for everything else: 600 durable
appends, 400 tail reads, 200 tokenizer runs, 200 context windows.

Order kept, for every conversation: the reply to the first message was delivered before
the reply to the second; the request for the second already carried the first message and
its reply (so the model saw the conversation as it happened); and the log holds the first
message's reply before the second's. The figure is the number of conversations where any
of that fails (target 0).

Wiring as in the reply benchmark: the real SQLite store, the real tokenizer, AnyLLMChatModel
inside `resilient(...)`, the tests' OpenAI stand-in in a process of its own
(bench/standin_process.py; each request scripted as `Delay(0.5, Reply(...))`, each reply a
distinct text) and the tests' FakeChatChannel.

Baseline: the same AnyLLMChatModel alone, 100 concurrent conversations of two calls in a
row with the windows the handler sends (persona, first message; then persona, first
message, its reply, second message) and the tools it offers with them (the requests a
person may ask for), against the same 500 ms stand-in: what the model client alone takes.
A run with one message per conversation is reported too (its floor is 0.5 s).

One run of either varies by a third on this kind of machine (when the fsyncs and the
stand-in's timers fall), so the full run takes three rounds, Lukas and the model alone
alternating, and the figure is the ratio of the two medians; every round is in the raw
figures. The quick run takes one round.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Awaitable, Sequence
from pathlib import Path
from typing import Any

from bench.common import Options, progress, scratch_dir
from bench.reply_overhead import Wired, chat_config, close_model, incoming, wire
from bench.report import Figure, Target
from bench.standin_process import StandInProcess
from lukas.adapters.sealing.sealed_store import SealedEventStore
from lukas.adapters.sqlite.data_keys import SqliteDataKeys
from lukas.adapters.sqlite.event_store import SqliteEventStore
from lukas.adapters.system_clock import SystemClock
from lukas.application.handle_message import IncomingMessage, Outcome
from lukas.application.ports.chat_model import Tool
from lukas.application.ports.event_store import EventStore
from lukas.domain.context_window import ContextMessage, Role, as_spoken
from lukas.domain.events import ReplyGenerated
from lukas.domain.persona import PERSONA_SYSTEM_PROMPT
from lukas.entrypoints.store_and_tokens import keys_file

NAME = "100 conversations at once"
CONVERSATIONS = 100
DELAY = 0.5
ROUNDS = 3


def run(options: Options) -> list[Figure]:
    with StandInProcess() as standin, scratch_dir(options, "concurrency") as work:
        rounds = 1 if options.quick else ROUNDS
        found = asyncio.run(_measure(work / "concurrency.db", standin, rounds))
    out_of_order = found["out of order"]
    return [
        Figure(
            benchmark=NAME,
            measure="wall time / the model client alone, 2 messages each, 500 ms model",
            value=found["two each s"] / found["baseline s"],
            unit="x",
            target=Target(at_most=1.25),
            summary=(
                f"{found['two each s']:.3f} s vs model alone {found['baseline s']:.3f} s"
                f" (median of {found['rounds']}); floor {2 * DELAY:.1f} s"
            ),
            raw={key: value for key, value in found.items() if key != "problems"},
            notes=(
                *found["problems"][:5],
                *(
                    [f"{found['fallbacks instead of replies']} messages got a fallback instead"]
                    if found["fallbacks instead of replies"]
                    else []
                ),
            ),
        ),
        Figure(
            benchmark=NAME,
            measure="conversations answered out of order",
            value=out_of_order,
            unit="count",
            target=Target(at_most=0),
            summary=f"of {CONVERSATIONS}, checked by delivery, request and log order",
        ),
    ]


async def _measure(path: Path, standin: StandInProcess, rounds: int) -> dict[str, Any]:
    raw = await SqliteEventStore.open(path, SystemClock())
    keys = await SqliteDataKeys.open(keys_file(path), create=True)
    # As chat opens the log: personal words sealed with the keys beside it (ADR 27).
    store = await SealedEventStore.open(raw, keys, SystemClock())
    wired = await wire(store, chat_config(standin.base_url))
    baselines: list[float] = []
    walls: list[float] = []
    problems: dict[str, str] = {}
    fallbacks = 0
    try:
        # A running bot has its client and tokenizer warm; this one should too.
        await wired.handler.handle(incoming(0, prefix="warm-up"))
        # The requests Lukas offers the model with every message said to him.
        tools = wired.recording.last_tools

        # What a hundred requests cost the client and the stand-in with no waiting at all.
        standin.reset()
        standin.script([(0.0, f"Instant reply {n}.") for n in range(100)])
        instant = await _timed(_model_alone(wired, tools, calls=1))

        progress("one message in each of 100 conversations")
        standin.reset()
        standin.script([(DELAY, f"Single reply {n}.") for n in range(100)])
        singles = [incoming(n, CONVERSATIONS, prefix="single") for n in range(CONVERSATIONS)]
        one_each = await _timed(_handle_all(wired, singles))

        for round_ in range(1, rounds + 1):
            progress(f"round {round_} of {rounds}: the model client alone, 100 x 2 calls")
            standin.reset()
            standin.script([(DELAY, f"Baseline reply {n}.") for n in range(200)])
            baselines.append(await _timed(_model_alone(wired, tools, prefix=f"alone{round_}")))

            progress(f"round {round_} of {rounds}: two messages in each of 100 conversations")
            standin.reset()
            standin.script([(DELAY, f"Reply number {n}.") for n in range(200)])
            prefix = f"pair{round_}"
            firsts = [incoming(n, CONVERSATIONS, prefix) for n in range(CONVERSATIONS)]
            seconds = [
                incoming(n + CONVERSATIONS, CONVERSATIONS, prefix) for n in range(CONVERSATIONS)
            ]
            # Interleaved so each conversation's first message is started before its second.
            both = [message for pair in zip(firsts, seconds, strict=True) for message in pair]
            began = time.perf_counter()
            outcomes = await asyncio.gather(*(wired.handler.handle(m) for m in both))
            walls.append(time.perf_counter() - began)
            fallbacks += sum(1 for outcome in outcomes if _failed(outcome))
            problems |= await _order_problems(wired, store, standin, firsts, seconds)
        requests = len(standin.chat_messages())
        pool = _pool_limits(wired)
    finally:
        await close_model(wired.model)
        await raw.close()
        await keys.close()
    return {
        "two each s": statistics.median(walls),
        "one each s": one_each,
        "baseline s": statistics.median(baselines),
        "rounds": rounds,
        **{f"round {n}: two each s": wall for n, wall in enumerate(walls, 1)},
        **{f"round {n}: model alone s": alone for n, alone in enumerate(baselines, 1)},
        "model alone, 100 calls at once, 0 ms model s": instant,
        "out of order": len(problems),
        "fallbacks instead of replies": fallbacks,
        "chat requests for the last round's pairs": requests,
        "tools offered with each call": len(tools),
        "http pool max connections": pool[0],
        "http pool max keep-alive": pool[1],
        "problems": [f"{key}: {problem}" for key, problem in problems.items()],
    }


async def _timed(work: Awaitable[object]) -> float:
    began = time.perf_counter()
    await work
    return time.perf_counter() - began


async def _model_alone(
    wired: Wired, tools: Sequence[Tool], calls: int = 2, prefix: str = "alone"
) -> None:
    """Calls in a row per conversation (two at most), with the windows and the tools the
    handler sends."""

    async def conversation(number: int) -> None:
        first, second = (incoming(n, CONVERSATIONS, prefix) for n in (number, number + 100))
        messages = [
            ContextMessage(Role.SYSTEM, PERSONA_SYSTEM_PROMPT, 0),
            ContextMessage(Role.USER, as_spoken(first.author_name, first.text), 0),
        ]
        reply = await wired.model.complete(messages, tools)
        if calls < 2:
            return
        messages += [
            ContextMessage(Role.ASSISTANT, reply.text, 0),
            ContextMessage(Role.USER, as_spoken(second.author_name, second.text), 0),
        ]
        await wired.model.complete(messages, tools)

    await asyncio.gather(*(conversation(n) for n in range(CONVERSATIONS)))


async def _handle_all(wired: Wired, messages: list[IncomingMessage]) -> None:
    outcomes = await asyncio.gather(*(wired.handler.handle(m) for m in messages))
    failed = [outcome for outcome in outcomes if _failed(outcome)]
    if failed:
        raise RuntimeError(f"{len(failed)} messages got a fallback, e.g. {failed[0]}")


def _failed(outcome: Outcome) -> bool:
    return outcome.failure is not None or not outcome.delivered


async def _order_problems(
    wired: Wired,
    store: EventStore,
    standin: StandInProcess,
    firsts: list[IncomingMessage],
    seconds: list[IncomingMessage],
) -> dict[str, str]:
    """The first thing found wrong in each conversation, by conversation key."""
    problems: dict[str, str] = {}
    sent = wired.channel.sent
    requests = standin.chat_messages()
    for first, second in zip(firsts, seconds, strict=True):
        key = first.conversation
        replies = [s for s in sent if s.conversation == key]
        order = [s.in_reply_to for s in replies]
        if order != [first.platform_message_id, second.platform_message_id]:
            problems[key.value] = f"delivered in the order {order}"
            continue
        first_reply = replies[0].text
        saw_first = [
            r for r in requests if any(str(m.get("content", "")).endswith(second.text) for m in r)
        ]
        if not saw_first or not any(
            m.get("role") == "assistant" and m.get("content") == first_reply for m in saw_first[0]
        ):
            problems[key.value] = "the second request did not carry the first reply"
            continue
        events = await store.read_stream(key.stream_id)
        answered = [e.event.text for e in events if isinstance(e.event, ReplyGenerated)]
        if answered != [r.text for r in replies]:
            problems[key.value] = "the log's replies are in another order"
    return problems


def _pool_limits(wired: Wired) -> tuple[str, str]:
    """httpx's connection limits in the OpenAI SDK under any-llm, if they can be seen."""
    client: Any = getattr(wired.model, "_client", None)
    pool: Any = client
    for name in ("client", "_client", "_transport", "_pool"):
        pool = getattr(pool, name, None)
    if pool is None:
        return "unknown", "unknown"
    return (
        str(getattr(pool, "_max_connections", "unknown")),
        str(getattr(pool, "_max_keepalive_connections", "unknown")),
    )
