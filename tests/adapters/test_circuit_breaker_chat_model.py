"""The circuit breaker decorator, over a scripted fake model and a clock moved by hand."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

import anyio
import attrs
import pytest
from anyio.abc import TaskGroup
from fakes.chat_model import FakeChatModel, FakeReply
from fakes.clock import FakeClock

from lukas.adapters.resilience.circuit_breaker import CircuitBreakerChatModel, StateChange
from lukas.application.ports.chat_model import ChatModel, ChatModelError, Completion, TextSink, Tool
from lukas.domain.context_window import ContextMessage, Role
from lukas.domain.failures import PROVIDER_HEALTH_FAILURES, FailureKind

pytestmark = pytest.mark.anyio

MESSAGES = [ContextMessage(Role.USER, "Hi Lukas", 2)]
DOWN = ChatModelError(FailureKind.PROVIDER, "500 the server had an error")
REJECTED = ChatModelError(FailureKind.AUTHENTICATION, "401 incorrect API key")


class Changes:
    def __init__(self) -> None:
        self.seen: list[StateChange] = []

    async def __call__(self, change: StateChange) -> None:
        self.seen.append(change)

    @property
    def steps(self) -> list[tuple[str, str]]:
        return [(change.previous, change.current) for change in self.seen]


class HangingModel:
    """Never answers, like a provider that stopped responding."""

    def __init__(self) -> None:
        self.calls = 0

    @property
    def name(self) -> str:
        return "hanging:model"

    async def stream(
        self, messages: Sequence[ContextMessage], tools: Sequence[Tool] = (), *, on_text: TextSink
    ) -> Completion:
        # Whole, as a model that cannot stream would give it.
        return await self.complete(messages, tools)

    async def complete(
        self, messages: Sequence[ContextMessage], tools: Sequence[Tool] = ()
    ) -> Completion:
        self.calls += 1
        await anyio.sleep_forever()
        raise AssertionError("unreachable")


def breaker(
    inner: ChatModel, clock: FakeClock, changes: Changes | None = None
) -> CircuitBreakerChatModel:
    return CircuitBreakerChatModel(inner, clock=clock, on_change=changes)


async def fail(model: CircuitBreakerChatModel, times: int = 1) -> list[ChatModelError]:
    errors: list[ChatModelError] = []
    for _ in range(times):
        with pytest.raises(ChatModelError) as raised:
            await model.complete(MESSAGES)
        errors.append(raised.value)
    return errors


async def opened(
    changes: Changes | None = None,
) -> tuple[CircuitBreakerChatModel, FakeChatModel, FakeClock]:
    inner, clock = FakeChatModel(*[DOWN] * 5), FakeClock()
    model = breaker(inner, clock, changes)
    await fail(model, 5)
    assert model.state == "open"
    return model, inner, clock


async def test_five_failures_in_a_row_open_it_and_the_sixth_call_is_refused() -> None:
    inner = FakeChatModel(*[DOWN] * 5, "never reached")
    model = breaker(inner, FakeClock())
    errors = await fail(model, 4)
    assert model.state == "closed"
    # The call that trips the breaker reports the provider's own failure.
    [fifth] = await fail(model)
    assert fifth is DOWN
    assert model.state == "open"
    [sixth] = await fail(model)
    assert sixth.kind is FailureKind.CIRCUIT_OPEN
    assert sixth.detail == "the chat model failed 5 times in a row; not calling it for 60 s"
    assert sixth.attempts == 0
    assert len(inner.calls) == 5
    assert [error.kind for error in errors] == [FailureKind.PROVIDER] * 4


@pytest.mark.parametrize("kind", sorted(PROVIDER_HEALTH_FAILURES, key=str))
async def test_every_provider_health_failure_counts(kind: FailureKind) -> None:
    model = breaker(FakeChatModel(*[ChatModelError(kind, "unwell")] * 5), FakeClock())
    await fail(model, 5)
    assert model.state == "open"


@pytest.mark.parametrize(
    "kind",
    [
        FailureKind.AUTHENTICATION,
        FailureKind.MISSING_CREDENTIALS,
        FailureKind.BAD_REQUEST,
        FailureKind.CONTENT_FILTER,
        FailureKind.CONTEXT_LENGTH,
    ],
)
async def test_failures_that_say_nothing_about_the_provider_do_not_count(kind: FailureKind) -> None:
    inner = FakeChatModel(*[ChatModelError(kind, "not the provider's fault")] * 8)
    model = breaker(inner, FakeClock())
    await fail(model, 8)
    assert model.state == "closed"
    assert len(inner.calls) == 8


async def test_an_answer_in_between_breaks_the_run_of_failures() -> None:
    inner = FakeChatModel(*[DOWN] * 4, REJECTED, *[DOWN] * 4, "fine", *[DOWN] * 5)
    model = breaker(inner, FakeClock())
    await fail(model, 9)
    assert (await model.complete(MESSAGES)).text == "fine"
    assert model.state == "closed"
    await fail(model, 4)
    assert model.state == "closed"
    await fail(model)
    assert model.state == "open"


async def test_the_refusal_says_how_long_is_left() -> None:
    model, _, clock = await opened()
    clock.advance(44.5)
    [refused] = await fail(model)
    assert refused.detail == "the chat model failed 5 times in a row; not calling it for 16 s"


async def test_after_the_reset_timeout_a_trial_call_goes_through_and_closes_it() -> None:
    changes = Changes()
    model, inner, clock = await opened(changes)
    clock.advance(59.9)
    await fail(model)
    assert len(inner.calls) == 5
    clock.advance(0.1)
    inner.script("back again")
    assert (await model.complete(MESSAGES)).text == "back again"
    assert model.state == "closed"
    assert len(inner.calls) == 6
    assert changes.steps == [("closed", "open"), ("open", "half-open"), ("half-open", "closed")]
    assert [change.detail for change in changes.seen] == [
        "5 failures in a row, last: provider: 500 the server had an error",
        "60 s passed; letting a trial call through",
        "a trial call succeeded",
    ]
    assert {change.dependency for change in changes.seen} == {"chat-model"}


async def test_a_failed_trial_call_opens_it_again_for_another_timeout() -> None:
    changes = Changes()
    model, inner, clock = await opened(changes)
    clock.advance(60)
    inner.script(ChatModelError(FailureKind.TIMEOUT, "no answer within 30 s"), "later")
    [trial] = await fail(model)
    assert trial.kind is FailureKind.TIMEOUT
    assert model.state == "open"
    clock.advance(30)
    [refused] = await fail(model)
    assert refused.kind is FailureKind.CIRCUIT_OPEN
    assert "6 times in a row; not calling it for 30 s" in refused.detail
    clock.advance(30)
    assert (await model.complete(MESSAGES)).text == "later"
    assert changes.steps == [
        ("closed", "open"),
        ("open", "half-open"),
        ("half-open", "open"),
        ("open", "half-open"),
        ("half-open", "closed"),
    ]
    assert changes.seen[2].detail == "the trial call failed: timeout: no answer within 30 s"


async def test_a_trial_call_rejected_by_the_provider_still_closes_it() -> None:
    changes = Changes()
    model, inner, clock = await opened(changes)
    clock.advance(60)
    inner.script(REJECTED)
    await fail(model)
    assert model.state == "closed"
    assert changes.seen[-1].detail == (
        "a trial call got an answer: authentication: 401 incorrect API key"
    )


async def test_a_cancelled_trial_call_reopens_it_and_the_change_is_still_reported() -> None:
    changes = Changes()
    inner, clock = HangingModel(), FakeClock()
    model = breaker(inner, clock, changes)
    for _ in range(5):
        with anyio.CancelScope() as scope:
            scope.cancel()
            await model.complete(MESSAGES)
    assert model.state == "open"
    clock.advance(60)
    with anyio.move_on_after(0.01):
        await model.complete(MESSAGES)
    assert model.state == "open"
    assert inner.calls == 6
    assert changes.steps == [("closed", "open"), ("open", "half-open"), ("half-open", "open")]
    assert changes.seen[-1].detail == "the trial call failed: the call was cancelled"


async def test_state_changes_are_logged(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="lukas.adapters.resilience"):
        model, _, clock = await opened()
        clock.advance(60)
        await model.complete(MESSAGES)
    levels = [(record.levelno, record.getMessage()) for record in caplog.records]
    assert levels[0] == (
        logging.WARNING,
        "circuit for chat-model opened after 5 failures in a row, last: provider: 500 the "
        "server had an error; calls stop for 60 s",
    )
    assert levels[-1] == (logging.INFO, "circuit for chat-model closed: a trial call succeeded")


async def test_a_failing_listener_does_not_break_the_call(caplog: pytest.LogCaptureFixture) -> None:
    async def broken(change: StateChange) -> None:
        raise RuntimeError("event store unavailable")

    inner = FakeChatModel(*[DOWN] * 5)
    model = CircuitBreakerChatModel(inner, clock=FakeClock(), dependency="llm", on_change=broken)
    errors = await fail(model, 5)
    assert errors[-1] is DOWN
    assert "could not report the llm circuit change" in caplog.text


async def test_it_is_named_after_its_model_and_takes_its_own_limits() -> None:
    changes = Changes()
    inner, clock = FakeChatModel(DOWN, DOWN), FakeClock()
    model = CircuitBreakerChatModel(
        inner, clock=clock, dependency="llm", fail_max=2, reset_timeout=10, on_change=changes
    )
    assert model.name == "fake:scripted"
    await fail(model, 2)
    clock.advance(10)
    await model.complete(MESSAGES)
    assert changes.seen[0] == StateChange(
        "llm", "closed", "open", "2 failures in a row, last: provider: 500 the server had an error"
    )
    assert changes.steps[-1] == ("half-open", "closed")


# Overlapping calls. Each call to GatedModel waits until the test says how it ends, and the
# test acts only once every task is blocked (anyio.wait_all_tasks_blocked), so the calls
# overlap for certain and nothing depends on timing.


@attrs.define
class Held:
    """A call that reached GatedModel, waiting for the test to end it."""

    outcome: str | ChatModelError = ""
    released: anyio.Event = attrs.field(factory=anyio.Event)

    def release(self, outcome: str | ChatModelError) -> None:
        self.outcome = outcome
        self.released.set()


class GatedModel:
    """Holds every call until the test releases it with a reply or an error."""

    def __init__(self) -> None:
        self.held: list[Held] = []

    @property
    def name(self) -> str:
        return "fake:gated"

    def waiting(self) -> list[Held]:
        return [held for held in self.held if not held.released.is_set()]

    async def stream(
        self, messages: Sequence[ContextMessage], tools: Sequence[Tool] = (), *, on_text: TextSink
    ) -> Completion:
        # Whole, as a model that cannot stream would give it.
        return await self.complete(messages, tools)

    async def complete(
        self, messages: Sequence[ContextMessage], tools: Sequence[Tool] = ()
    ) -> Completion:
        held = Held()
        self.held.append(held)
        await held.released.wait()
        if isinstance(held.outcome, ChatModelError):
            raise held.outcome
        return Completion(
            text=held.outcome, provider="fake", model="gated", finish_reason="stop", usage=None
        )


Ended = str | ChatModelError


async def settle() -> None:
    """Return once every other task waits: the calls made so far have gone as far as they can."""
    await anyio.wait_all_tasks_blocked()


class Callers:
    """Calls to the breaker, each in a task of its own; how each one ended, in that order."""

    def __init__(self, model: CircuitBreakerChatModel, group: TaskGroup) -> None:
        self._model = model
        self._group = group
        self.ended: list[Ended] = []
        self.running = 0

    async def start(self, count: int = 1) -> None:
        for _ in range(count):
            self.running += 1
            self._group.start_soon(self._call)
        await settle()

    def cancel(self) -> None:
        self._group.cancel_scope.cancel()

    async def _call(self) -> None:
        try:
            self.ended.append((await self._model.complete(MESSAGES)).text)
        except ChatModelError as error:
            self.ended.append(error)
        finally:
            self.running -= 1

    def refusals(self) -> list[ChatModelError]:
        return [
            ended
            for ended in self.ended
            if isinstance(ended, ChatModelError) and ended.kind is FailureKind.CIRCUIT_OPEN
        ]


@asynccontextmanager
async def callers(model: CircuitBreakerChatModel) -> AsyncIterator[Callers]:
    async with anyio.create_task_group() as group:
        calls = Callers(model, group)
        yield calls
        # A call left waiting (one the breaker should have refused) would keep the group
        # open for ever: fail instead of hanging.
        await settle()
        if calls.running:
            group.cancel_scope.cancel()
            raise AssertionError(f"{calls.running} call(s) still waiting at the end")


def release(held: Sequence[Held], outcome: str | ChatModelError) -> None:
    for call in held:
        call.release(outcome)


async def opened_by_overlapping_failures(
    changes: Changes | None = None,
) -> tuple[CircuitBreakerChatModel, GatedModel, FakeClock]:
    inner, clock = GatedModel(), FakeClock()
    model = breaker(inner, clock, changes)
    async with callers(model) as calls:
        await calls.start(5)
        release(inner.waiting(), DOWN)
    assert model.state == "open"
    return model, inner, clock


@pytest.mark.parametrize("count", [5, 8])
async def test_overlapping_failures_open_it_exactly_once(count: int) -> None:
    changes = Changes()
    inner = GatedModel()
    model = breaker(inner, FakeClock(), changes)
    async with callers(model) as calls:
        await calls.start(count)
        assert len(inner.waiting()) == count
        assert model.state == "closed"
        release(inner.waiting(), DOWN)
    assert changes.steps == [("closed", "open")]
    assert changes.seen[0].detail == (
        "5 failures in a row, last: provider: 500 the server had an error"
    )
    # Every call was let in while closed, so each reports the provider's own failure.
    assert calls.ended == [DOWN] * count
    [refused] = await fail(model)
    assert refused.kind is FailureKind.CIRCUIT_OPEN
    assert len(inner.held) == count


async def test_half_open_lets_one_of_eight_overlapping_calls_through_and_refuses_the_rest() -> None:
    changes = Changes()
    model, inner, clock = await opened_by_overlapping_failures(changes)
    clock.advance(60)
    async with callers(model) as calls:
        await calls.start(8)
        [trial] = inner.waiting()
        assert len(inner.held) == 6
        assert model.state == "half-open"
        # Refused while the trial is still held: they did not wait for it.
        refused = calls.refusals()
        assert len(refused) == len(calls.ended) == 7
        assert {error.attempts for error in refused} == {0}
        assert (
            refused[0].detail == "the chat model failed 5 times in a row; a trial call is under way"
        )
        trial.release("back again")
    assert calls.ended[-1] == "back again"
    assert model.state == "closed"
    assert changes.steps == [("closed", "open"), ("open", "half-open"), ("half-open", "closed")]
    assert changes.seen[-1].detail == "a trial call succeeded"


async def test_a_failed_trial_among_overlapping_calls_opens_it_again_once() -> None:
    changes = Changes()
    model, inner, clock = await opened_by_overlapping_failures(changes)
    clock.advance(60)
    async with callers(model) as calls:
        await calls.start(8)
        [trial] = inner.waiting()
        trial.release(ChatModelError(FailureKind.TIMEOUT, "no answer within 30 s"))
        await settle()
        assert model.state == "open"
        await calls.start(3)
    assert len(calls.refusals()) == 7 + 3
    assert calls.refusals()[-1].detail == (
        "the chat model failed 6 times in a row; not calling it for 60 s"
    )
    assert len(inner.held) == 6
    assert changes.steps == [("closed", "open"), ("open", "half-open"), ("half-open", "open")]
    assert changes.seen[-1].detail == "the trial call failed: timeout: no answer within 30 s"
    clock.advance(60)
    async with callers(model) as calls:
        await calls.start(2)
        [trial] = inner.waiting()
        trial.release("later")
    [refused] = calls.refusals()
    assert refused.detail.endswith("a trial call is under way")
    assert calls.ended[-1] == "later"
    assert changes.steps[-2:] == [("open", "half-open"), ("half-open", "closed")]


async def test_a_cancelled_trial_frees_the_slot_for_the_next_one() -> None:
    changes = Changes()
    model, inner, clock = await opened_by_overlapping_failures(changes)
    clock.advance(60)
    async with anyio.create_task_group() as trial_group:
        trial_group.start_soon(model.complete, MESSAGES)
        await settle()
        [_cancelled] = inner.waiting()
        async with callers(model) as calls:
            await calls.start(3)
        assert len(calls.refusals()) == 3
        trial_group.cancel_scope.cancel()
    assert model.state == "open"
    assert changes.steps == [("closed", "open"), ("open", "half-open"), ("half-open", "open")]
    assert changes.seen[-1].detail == "the trial call failed: the call was cancelled"
    [refused] = await fail(model)
    assert refused.detail.endswith("not calling it for 60 s")
    clock.advance(60)
    async with callers(model) as calls:
        await calls.start(4)
        [trial] = inner.waiting()[1:]
        trial.release("back again")
    assert calls.ended[-1] == "back again"
    assert len(calls.refusals()) == 3
    assert model.state == "closed"
    assert changes.steps[-2:] == [("open", "half-open"), ("half-open", "closed")]


async def test_calls_let_in_before_it_opened_do_not_move_it_when_they_end_late() -> None:
    changes = Changes()
    inner, clock = GatedModel(), FakeClock()
    model = breaker(inner, clock, changes)
    async with callers(model) as calls:
        await calls.start(8)
        early = inner.waiting()
        release(early[:5], DOWN)
        await settle()
        assert model.state == "open"
        clock.advance(30)
        # A late answer does not close it without a trial; a late failure neither opens
        # it again nor restarts its timeout.
        early[5].release("late answer")
        early[6].release(DOWN)
        await settle()
        assert model.state == "open"
        [refused] = await fail(model)
        assert refused.detail == "the chat model failed 5 times in a row; not calling it for 30 s"
        clock.advance(30)
        await calls.start()
        [trial] = inner.waiting()[1:]
        # Nor does a late answer close it while the trial is under way.
        early[7].release("another late answer")
        await settle()
        assert model.state == "half-open"
        trial.release(DOWN)
    assert model.state == "open"
    assert changes.steps == [("closed", "open"), ("open", "half-open"), ("half-open", "open")]
    assert calls.ended[5:] == ["late answer", DOWN, "another late answer", DOWN]


async def test_late_failures_from_before_an_outage_do_not_count_once_it_closed_again() -> None:
    changes = Changes()
    inner, clock = GatedModel(), FakeClock()
    model = breaker(inner, clock, changes)
    async with callers(model) as calls:
        await calls.start(9)
        early = inner.waiting()
        release(early[:5], DOWN)
        await settle()
        clock.advance(60)
        await calls.start()
        inner.waiting()[-1].release("back again")
        await settle()
        assert model.state == "closed"
        release(early[5:], DOWN)
        await settle()
        assert model.state == "closed"
        # The new run of failures starts from the ones made after it closed.
        await calls.start(4)
        release(inner.waiting(), DOWN)
        await settle()
        assert model.state == "closed"
        await calls.start()
        release(inner.waiting(), DOWN)
    assert model.state == "open"
    assert changes.steps == [
        ("closed", "open"),
        ("open", "half-open"),
        ("half-open", "closed"),
        ("closed", "open"),
    ]


async def test_overlapping_calls_all_cancelled_open_it_once_and_it_is_still_reported() -> None:
    slow_store = anyio.Event()
    seen: list[tuple[str, str]] = []

    async def record(change: StateChange) -> None:
        await slow_store.wait()
        seen.append((change.previous, change.current))

    inner = GatedModel()
    model = CircuitBreakerChatModel(inner, clock=FakeClock(), on_change=record)
    async with callers(model) as calls:
        await calls.start(8)
        calls.cancel()
        # The test's own body is in the cancelled scope too.
        with anyio.CancelScope(shield=True):
            await settle()
        state, recorded_meanwhile = model.state, list(seen)
        slow_store.set()
    # A cancelled call got no answer, so it counts; the trip was still being recorded.
    assert state == "open"
    assert recorded_meanwhile == []
    assert seen == [("closed", "open")]
    assert calls.ended == []


async def test_streams_failing_mid_reply_count_towards_opening_it() -> None:
    async def ignore(piece: str) -> None:
        pass

    cut = FakeReply("", pieces=("Hi",), fails_after=ChatModelError(FailureKind.PROVIDER, "500"))
    model = breaker(FakeChatModel(*[cut] * 5), FakeClock())
    for _ in range(5):
        with pytest.raises(ChatModelError):
            await model.stream(MESSAGES, on_text=ignore)
    assert model.state == "open"
    with pytest.raises(ChatModelError) as refused:
        await model.stream(MESSAGES, on_text=ignore)
    assert refused.value.kind is FailureKind.CIRCUIT_OPEN
