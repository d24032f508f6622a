"""What the circuit breaker reports when it opens, half-opens or closes."""

from __future__ import annotations

import logging
from collections import deque
from typing import Literal, cast

import anyio
import attrs
import pybreaker

from lukas.application.ports.chat_model import ChatModelError
from lukas.domain.failures import PROVIDER_HEALTH_FAILURES

log = logging.getLogger(__name__)

CircuitState = Literal["closed", "open", "half-open"]


@attrs.frozen
class StateChange:
    dependency: str
    previous: CircuitState
    current: CircuitState
    detail: str


def _describe(error: BaseException) -> str:
    if isinstance(error, ChatModelError):
        return str(error)
    if isinstance(error, anyio.get_cancelled_exc_class()):
        return "the call was cancelled"
    return type(error).__name__


class StateRecorder(pybreaker.CircuitBreakerListener):
    """Judges each call's outcome for pybreaker and queues the state changes it causes.

    pybreaker calls listeners synchronously, so the changes wait here until the call that
    caused them can await their reporting.
    """

    def __init__(self, dependency: str) -> None:
        self.dependency = dependency
        self.changes: deque[StateChange] = deque()
        # What ended the call pybreaker is judging; it judges synchronously, so overlapping
        # calls cannot mix their outcomes up.
        self._outcome: BaseException | None = None

    def succeeded(self) -> None:
        self._outcome = None

    def counts_as_healthy(self, error: BaseException) -> bool:
        """pybreaker's `exclude`: True for an error that says nothing bad about the provider.

        pybreaker treats an excluded error as a success, which resets the count of failures
        in a row (and closes a half-open circuit). That is right for the errors that reach
        here: a rejected key, a bad request or a filtered prompt is the provider answering,
        so a run of failures it interrupts was not "the provider is down". A cancelled call is
        counted as a failure instead: it got no answer, and it is usually a deadline expiring
        on a slow provider, which must not pass for the trial call that closes the circuit.
        """
        self._outcome = error
        if isinstance(error, ChatModelError):
            return error.kind not in PROVIDER_HEALTH_FAILURES
        return not isinstance(error, anyio.get_cancelled_exc_class())

    def state_change(
        self,
        cb: pybreaker.CircuitBreaker,
        old_state: pybreaker.CircuitBreakerState | None,
        new_state: pybreaker.CircuitBreakerState,
    ) -> None:
        previous = cast("CircuitState", old_state.name if old_state else pybreaker.STATE_CLOSED)
        current = cast("CircuitState", new_state.name)
        outcome = "" if self._outcome is None else _describe(self._outcome)
        if current == pybreaker.STATE_OPEN:
            detail = (
                f"the trial call failed: {outcome}"
                if previous == pybreaker.STATE_HALF_OPEN
                else f"{cb.fail_counter} failures in a row, last: {outcome}"
            )
            log.warning(
                "circuit for %s opened after %s; calls stop for %g s",
                self.dependency,
                detail,
                cb.reset_timeout,
            )
        elif current == pybreaker.STATE_HALF_OPEN:
            detail = f"{cb.reset_timeout:g} s passed; letting a trial call through"
            log.info("circuit for %s half-open: %s", self.dependency, detail)
        else:
            detail = (
                f"a trial call got an answer: {outcome}" if outcome else "a trial call succeeded"
            )
            log.info("circuit for %s closed: %s", self.dependency, detail)
        self.changes.append(StateChange(self.dependency, previous, current, detail))
