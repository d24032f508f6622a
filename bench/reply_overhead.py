"""What answering a message costs beyond the model call itself.

Measured: `MessageHandler.handle` wired as `entrypoints/wiring.py` wires it for chat: the
real SQLite store (WAL, synchronous=FULL: three durable appends per reply), the real
TiktokenCounter, and the model `choose_chat_model` picks for an OpenAI-compatible endpoint
(AnyLLMChatModel) wrapped by `resilient(...)` (retries around the circuit breaker). The
endpoint is the tests' OpenAI stand-in answering at once, in a process of its own
(bench/standin_process.py); delivery goes to the tests'
FakeChatChannel, which keeps what it is sent in a list.

Baseline: the same AnyLLMChatModel instance alone, called with the very messages the handler
sent (a pass-through at the top of the model chain keeps them), right after each handle, so
each reply has a paired model-only time. The overhead of a reply is its handle time minus
its paired model time; the figures are the median and 99th percentile of those.

Ten conversations take turns, so most windows carry the full ten earlier exchanges. The
first messages warm up the HTTP connection, the tokenizer and the SQLite page cache and are
not counted.

A second, shorter pass puts a timing pass-through around the store to show how much of the
overhead is the store's; it is reported, not judged.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import attrs
from fakes.chat_channel import FakeChatChannel

from bench.common import Options, median, percentile, progress, scratch_dir
from bench.composed import composed
from bench.report import Figure, Target
from bench.standin_process import StandInProcess
from lukas.adapters.sealing.sealed_store import SealedEventStore
from lukas.adapters.sqlite.data_keys import SqliteDataKeys
from lukas.adapters.sqlite.event_store import SqliteEventStore
from lukas.adapters.system_clock import SystemClock
from lukas.application.circuit_events import CircuitRecorder
from lukas.application.handle_message import IncomingMessage, MessageHandler
from lukas.application.ports.chat_model import ChatModel, Completion, TextSink, Tool
from lukas.application.ports.event_store import (
    AppendResult,
    EventStore,
    NewEvent,
    RecordedEvent,
)
from lukas.domain.context_window import ContextMessage
from lukas.domain.conversation_key import ConversationKey
from lukas.entrypoints.config import Config, LLMConfig
from lukas.entrypoints.store_and_tokens import keys_file
from lukas.entrypoints.wiring import (
    choose_chat_model,
    resilient,
    token_counter,
)

NAME = "reply overhead"
CONVERSATIONS = 10
FAKE_KEY = "sk-bench-not-a-real-key"
_LINES = (
    "Lukas, what's a good way to start a literature review?",
    "Could you remind me what we said about the poster deadline?",
    "Do you think the reviewers will like the new figure?",
    "I have three experiments and one afternoon. Help!",
    "What's the nicest thing a bear has ever said to a postdoc?",
)


class Recording:
    """The outermost link of the model chain: passes every call on and keeps its messages."""

    def __init__(self, inner: ChatModel) -> None:
        self.inner = inner
        self.last: Sequence[ContextMessage] = ()
        self.last_tools: Sequence[Tool] = ()

    @property
    def name(self) -> str:
        return self.inner.name

    async def stream(
        self, messages: Sequence[ContextMessage], tools: Sequence[Tool] = (), *, on_text: TextSink
    ) -> Completion:
        # Whole, as a model that cannot stream would give it.
        return await self.complete(messages, tools)

    async def complete(
        self, messages: Sequence[ContextMessage], tools: Sequence[Tool] = ()
    ) -> Completion:
        self.last, self.last_tools = messages, tools
        return await self.inner.complete(messages, tools)


@attrs.define
class StoreTimes:
    appends: int = 0
    append_seconds: float = 0.0
    reads: int = 0
    read_seconds: float = 0.0


class TimedStore:
    """The store, with the time spent in it added up (for the breakdown pass only)."""

    def __init__(self, inner: EventStore) -> None:
        self.inner = inner
        self.times = StoreTimes()

    async def append(
        self, stream_id: str, events: Sequence[NewEvent], expected_version: int | None
    ) -> AppendResult:
        began = time.perf_counter()
        try:
            return await self.inner.append(stream_id, events, expected_version)
        finally:
            self.times.appends += 1
            self.times.append_seconds += time.perf_counter() - began

    async def read_stream(self, stream_id: str, from_version: int = 1) -> list[RecordedEvent]:
        began = time.perf_counter()
        try:
            return await self.inner.read_stream(stream_id, from_version)
        finally:
            self._read(began)

    async def read_stream_tail(self, stream_id: str, count: int) -> list[RecordedEvent]:
        began = time.perf_counter()
        try:
            return await self.inner.read_stream_tail(stream_id, count)
        finally:
            self._read(began)

    async def read_all(
        self, from_position: int = 0, until_position: int | None = None, limit: int | None = None
    ) -> list[RecordedEvent]:
        began = time.perf_counter()
        try:
            return await self.inner.read_all(from_position, until_position, limit)
        finally:
            self._read(began)

    def subscribe(self, from_position: int = 0) -> AsyncIterator[RecordedEvent]:
        return self.inner.subscribe(from_position)

    def _read(self, began: float) -> None:
        self.times.reads += 1
        self.times.read_seconds += time.perf_counter() - began


def chat_config(api_base: str) -> Config:
    return Config(llm=LLMConfig(api_base=api_base))


def incoming(
    number: int, conversations: int = CONVERSATIONS, prefix: str = "bench"
) -> IncomingMessage:
    return IncomingMessage(
        conversation=ConversationKey(f"console:{prefix}-{number % conversations}"),
        author_id="U0BENCH",
        author_name="Ada",
        text=f"{_LINES[number % len(_LINES)]} (#{number})",
        platform_message_id=f"live-{number}",
    )


@attrs.define
class Wired:
    handler: MessageHandler
    recording: Recording
    model: ChatModel  # the AnyLLMChatModel alone
    channel: FakeChatChannel


async def wire(store: EventStore, config: Config, instance_id: str = "bench") -> Wired:
    """The handler as `open_lukas` builds it, minus the instance lock files."""
    clock = SystemClock()
    choice = await choose_chat_model(config, {"OPENAI_API_KEY": FAKE_KEY})
    recorder = CircuitRecorder(store, clock, instance_id)
    recording = Recording(resilient(choice.model, config, clock, recorder))
    channel = FakeChatChannel()
    lukas = composed(
        config,
        store=store,
        model=recording,
        channel=channel,
        counter=token_counter(config),
        clock=clock,
        draw=random.Random(8).random,
        instance_id=instance_id,
        credentials_hint=choice.credentials_hint,
    )
    return Wired(lukas.handler, recording, choice.model, channel)


async def close_model(model: ChatModel) -> None:
    aclose = getattr(model, "aclose", None)
    if aclose is not None:
        await aclose()


def run(options: Options) -> list[Figure]:
    warmup, samples = (10, 60) if options.quick else (50, 500)
    breakdown_samples = 30 if options.quick else 100
    with StandInProcess() as standin, scratch_dir(options, "reply") as work:
        handled, direct, store_times = asyncio.run(
            _measure(work / "reply.db", standin.base_url, warmup, samples, breakdown_samples)
        )
        requests = len(standin.chat_messages())
    overheads = [h - d for h, d in zip(handled, direct, strict=True)]
    ms = 1000.0
    appends_ms = store_times.append_seconds / breakdown_samples * 1000
    reads_ms = store_times.read_seconds / breakdown_samples * 1000
    raw: dict[str, float | int | str] = {
        "replies measured": len(handled),
        "handle median ms": median(handled) * ms,
        "handle p99 ms": percentile(handled, 99) * ms,
        "model alone median ms": median(direct) * ms,
        "model alone p99 ms": percentile(direct, 99) * ms,
        "overhead median ms": median(overheads) * ms,
        "overhead p90 ms": percentile(overheads, 90) * ms,
        "overhead p99 ms": percentile(overheads, 99) * ms,
        "overhead max ms": max(overheads) * ms,
        "handle/model median ratio": median(handled) / median(direct),
        "p99(handle) - p99(model) ms": (percentile(handled, 99) - percentile(direct, 99)) * ms,
        "breakdown: store appends per reply": store_times.appends / breakdown_samples,
        "breakdown: ms in store appends per reply": appends_ms,
        "breakdown: store reads per reply": store_times.reads / breakdown_samples,
        "breakdown: ms in store reads per reply": reads_ms,
        "chat requests at the stand-in": requests,
    }
    summary = (
        f"handle {median(handled) * ms:.2f} ms vs model alone {median(direct) * ms:.2f} ms"
        f" (median); in the store: {appends_ms + reads_ms:.2f} ms"
    )
    return [
        Figure(
            benchmark=NAME,
            measure="median of (handle - model alone)",
            value=median(overheads) * ms,
            unit="ms",
            target=Target(at_most=3),
            summary=summary,
            raw=raw,
        ),
        Figure(
            benchmark=NAME,
            measure="p99 of (handle - model alone)",
            value=percentile(overheads, 99) * ms,
            unit="ms",
            target=Target(at_most=15),
            summary=(
                f"handle p99 {percentile(handled, 99) * ms:.2f} ms vs model alone p99"
                f" {percentile(direct, 99) * ms:.2f} ms ({len(handled)} replies)"
            ),
        ),
    ]


async def _measure(
    path: Path, api_base: str, warmup: int, samples: int, breakdown_samples: int
) -> tuple[list[float], list[float], StoreTimes]:
    config = chat_config(api_base)
    raw = await SqliteEventStore.open(path, SystemClock())
    keys = await SqliteDataKeys.open(keys_file(path), create=True)
    # As chat opens the log: personal words sealed with the keys beside it (ADR 27).
    store = await SealedEventStore.open(raw, keys, SystemClock())
    wired = await wire(store, config)
    handled: list[float] = []
    direct: list[float] = []
    try:
        for number in range(warmup + samples):
            message = incoming(number)
            began = time.perf_counter()
            outcome = await wired.handler.handle(message)
            handle_seconds = time.perf_counter() - began
            if not outcome.delivered or outcome.failure is not None:
                raise RuntimeError(f"message {number} got no model reply: {outcome}")
            began = time.perf_counter()
            await wired.model.complete(wired.recording.last, wired.recording.last_tools)
            direct_seconds = time.perf_counter() - began
            if number >= warmup:
                handled.append(handle_seconds)
                direct.append(direct_seconds)
            if (number + 1) % 100 == 0:
                progress(f"{number + 1} of {warmup + samples} replies")
        progress("breakdown pass with a timed store")
        timed = TimedStore(store)
        breakdown = await wire(timed, config, instance_id="bench-breakdown")
        try:
            start = warmup + samples
            await breakdown.handler.handle(incoming(start))  # the new client's first request
            timed.times = StoreTimes()
            for number in range(start + 1, start + 1 + breakdown_samples):
                await breakdown.handler.handle(incoming(number))
        finally:
            await close_model(breakdown.model)
    finally:
        await close_model(wired.model)
        await raw.close()
        await keys.close()
    return handled, direct, timed.times
