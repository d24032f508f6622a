"""The retry decorator, over a scripted fake model and a sleep that only records."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import Any

import anyio
import pytest
from fakes.chat_model import FakeChatModel, FakeReply

from lukas.adapters.resilience.retrying_chat_model import RetryingChatModel, RetryPolicy
from lukas.application.ports.chat_model import ChatModelError, Completion, TextSink, Tool
from lukas.domain.context_window import ContextMessage, Role
from lukas.domain.failures import TRANSIENT_FAILURES, FailureKind

pytestmark = pytest.mark.anyio

MESSAGES = [ContextMessage(Role.USER, "Hi Lukas, a secret plan", 6)]
TRANSIENT = sorted(TRANSIENT_FAILURES, key=lambda kind: kind.value)
NOT_RETRIED = sorted(set(FailureKind) - TRANSIENT_FAILURES, key=lambda kind: kind.value)


class RecordingSleep:
    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


class SlowFailingModel:
    """Takes `seconds` of real time to fail each call, as a provider timing out would."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.calls = 0

    @property
    def name(self) -> str:
        return "slow:failing"

    async def stream(
        self, messages: Sequence[ContextMessage], tools: Sequence[Tool] = (), *, on_text: TextSink
    ) -> Completion:
        # Whole, as a model that cannot stream would give it.
        return await self.complete(messages, tools)

    async def complete(
        self, messages: Sequence[ContextMessage], tools: Sequence[Tool] = ()
    ) -> Completion:
        self.calls += 1
        await anyio.sleep(self.seconds)
        raise ChatModelError(FailureKind.PROVIDER, "502 after a long wait")


def failure(
    kind: FailureKind, detail: str = "it broke", attempts: int = 1, retry_after: float | None = None
) -> ChatModelError:
    return ChatModelError(kind, detail, attempts=attempts, retry_after=retry_after)


def retrying(inner: FakeChatModel, sleep: RecordingSleep, **policy: Any) -> RetryingChatModel:
    return RetryingChatModel(inner, RetryPolicy(**policy), sleep=sleep)


@pytest.mark.parametrize("kind", TRANSIENT)
async def test_a_transient_failure_is_retried_until_a_reply(kind: FailureKind) -> None:
    inner, sleep = FakeChatModel(failure(kind), failure(kind), "hello"), RecordingSleep()
    completion = await retrying(inner, sleep).complete(MESSAGES)
    assert completion.text == "hello"
    assert len(inner.calls) == 3
    assert sleep.waits == [1.0, 2.0]


@pytest.mark.parametrize("kind", TRANSIENT)
async def test_three_transient_failures_give_up_with_the_last_one(kind: FailureKind) -> None:
    inner = FakeChatModel(failure(kind, "first"), failure(kind, "second"), failure(kind, "third"))
    sleep = RecordingSleep()
    with pytest.raises(ChatModelError) as raised:
        await retrying(inner, sleep).complete(MESSAGES)
    assert (raised.value.kind, raised.value.detail, raised.value.attempts) == (kind, "third", 3)
    assert len(inner.calls) == 3
    assert sleep.waits == [1.0, 2.0]


async def test_the_back_off_doubles_within_its_bounds() -> None:
    inner = FakeChatModel(*[failure(FailureKind.PROVIDER)] * 6)
    sleep = RecordingSleep()
    with pytest.raises(ChatModelError):
        await retrying(inner, sleep, attempts=6, wait_min=1.5, wait_max=5).complete(MESSAGES)
    assert sleep.waits == [1.5, 2.0, 4.0, 5.0, 5.0]


@pytest.mark.parametrize(("asked", "waited"), [(7, 7.0), (500, 20.0), (0.5, 0.5), (-3, 0.0)])
async def test_a_retry_after_is_honoured_within_the_cap(asked: float, waited: float) -> None:
    inner = FakeChatModel(failure(FailureKind.RATE_LIMIT, retry_after=asked), "ok")
    sleep = RecordingSleep()
    assert (await retrying(inner, sleep).complete(MESSAGES)).text == "ok"
    assert sleep.waits == [waited]


async def test_the_last_retry_after_is_passed_on() -> None:
    inner = FakeChatModel(*[failure(FailureKind.RATE_LIMIT, retry_after=9)] * 3)
    with pytest.raises(ChatModelError) as raised:
        await retrying(inner, RecordingSleep()).complete(MESSAGES)
    assert (raised.value.retry_after, raised.value.attempts) == (9, 3)


@pytest.mark.parametrize("kind", NOT_RETRIED)
async def test_other_failures_are_not_retried(kind: FailureKind) -> None:
    inner, sleep = FakeChatModel(failure(kind, "no"), "never reached"), RecordingSleep()
    with pytest.raises(ChatModelError) as raised:
        await retrying(inner, sleep).complete(MESSAGES)
    assert (raised.value.kind, raised.value.detail, raised.value.attempts) == (kind, "no", 1)
    assert len(inner.calls) == 1
    assert sleep.waits == []


@pytest.mark.parametrize("kind", [FailureKind.CIRCUIT_OPEN, FailureKind.MISSING_CREDENTIALS])
async def test_a_call_that_reached_no_model_still_reports_no_attempts(kind: FailureKind) -> None:
    inner = FakeChatModel(failure(kind, attempts=0))
    with pytest.raises(ChatModelError) as raised:
        await retrying(inner, RecordingSleep()).complete(MESSAGES)
    assert (raised.value.kind, raised.value.attempts) == (kind, 0)


async def test_a_circuit_opening_mid_retry_reports_the_failure_that_opened_it() -> None:
    inner = FakeChatModel(
        failure(FailureKind.RATE_LIMIT, "429 slow down"),
        failure(FailureKind.PROVIDER, "500 boom"),
        failure(FailureKind.CIRCUIT_OPEN, "failed 5 times in a row", attempts=0),
    )
    with pytest.raises(ChatModelError) as raised:
        await retrying(inner, RecordingSleep()).complete(MESSAGES)
    assert raised.value.kind is FailureKind.PROVIDER
    assert raised.value.detail == "500 boom; then the circuit breaker opened"
    # The refused third attempt counts: the reply was tried three times.
    assert raised.value.attempts == 3


async def test_no_retry_starts_when_its_wait_would_pass_the_deadline() -> None:
    inner = FakeChatModel(*[failure(FailureKind.RATE_LIMIT, retry_after=20)] * 3)
    sleep = RecordingSleep()
    with pytest.raises(ChatModelError) as raised:
        await retrying(inner, sleep, deadline_seconds=30).complete(MESSAGES)
    assert (raised.value.kind, raised.value.attempts) == (FailureKind.RATE_LIMIT, 2)
    assert sleep.waits == [20.0]


async def test_a_slow_model_runs_into_the_deadline_before_the_attempts_run_out() -> None:
    inner = SlowFailingModel(0.2)
    policy = RetryPolicy(
        attempts=10, wait_multiplier=0.01, wait_min=0, wait_max=0.01, deadline_seconds=0.3
    )
    model = RetryingChatModel(inner, policy)  # sleeps for real: the deadline is real time
    started = time.monotonic()
    with pytest.raises(ChatModelError) as raised:
        await model.complete(MESSAGES)
    assert time.monotonic() - started < 0.6
    assert raised.value.kind is FailureKind.TIMEOUT
    assert raised.value.detail == "no reply within 0.3 s"
    assert raised.value.attempts == inner.calls == 2


async def test_a_first_time_reply_needs_no_wait() -> None:
    inner, sleep = FakeChatModel("straight away"), RecordingSleep()
    model = retrying(inner, sleep)
    assert (await model.complete(MESSAGES)).text == "straight away"
    assert (model.name, sleep.waits) == ("fake:scripted", [])


async def test_each_retry_is_logged_with_its_kind_and_wait_but_not_the_messages(
    caplog: pytest.LogCaptureFixture,
) -> None:
    inner = FakeChatModel(failure(FailureKind.RATE_LIMIT, retry_after=7), "ok")
    with caplog.at_level(logging.INFO, logger="lukas.adapters.resilience"):
        await retrying(inner, RecordingSleep()).complete(MESSAGES)
    [record] = caplog.records
    assert record.getMessage() == (
        "fake:scripted failed (rate_limit) on attempt 1; trying again in 7 s"
    )
    assert "secret" not in caplog.text


def test_a_policy_needs_at_least_one_attempt_and_some_time() -> None:
    with pytest.raises(ValueError, match="attempts"):
        RetryPolicy(attempts=0)
    with pytest.raises(ValueError, match="deadline_seconds"):
        RetryPolicy(deadline_seconds=0)


class Heard:
    def __init__(self) -> None:
        self.pieces: list[str] = []

    async def __call__(self, piece: str) -> None:
        self.pieces.append(piece)


async def test_a_stream_failing_before_its_first_piece_is_retried() -> None:
    inner = FakeChatModel(failure(FailureKind.RATE_LIMIT), "Hello there")
    heard = Heard()
    completion = await retrying(inner, RecordingSleep()).stream(MESSAGES, on_text=heard)
    assert completion.text == "Hello there"
    assert heard.pieces == ["Hello", " there"]
    assert len(inner.calls) == 2


async def test_a_stream_failing_after_its_first_piece_is_not_tried_again() -> None:
    cut = FakeReply("", pieces=("Hello",), fails_after=failure(FailureKind.CONNECTION))
    inner = FakeChatModel(cut, "a second answer nobody may see")
    heard = Heard()
    with pytest.raises(ChatModelError) as raised:
        await retrying(inner, RecordingSleep()).stream(MESSAGES, on_text=heard)
    assert raised.value.kind is FailureKind.CONNECTION
    assert heard.pieces == ["Hello"]
    assert len(inner.calls) == 1
