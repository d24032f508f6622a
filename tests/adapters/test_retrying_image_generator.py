"""The image retry decorator, over a scripted fake and a sleep that only records; then over HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from fakes.image_generator import FakeImageGenerator
from standins.openai_server import Failure, ImageB64, ImageUrl, OpenAIStandIn, tiny_png

from lukas.adapters.openai_images.generator import ImageSettings, OpenAIImageGenerator
from lukas.adapters.openai_images.retrying import RetryingImageGenerator
from lukas.application.ports.images import (
    RETRYABLE_IMAGE_FAILURES,
    ImageFailureKind,
    ImageGenerationError,
)

pytestmark = pytest.mark.anyio

KEY = "sk-test-retrying-images-0123456789"
PROMPT = "A bear painting the sunrise"
RETRYABLE = sorted(RETRYABLE_IMAGE_FAILURES, key=lambda kind: kind.value)
NOT_RETRIED = sorted(set(ImageFailureKind) - RETRYABLE_IMAGE_FAILURES, key=lambda kind: kind.value)


class RecordingSleep:
    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def failure(kind: ImageFailureKind, attempts: int = 1) -> ImageGenerationError:
    return ImageGenerationError(kind, f"scripted {kind.value}", attempts=attempts)


async def test_a_picture_at_the_first_try_needs_no_wait() -> None:
    inner, sleep = FakeImageGenerator(), RecordingSleep()

    image = await RetryingImageGenerator(inner, sleep=sleep).generate(PROMPT)

    assert image.data
    assert (inner.prompts, sleep.waits) == ([PROMPT], [])


async def test_a_rate_limit_then_a_picture_waits_4_s_once() -> None:
    inner, sleep = FakeImageGenerator(), RecordingSleep()
    inner.script(failure(ImageFailureKind.RATE_LIMIT), inner.picture(b"second try"))

    image = await RetryingImageGenerator(inner, sleep=sleep).generate(PROMPT)

    assert image.data == b"second try"
    assert inner.prompts == [PROMPT, PROMPT]
    assert sleep.waits == [4.0]
    assert all(type(wait) is float for wait in sleep.waits)


async def test_two_provider_failures_give_up_with_both_attempts_counted() -> None:
    inner, sleep = FakeImageGenerator(), RecordingSleep()
    inner.script(failure(ImageFailureKind.PROVIDER), failure(ImageFailureKind.PROVIDER))

    with pytest.raises(ImageGenerationError) as raised:
        await RetryingImageGenerator(inner, sleep=sleep).generate(PROMPT)

    assert raised.value.kind is ImageFailureKind.PROVIDER
    assert raised.value.attempts == 2
    assert raised.value.detail == "scripted provider"
    assert len(inner.prompts) == 2
    assert sleep.waits == [4.0]


@pytest.mark.parametrize("kind", RETRYABLE, ids=[k.value for k in RETRYABLE])
async def test_each_retryable_kind_is_tried_again(kind: ImageFailureKind) -> None:
    inner, sleep = FakeImageGenerator(), RecordingSleep()
    inner.script(failure(kind))

    await RetryingImageGenerator(inner, sleep=sleep).generate(PROMPT)

    assert len(inner.prompts) == 2


@pytest.mark.parametrize("kind", NOT_RETRIED, ids=[k.value for k in NOT_RETRIED])
async def test_other_kinds_fail_at_once(kind: ImageFailureKind) -> None:
    inner, sleep = FakeImageGenerator(), RecordingSleep()
    inner.script(failure(kind))

    with pytest.raises(ImageGenerationError) as raised:
        await RetryingImageGenerator(inner, attempts=5, sleep=sleep).generate(PROMPT)

    assert (raised.value.kind, raised.value.attempts) == (kind, 1)
    assert (len(inner.prompts), sleep.waits) == (1, [])


async def test_waits_grow_from_the_minimum_up_to_the_maximum() -> None:
    inner, sleep = FakeImageGenerator(), RecordingSleep()
    inner.script(*[failure(ImageFailureKind.CONNECTION)] * 6)

    with pytest.raises(ImageGenerationError) as raised:
        await RetryingImageGenerator(inner, attempts=6, wait_max=10, sleep=sleep).generate(PROMPT)

    assert raised.value.attempts == 6
    # multiplier 2: 2, 4, 8, 16, ... seconds, no less than 4 and no more than 10.
    assert sleep.waits == [4.0, 4.0, 8.0, 10.0, 10.0]


async def test_attempts_made_by_an_inner_layer_are_counted_too() -> None:
    inner, sleep = FakeImageGenerator(), RecordingSleep()
    inner.script(
        failure(ImageFailureKind.TIMEOUT, attempts=2), failure(ImageFailureKind.TIMEOUT, 3)
    )

    with pytest.raises(ImageGenerationError) as raised:
        await RetryingImageGenerator(inner, sleep=sleep).generate(PROMPT)

    assert raised.value.attempts == 5


async def test_a_single_attempt_means_no_retry() -> None:
    inner, sleep = FakeImageGenerator(), RecordingSleep()
    inner.script(failure(ImageFailureKind.RATE_LIMIT))

    with pytest.raises(ImageGenerationError):
        await RetryingImageGenerator(inner, attempts=1, sleep=sleep).generate(PROMPT)

    assert (len(inner.prompts), sleep.waits) == (1, [])


def test_the_model_is_the_inner_ones_and_attempts_must_be_positive() -> None:
    assert RetryingImageGenerator(FakeImageGenerator(model="m-1")).model == "m-1"
    with pytest.raises(ValueError, match="at least 1"):
        RetryingImageGenerator(FakeImageGenerator(), attempts=0)


# The same, over HTTP: the real adapter's classification decides what is retried.


@pytest.fixture
async def over_http(openai_standin: OpenAIStandIn) -> AsyncIterator[OpenAIImageGenerator]:
    settings = ImageSettings(api_key=KEY, api_base=openai_standin.base_url, timeout_seconds=5)
    generator = OpenAIImageGenerator(settings)
    yield generator
    await generator.aclose()


async def test_over_http_a_429_then_a_picture_makes_two_requests(
    openai_standin: OpenAIStandIn, over_http: OpenAIImageGenerator
) -> None:
    picture = tiny_png((1, 2, 3, 255))
    openai_standin.script_images(Failure.rate_limited(retry_after=30), ImageB64(picture))
    sleep = RecordingSleep()

    image = await RetryingImageGenerator(over_http, sleep=sleep).generate(PROMPT)

    assert image.data == picture
    assert len(openai_standin.image_requests()) == 2
    assert sleep.waits == [4.0]


async def test_over_http_two_500s_are_a_provider_failure_after_two_requests(
    openai_standin: OpenAIStandIn, over_http: OpenAIImageGenerator
) -> None:
    openai_standin.script_images(Failure.server_error(), Failure.server_error(502))

    with pytest.raises(ImageGenerationError) as raised:
        await RetryingImageGenerator(over_http, sleep=RecordingSleep()).generate(PROMPT)

    assert (raised.value.kind, raised.value.attempts) == (ImageFailureKind.PROVIDER, 2)
    assert "HTTP 502" in raised.value.detail
    assert len(openai_standin.image_requests()) == 2


@pytest.mark.parametrize(
    ("step", "kind"),
    [
        (Failure.content_policy("content_policy_violation"), ImageFailureKind.CONTENT_POLICY),
        (Failure.content_policy("moderation_blocked"), ImageFailureKind.CONTENT_POLICY),
        (Failure.unauthorized(), ImageFailureKind.AUTHENTICATION),
        (ImageUrl(url_status=404), ImageFailureKind.DOWNLOAD),
    ],
    ids=["content_policy_violation", "moderation_blocked", "unauthorized", "download"],
)
async def test_over_http_failures_that_would_repeat_make_one_request(
    openai_standin: OpenAIStandIn,
    over_http: OpenAIImageGenerator,
    step: Failure | ImageUrl,
    kind: ImageFailureKind,
) -> None:
    openai_standin.script_images(step)
    sleep = RecordingSleep()

    with pytest.raises(ImageGenerationError) as raised:
        await RetryingImageGenerator(over_http, sleep=sleep).generate(PROMPT)

    assert (raised.value.kind, raised.value.attempts) == (kind, 1)
    assert len(openai_standin.image_requests()) == 1
    assert sleep.waits == []
    assert KEY not in str(raised.value)
