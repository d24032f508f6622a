"""The image generator contract, run against every implementation: the fake and the openai
adapter (for a GPT image model answering base64, and for a compatible DALL-E-style server
answering URLs), the latter through the real openai SDK to the local OpenAI stand-in.

Each implementation comes with a driver that scripts the same scenario in its own way: the
fake is handed the picture or the error itself, the stand-in the HTTP answer a provider would
send. Use cases may rely on these properties and on no others.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Protocol

import attrs
import pytest
from fakes.image_generator import FakeImageGenerator
from standins.openai_server import (
    Delay,
    Drop,
    Failure,
    ImageB64,
    ImageStep,
    ImageUrl,
    OpenAIStandIn,
    tiny_png,
)

from lukas.adapters.openai_images.generator import ImageSettings, OpenAIImageGenerator
from lukas.application.ports.images import (
    GeneratedImage,
    ImageFailureKind,
    ImageGenerationError,
    ImageGenerator,
)

pytestmark = pytest.mark.anyio

KEY = "sk-test-image-contract-0123456789abcdef"
# Short, so the time-out case is quick; loopback answers take milliseconds.
TIMEOUT_SECONDS = 0.5
PICTURE = tiny_png((200, 150, 60, 255))

# Failures every implementation can produce, so use cases may be written against each.
FAILURE_KINDS = [
    ImageFailureKind.CONTENT_POLICY,
    ImageFailureKind.AUTHENTICATION,
    ImageFailureKind.RATE_LIMIT,
    ImageFailureKind.PROVIDER,
    ImageFailureKind.CONNECTION,
    ImageFailureKind.TIMEOUT,
    ImageFailureKind.BAD_REQUEST,
    ImageFailureKind.DOWNLOAD,
]


class Driver(Protocol):
    @property
    def generator(self) -> ImageGenerator: ...

    def will_draw(self, png: bytes, revised_prompt: str | None = None) -> None: ...

    def will_fail(self, kind: ImageFailureKind) -> None: ...

    def prompts(self) -> list[str]:
        """Every prompt the generator was sent, in order."""
        ...


@attrs.frozen
class FakeDriver:
    generator: FakeImageGenerator

    def will_draw(self, png: bytes, revised_prompt: str | None = None) -> None:
        self.generator.script(self.generator.picture(png, revised_prompt))

    def will_fail(self, kind: ImageFailureKind) -> None:
        self.generator.script(ImageGenerationError(kind, f"scripted {kind.value}"))

    def prompts(self) -> list[str]:
        return list(self.generator.prompts)


def _quoting_the_key(failure: Failure) -> Failure:
    """The error with the caller's key in its message, as some providers quote it back."""
    assert isinstance(failure.body, dict)
    error = dict(failure.body["error"])
    error["message"] = f"{error['message']} (sent with key {KEY})"
    return attrs.evolve(failure, body={"error": error})


@attrs.frozen
class OpenAIDriver:
    generator: OpenAIImageGenerator
    server: OpenAIStandIn
    answers_with_urls: bool

    def will_draw(self, png: bytes, revised_prompt: str | None = None) -> None:
        if self.answers_with_urls:
            self.server.script_images(ImageUrl(png, revised_prompt))
        else:
            self.server.script_images(ImageB64(png, revised_prompt))

    def will_fail(self, kind: ImageFailureKind) -> None:
        steps: dict[ImageFailureKind, ImageStep] = {
            ImageFailureKind.CONTENT_POLICY: _quoting_the_key(Failure.content_policy()),
            ImageFailureKind.AUTHENTICATION: _quoting_the_key(Failure.unauthorized()),
            ImageFailureKind.RATE_LIMIT: _quoting_the_key(Failure.rate_limited()),
            ImageFailureKind.PROVIDER: _quoting_the_key(Failure.server_error()),
            ImageFailureKind.CONNECTION: Drop(),
            ImageFailureKind.TIMEOUT: Delay(TIMEOUT_SECONDS + 2, ImageB64()),
            ImageFailureKind.BAD_REQUEST: _quoting_the_key(
                Failure.bad_request("Invalid value for 'size'.", param="size")
            ),
            ImageFailureKind.DOWNLOAD: ImageUrl(url_status=404),
        }
        self.server.script_images(steps[kind])

    def prompts(self) -> list[str]:
        return [str(request.body["prompt"]) for request in self.server.image_requests()]


@pytest.fixture(params=["fake", "openai-b64", "openai-url"])
async def driver(request: pytest.FixtureRequest) -> AsyncIterator[Driver]:
    if request.param == "fake":
        yield FakeDriver(FakeImageGenerator())
        return
    server: OpenAIStandIn = request.getfixturevalue("openai_standin")
    with_urls = request.param == "openai-url"
    settings = ImageSettings(
        model="dall-e-3" if with_urls else "gpt-image-2.5-flare",
        api_key=KEY,
        api_base=server.base_url,
        timeout_seconds=TIMEOUT_SECONDS,
    )
    generator = OpenAIImageGenerator(settings)
    try:
        yield OpenAIDriver(generator, server, with_urls)
    finally:
        # While the loop still runs: httpx cannot close its connections after it is gone.
        await generator.aclose()


def assert_well_formed(image: GeneratedImage, generator: ImageGenerator) -> None:
    assert image.data
    assert image.model == generator.model
    assert image.size.strip()
    assert image.quality.strip()
    assert image.source in ("b64_json", "url")
    assert image.media_type.startswith("image/")


async def test_the_model_is_named(driver: Driver) -> None:
    assert driver.generator.model.strip() == driver.generator.model != ""


async def test_a_picture_comes_back_byte_for_byte(driver: Driver) -> None:
    driver.will_draw(PICTURE)
    image = await driver.generator.generate("A bear on a bicycle")
    assert image.data == PICTURE
    assert image.media_type == "image/png"
    assert_well_formed(image, driver.generator)


async def test_an_unscripted_call_still_draws_a_picture(driver: Driver) -> None:
    image = await driver.generator.generate("Anything at all")
    assert_well_formed(image, driver.generator)


async def test_the_revised_prompt_is_passed_on(driver: Driver) -> None:
    driver.will_draw(PICTURE, revised_prompt="A brown bear riding a red bicycle")
    image = await driver.generator.generate("A bear on a bicycle")
    assert image.revised_prompt == "A brown bear riding a red bicycle"


async def test_prompts_are_sent_verbatim(driver: Driver) -> None:
    prompts = ["Grüße aus Zürich 🐻🍯 — ça va?", "Line one.\nLine two.", "  padded  "]
    for prompt in prompts:
        await driver.generator.generate(prompt)
    assert driver.prompts() == prompts


@pytest.mark.parametrize("kind", FAILURE_KINDS, ids=[k.value for k in FAILURE_KINDS])
async def test_each_failure_is_a_classified_image_generation_error(
    driver: Driver, kind: ImageFailureKind
) -> None:
    driver.will_fail(kind)
    with pytest.raises(ImageGenerationError) as raised:
        await driver.generator.generate("A bear")
    error = raised.value
    assert error.kind is kind
    assert error.detail.strip()
    assert KEY not in error.detail
    assert KEY not in str(error)
    assert error.attempts >= 1


async def test_one_instance_serves_call_after_call_even_after_a_failure(driver: Driver) -> None:
    first, third = tiny_png((1, 1, 1, 255)), tiny_png((3, 3, 3, 255))
    driver.will_draw(first)
    driver.will_fail(ImageFailureKind.PROVIDER)
    driver.will_draw(third)
    one = await driver.generator.generate("one")
    with pytest.raises(ImageGenerationError) as raised:
        await driver.generator.generate("two")
    three = await driver.generator.generate("three")
    assert (one.data, raised.value.kind, three.data) == (first, ImageFailureKind.PROVIDER, third)
