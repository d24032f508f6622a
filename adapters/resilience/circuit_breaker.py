"""A circuit breaker in front of a chat model: after repeated provider failures, stop calling.

pybreaker runs the state machine. Its async support needs tornado, so each call goes through
the synchronous `calling()` context manager, which counts an exception raised in its body.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Awaitable, Callable, Sequence

import anyio
import pybreaker

from lukas.adapters.resilience.clock_storage import ClockStorage
from lukas.adapters.resilience.state_changes import StateChange, StateRecorder
from lukas.application.ports.chat_model import ChatModel, ChatModelError, Completion, Tool
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
        # Changes are reported in the order they happened even when calls overlap.
        self._reporting = anyio.Lock()

    @property
    def name(self) -> str:
        return self._inner.name

    @property
    def state(self) -> str:
        """closed, open or half-open. pybreaker half-opens lazily, on the first call after
        the reset timeout, so an expired open circuit still reads "open" until then."""
        return self._breaker.current_state

    async def complete(
        self, messages: Sequence[ContextMessage], tools: Sequence[Tool] = ()
    ) -> Completion:
        try:
            try:
                with self._breaker.calling():
                    completion = await self._inner.complete(messages, tools)
                    self._recorder.succeeded()
                return completion
            except pybreaker.CircuitBreakerError:
                raise self._refusal() from None
        finally:
            await self._report_changes()

    def _refusal(self) -> ChatModelError:
        remaining = max(self._breaker.reset_timeout - self._storage.seconds_open(), 0.0)
        detail = (
            f"the chat model failed {self._breaker.fail_counter} times in a row; "
            f"not calling it for {math.ceil(remaining)} s"
        )
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
