"""Retries an image generator's transient failures: few attempts, long waits.

A picture costs real money and takes tens of seconds, so the defaults are one retry after
at least 4 s. Only RETRYABLE_IMAGE_FAILURES are retried. A content-policy refusal, a bad key
or a bad request fails the same way every time; a failed download is not retried either, as
another attempt would draw (and pay for) a new picture while a lost URL stays lost.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

import anyio
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential,
)

from lukas.application.ports.images import (
    RETRYABLE_IMAGE_FAILURES,
    GeneratedImage,
    ImageGenerationError,
    ImageGenerator,
)

log = logging.getLogger(__name__)


def _is_retryable(error: BaseException) -> bool:
    return isinstance(error, ImageGenerationError) and error.kind in RETRYABLE_IMAGE_FAILURES


class RetryingImageGenerator:
    """An ImageGenerator that tries `inner` again when the failure may pass.

    The error raised at the end is the last one, with `attempts` counting every request
    made for this picture (an inner layer's own attempts included).
    """

    def __init__(
        self,
        inner: ImageGenerator,
        *,
        attempts: int = 2,
        multiplier: float = 2,
        wait_min: float = 4,
        wait_max: float = 60,
        sleep: Callable[[float], Awaitable[None]] = anyio.sleep,
    ) -> None:
        if attempts < 1:
            raise ValueError(f"attempts must be at least 1, not {attempts}")
        self._inner = inner
        self._attempts = attempts
        self._wait = wait_exponential(multiplier=multiplier, min=wait_min, max=wait_max)
        self._sleep = sleep

    @property
    def model(self) -> str:
        return self._inner.model

    async def generate(self, prompt: str) -> GeneratedImage:
        made = 0

        async def attempt() -> GeneratedImage:
            nonlocal made
            try:
                return await self._inner.generate(prompt)
            except ImageGenerationError as error:
                made += error.attempts
                raise

        retrying = AsyncRetrying(
            sleep=self._sleep_for,
            stop=stop_after_attempt(self._attempts),
            wait=self._wait,
            retry=retry_if_exception(_is_retryable),
            before_sleep=self._log_retry,
            reraise=True,
        )
        try:
            image: GeneratedImage = await retrying(attempt)
        except ImageGenerationError as error:
            raise ImageGenerationError(error.kind, error.detail, attempts=made) from error
        return image

    async def _sleep_for(self, seconds: float) -> None:
        # tenacity passes its DoSleep, a float subclass; callers should see plain seconds.
        await self._sleep(float(seconds))

    def _log_retry(self, retry_state: RetryCallState) -> None:
        outcome = retry_state.outcome
        error = outcome.exception() if outcome is not None else None
        kind = error.kind.value if isinstance(error, ImageGenerationError) else type(error).__name__
        log.info(
            "%s failed to draw (%s) on attempt %d; trying again in %.3g s",
            self._inner.model,
            kind,
            retry_state.attempt_number,
            retry_state.upcoming_sleep,
        )
