"""Retries a chat model's transient failures: a few attempts, backing off, within one deadline."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence

import anyio
import attrs
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential,
)
from tenacity.stop import stop_base
from tenacity.wait import wait_base

from lukas.application.ports.chat_model import (
    ChatModel,
    ChatModelError,
    Completion,
    TextSink,
    Tool,
)
from lukas.domain.context_window import ContextMessage
from lukas.domain.failures import TRANSIENT_FAILURES, FailureKind

log = logging.getLogger(__name__)


@attrs.frozen
class RetryPolicy:
    attempts: int = attrs.field(default=3, validator=attrs.validators.ge(1))
    wait_multiplier: float = 1.0
    wait_min: float = 1.0
    wait_max: float = 10.0
    # A provider may ask for minutes; a chat reply is not worth waiting that long.
    retry_after_cap: float = 20.0
    deadline_seconds: float = attrs.field(default=60.0, validator=attrs.validators.gt(0))


def _is_transient(error: BaseException) -> bool:
    return isinstance(error, ChatModelError) and error.kind in TRANSIENT_FAILURES


class _WaitRetryAfter(wait_base):
    """The provider's Retry-After when it gave one, within reason; otherwise the back-off."""

    def __init__(self, backoff: wait_base, cap: float) -> None:
        self._backoff = backoff
        self._cap = cap

    def __call__(self, retry_state: RetryCallState) -> float:
        outcome = retry_state.outcome
        error = outcome.exception() if outcome is not None and outcome.failed else None
        if isinstance(error, ChatModelError) and error.retry_after is not None:
            return max(min(error.retry_after, self._cap), 0.0)
        return self._backoff(retry_state)


class _StopBeforeDeadline(stop_base):
    """Like tenacity's stop_before_delay, but also counting waits the clock did not see.

    An injected sleep need not pass real time (tests do not wait), so the time spent is at
    least what was slept even when the monotonic clock says less.
    """

    def __init__(self, deadline: float) -> None:
        self._deadline = deadline

    def __call__(self, retry_state: RetryCallState) -> bool:
        spent = max(retry_state.seconds_since_start or 0.0, retry_state.idle_for)
        return spent + retry_state.upcoming_sleep >= self._deadline


class RetryingChatModel:
    """A ChatModel that tries `inner` again when the failure may pass.

    Only transient kinds are retried: a bad key, a bad request or a filtered prompt fails
    the same way every time, and an open circuit is a decision not to call at all.
    """

    def __init__(
        self,
        inner: ChatModel,
        policy: RetryPolicy,
        *,
        sleep: Callable[[float], Awaitable[None]] = anyio.sleep,
    ) -> None:
        self._inner = inner
        self._policy = policy
        self._sleep = sleep

    @property
    def name(self) -> str:
        return self._inner.name

    async def complete(
        self, messages: Sequence[ContextMessage], tools: Sequence[Tool] = ()
    ) -> Completion:
        return await self._retried(lambda: self._inner.complete(messages, tools))

    async def stream(
        self, messages: Sequence[ContextMessage], tools: Sequence[Tool] = (), *, on_text: TextSink
    ) -> Completion:
        """Retried like `complete` until the first piece of text is handed on; after that
        a failure is final, since trying again would say the start a second time."""
        spoke = False

        async def heard(text: str) -> None:
            nonlocal spoke
            spoke = True
            await on_text(text)

        async def attempt() -> Completion:
            try:
                return await self._inner.stream(messages, tools, on_text=heard)
            except ChatModelError as error:
                if spoke:
                    raise _Spoken(error) from None
                raise

        try:
            return await self._retried(attempt)
        except _Spoken as spoken:
            raise spoken.error from None

    async def _retried(self, call: Callable[[], Awaitable[Completion]]) -> Completion:
        policy = self._policy
        errors: list[ChatModelError] = []
        started = 0

        async def attempt() -> Completion:
            nonlocal started
            started += 1
            try:
                return await call()
            except ChatModelError as error:
                errors.append(error)
                raise

        retrying = AsyncRetrying(
            sleep=self._sleep_for,
            stop=stop_after_attempt(policy.attempts) | _StopBeforeDeadline(policy.deadline_seconds),
            wait=_WaitRetryAfter(
                wait_exponential(
                    multiplier=policy.wait_multiplier, min=policy.wait_min, max=policy.wait_max
                ),
                policy.retry_after_cap,
            ),
            retry=retry_if_exception(_is_transient),
            before_sleep=self._log_retry,
            reraise=True,
        )
        try:
            with anyio.fail_after(policy.deadline_seconds):
                completion: Completion = await retrying(attempt)
                return completion
        except TimeoutError:
            detail = f"no reply within {policy.deadline_seconds:g} s"
            raise ChatModelError(FailureKind.TIMEOUT, detail, attempts=started) from None
        except ChatModelError as error:
            raise _reported(errors or [error]) from error

    async def _sleep_for(self, seconds: float) -> None:
        # tenacity passes its DoSleep, a float subclass; callers should see plain seconds.
        await self._sleep(float(seconds))

    def _log_retry(self, retry_state: RetryCallState) -> None:
        outcome = retry_state.outcome
        error = outcome.exception() if outcome is not None else None
        kind = error.kind.value if isinstance(error, ChatModelError) else type(error).__name__
        log.info(
            "%s failed (%s) on attempt %d; trying again in %.3g s",
            self._inner.name,
            kind,
            retry_state.attempt_number,
            retry_state.upcoming_sleep,
        )


class _Spoken(Exception):
    """A stream that failed after text went out: not a ChatModelError, so never retried."""

    def __init__(self, error: ChatModelError) -> None:
        super().__init__(str(error))
        self.error = error


def _reported(errors: list[ChatModelError]) -> ChatModelError:
    """The error to give the caller for the failed attempts `errors`, last one last.

    `attempts` counts every attempt this loop made, one refused by an open circuit included:
    the reply was tried that many times. When none reached the model at all (each error says
    0 attempts: an open circuit, missing credentials) it stays 0, as those layers report it.
    """
    last = errors[-1]
    attempts = len(errors) if any(error.attempts > 0 for error in errors) else 0
    real = [error for error in errors if error.kind is not FailureKind.CIRCUIT_OPEN]
    if last.kind is FailureKind.CIRCUIT_OPEN and real:
        # The circuit opened because of the earlier failures; their cause is the news.
        cause = real[-1]
        detail = f"{cause.detail}; then the circuit breaker opened"
        return ChatModelError(cause.kind, detail, attempts=attempts, retry_after=cause.retry_after)
    return ChatModelError(last.kind, last.detail, attempts=attempts, retry_after=last.retry_after)
