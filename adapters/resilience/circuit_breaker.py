"""A circuit breaker in front of a chat model: after repeated provider failures, stop calling.

pybreaker runs the state machine: it judges outcomes (through `exclude`), counts failures in
a row, trips at `fail_max`, closes or re-opens on the trial's outcome and tells its
listeners. What it cannot do is span an `await`: its async support needs tornado, and its
synchronous `calling()` binds each call to the state it was admitted in, so overlapping calls
race it (a late failure re-trips an open circuit, and half-open lets every caller through).

So this adapter splits a call in two synchronous steps with the model's `await` between
them, and nothing else awaits in between: admission (refuse, half-open, or let in; at most
one trial while half-open) and settling (hand the outcome to pybreaker, or drop it when the
circuit has changed since the call was admitted). On one event loop the two steps cannot
interleave with another call's, which is what serialises the transitions.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Awaitable, Callable, Sequence

import anyio
import pybreaker

from lukas.adapters.resilience.clock_storage import ClockStorage
from lukas.adapters.resilience.state_changes import StateChange, StateRecorder
from lukas.application.ports.chat_model import (
    ChatModel,
    ChatModelError,
    Completion,
    TextSink,
    Tool,
)
from lukas.application.ports.clock import Clock
from lukas.domain.context_window import ContextMessage
from lukas.domain.failures import FailureKind

__all__ = ["CircuitBreakerChatModel", "StateChange"]

log = logging.getLogger(__name__)


class CircuitBreakerChatModel:
    """A ChatModel that stops calling `inner` for a while after it failed `fail_max` times in
    a row for reasons that point at the provider (see PROVIDER_HEALTH_FAILURES)."""

    def __init__(
        self,
        inner: ChatModel,
        *,
        clock: Clock,
        dependency: str = "chat-model",
        fail_max: int = 5,
        reset_timeout: float = 60.0,
        on_change: Callable[[StateChange], Awaitable[None]] | None = None,
    ) -> None:
        self._inner = inner
        self._on_change = on_change
        self._recorder = StateRecorder(dependency)
        self._storage = ClockStorage(clock)
        self._breaker = pybreaker.CircuitBreaker(
            fail_max=fail_max,
            reset_timeout=reset_timeout,
            exclude=[self._recorder.counts_as_healthy],
            listeners=[self._recorder],
            state_storage=self._storage,
            name=dependency,
            # The call that trips the breaker reports what actually went wrong.
            throw_new_error_on_trip=False,
        )
        # pybreaker's half-open state lets every call through; the contract wants one.
        self._trial_in_flight = False
        # Changes are reported in the order they happened even when calls overlap.
        self._reporting = anyio.Lock()

    @property
    def name(self) -> str:
        return self._inner.name

    @property
    def state(self) -> str:
        """closed, open or half-open. The circuit half-opens lazily, on the first call after
        the reset timeout, so an expired open circuit still reads "open" until then."""
        return self._breaker.current_state

    async def complete(
        self, messages: Sequence[ContextMessage], tools: Sequence[Tool] = ()
    ) -> Completion:
        return await self._guarded(lambda: self._inner.complete(messages, tools))

    async def stream(
        self, messages: Sequence[ContextMessage], tools: Sequence[Tool] = (), *, on_text: TextSink
    ) -> Completion:
        """Judged as a whole: a stream that fails after its first piece counts as a failure."""
        return await self._guarded(lambda: self._inner.stream(messages, tools, on_text=on_text))

    async def _guarded(self, call: Callable[[], Awaitable[Completion]]) -> Completion:
        # A refused call changed nothing, so it returns without waiting for any reporting.
        trial = self._admit()
        # pybreaker makes a new state object on every transition, so this names the period
        # of the circuit the call was let in during.
        admitted_in = self._breaker.state
        try:
            try:
                completion = await call()
            except BaseException as error:
                self._settle(admitted_in, trial, error)
                raise
            self._settle(admitted_in, trial, None)
            return completion
        finally:
            await self._report_changes()

    def _admit(self) -> bool:
        """Let the call in, or raise the refusal. True when the call is the trial."""
        state = self._breaker.current_state
        if state == pybreaker.STATE_CLOSED:
            return False
        if self._trial_in_flight:
            raise self._refusal()
        if state == pybreaker.STATE_OPEN:
            # pybreaker's open state makes this check only as part of running a synchronous
            # call to the end; the opening time is the one pybreaker had its storage record.
            if self._storage.seconds_open() < self._breaker.reset_timeout:
                raise self._refusal()
            self._breaker.half_open()
        self._trial_in_flight = True
        return True

    def _settle(
        self,
        admitted_in: pybreaker.CircuitBreakerState,
        trial: bool,
        error: BaseException | None,
    ) -> None:
        """Hand the call's outcome to pybreaker. Synchronous: no other call can move the
        circuit between the check below and the transition pybreaker makes."""
        if trial:
            # Whatever ended the trial (a cancellation too) frees the slot: pybreaker below
            # closes or re-opens the circuit, so it never stays half-open with no trial.
            self._trial_in_flight = False
        if self._breaker.state is not admitted_in:
            # Let in while closed, ending after the circuit moved on (it cannot be the trial:
            # nothing moves the circuit while the trial is out). The caller still gets its
            # answer or error, but the outcome counts for nothing: a late failure says nothing
            # the opening did not, and counting it would trip the open circuit again or
            # restart its timeout; a late answer must not close the circuit without the trial
            # the reset timeout waits for; and once the circuit has closed again, a call from
            # before the outage does not belong to the new run of failures.
            return
        if error is None:
            self._recorder.succeeded()
            self._breaker.call(_answered)
            return
        traceback = error.__traceback__
        try:
            self._breaker.call(_raise, error)
        except BaseException as judged:
            # pybreaker re-raises the outcome it judged (throw_new_error_on_trip=False).
            if judged is not error:
                raise
        finally:
            # Keep the caller's traceback free of the replay through pybreaker.
            error.__traceback__ = traceback

    def _refusal(self) -> ChatModelError:
        failures = f"the chat model failed {self._breaker.fail_counter} times in a row"
        if self._breaker.current_state == pybreaker.STATE_HALF_OPEN:
            detail = f"{failures}; a trial call is under way"
        else:
            remaining = max(self._breaker.reset_timeout - self._storage.seconds_open(), 0.0)
            detail = f"{failures}; not calling it for {math.ceil(remaining)} s"
        # Nothing reached the provider, as OfflineChatModel's missing credentials.
        return ChatModelError(FailureKind.CIRCUIT_OPEN, detail, attempts=0)

    async def _report_changes(self) -> None:
        # Shielded: a change that happened must be recorded even when the call was cancelled.
        with anyio.CancelScope(shield=True):
            async with self._reporting:
                while self._recorder.changes:
                    change = self._recorder.changes.popleft()
                    if self._on_change is None:
                        continue
                    try:
                        await self._on_change(change)
                    except Exception:
                        # Failing to record a change must not turn a reply into a crash.
                        log.exception("could not report the %s circuit change", change.dependency)


def _answered() -> None:
    """What pybreaker runs to learn that the call got an answer."""


def _raise(error: BaseException) -> None:
    """What pybreaker runs to learn how the call failed."""
    raise error
