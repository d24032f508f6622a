"""The openai image adapter, through the real openai SDK to the local OpenAI stand-in: what
it sends each model family, and how it takes either kind of answer. Failures have a file of
their own (test_openai_image_generator_failures.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from standins.openai_server import (
    TINY_PNG,
    Failure,
    ImageB64,
    ImageUrl,
    OpenAIStandIn,
    tiny_png,
)

from lukas.adapters.openai_images.download import sniff_media_type
from lukas.adapters.openai_images.generator import ImageSettings, OpenAIImageGenerator
from lukas.application.ports.images import ImageFailureKind, ImageGenerationError

pytestmark = pytest.mark.anyio

KEY = "sk-test-images-0123456789abcdef"
PROMPT = "Lukas the bear flying a red kite over the Zürich lab 🐻"
BLUE_PNG = tiny_png((40, 80, 200, 255))

Make = Callable[..., OpenAIImageGenerator]


@pytest.fixture
async def make(openai_standin: OpenAIStandIn) -> AsyncIterator[Make]:
    """Builds generators against the stand-in; closes them inside the test's own loop."""
    made: list[OpenAIImageGenerator] = []

    def build(**overrides: Any) -> OpenAIImageGenerator:
        settings = {"api_key": KEY, "api_base": openai_standin.base_url, **overrides}
        made.append(OpenAIImageGenerator(ImageSettings(**settings)))
        return made[-1]

    yield build
    for generator in made:
        await generator.aclose()


async def failing(generator: OpenAIImageGenerator) -> ImageGenerationError:
    with pytest.raises(ImageGenerationError) as raised:
        await generator.generate(PROMPT)
    return raised.value


async def test_a_b64_answer_is_decoded_with_its_revised_prompt(
    openai_standin: OpenAIStandIn, make: Make
) -> None:
    openai_standin.script_images(ImageB64(BLUE_PNG, revised_prompt="A bear with a red kite"))

    image = await make().generate(PROMPT)

    assert image.data == BLUE_PNG
    assert (image.source, image.media_type) == ("b64_json", "image/png")
    assert image.revised_prompt == "A bear with a red kite"
    assert (image.model, image.size, image.quality) == (
        "gpt-image-2.5-flare",
        "1024x1024",
        "medium",
    )


@pytest.mark.parametrize(
    "model", ["gpt-image-2.5-flare", "gpt-image-2", "gpt-image-1-mini", "chatgpt-image-latest"]
)
async def test_gpt_image_models_get_medium_quality_and_no_legacy_parameters(
    openai_standin: OpenAIStandIn, make: Make, model: str
) -> None:
    await make(model=model).generate(PROMPT)

    [request] = openai_standin.image_requests()
    assert request.path == "/v1/images/generations"
    assert request.headers["authorization"] == f"Bearer {KEY}"
    assert request.body == {
        "model": model,
        "prompt": PROMPT,
        "n": 1,
        "size": "1024x1024",
        "quality": "medium",
    }


async def test_size_and_quality_from_the_settings_are_sent_and_reported(
    openai_standin: OpenAIStandIn, make: Make
) -> None:
    image = await make(size="1536x1024", quality="high").generate(PROMPT)

    [request] = openai_standin.image_requests()
    assert (request.body["size"], request.body["quality"]) == ("1536x1024", "high")
    assert (image.size, image.quality) == ("1536x1024", "high")


async def test_a_url_answer_is_downloaded_without_the_api_key(
    openai_standin: OpenAIStandIn, make: Make
) -> None:
    openai_standin.script_images(ImageUrl(BLUE_PNG, revised_prompt="A bear, revised"))

    image = await make(model="dall-e-3").generate(PROMPT)

    assert image.data == BLUE_PNG
    assert (image.source, image.media_type) == ("url", "image/png")
    assert image.revised_prompt == "A bear, revised"
    assert (image.model, image.size, image.quality) == ("dall-e-3", "1024x1024", "standard")
    [fetch] = openai_standin.file_requests()
    # The URL belongs to a storage service, not the API: the key must not travel there.
    assert "authorization" not in fetch.headers


@pytest.mark.parametrize(
    ("model", "quality", "sent"),
    [
        ("dall-e-3", None, {"quality": "standard"}),
        ("dall-e-3", "hd", {"quality": "hd"}),
        ("dall-e-2", None, {}),
        ("flux-schnell", None, {}),  # a compatible server's own model: only the basics
        ("flux-schnell", "high", {"quality": "high"}),
    ],
)
async def test_other_families_get_only_what_they_take(
    openai_standin: OpenAIStandIn,
    make: Make,
    *,
    model: str,
    quality: str | None,
    sent: dict[str, str],
) -> None:
    openai_standin.script_images(ImageUrl())

    image = await make(model=model, quality=quality).generate(PROMPT)

    [request] = openai_standin.image_requests()
    assert request.body == {"model": model, "prompt": PROMPT, "n": 1, "size": "1024x1024", **sent}
    assert image.quality == sent.get("quality", "auto")


async def test_a_compatible_model_may_answer_in_b64_too(
    openai_standin: OpenAIStandIn, make: Make
) -> None:
    openai_standin.script_images(ImageB64(BLUE_PNG))

    image = await make(model="flux-schnell").generate(PROMPT)

    assert (image.data, image.source) == (BLUE_PNG, "b64_json")


async def test_one_generator_serves_picture_after_picture_after_a_failure(
    openai_standin: OpenAIStandIn, make: Make
) -> None:
    openai_standin.script_images(ImageB64(), Failure.server_error(), ImageUrl(BLUE_PNG))
    generator = make()

    first = await generator.generate("one")
    failed = await failing(generator)
    third = await generator.generate("three")

    assert (first.data, failed.kind, third.data) == (TINY_PNG, ImageFailureKind.PROVIDER, BLUE_PNG)
    assert [r.body["prompt"] for r in openai_standin.image_requests()] == ["one", PROMPT, "three"]


async def test_closing_is_safe_before_use_and_twice(make: Make) -> None:
    generator = make()
    await generator.aclose()
    await generator.aclose()


def test_the_settings_never_show_the_key() -> None:
    settings = ImageSettings(api_key=KEY)
    assert KEY not in repr(settings)
    assert settings.model == "gpt-image-2.5-flare"
    assert (settings.size, settings.quality, settings.timeout_seconds) == ("1024x1024", None, 120)
    with pytest.raises(ValueError, match="timeout_seconds"):
        ImageSettings(timeout_seconds=0)


@pytest.mark.parametrize(
    ("data", "media_type"),
    [
        (TINY_PNG, "image/png"),
        (b"\xff\xd8\xff\xe0rest", "image/jpeg"),
        (b"GIF89a...", "image/gif"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "image/webp"),
        (b"<html>Not found</html>", None),
        (b"", None),
    ],
)
def test_sniffing_tells_picture_formats_apart(data: bytes, media_type: str | None) -> None:
    assert sniff_media_type(data) == media_type
