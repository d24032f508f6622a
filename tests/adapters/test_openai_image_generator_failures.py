"""The openai image adapter's failures: each classified, redacted, after one request.

Through the real openai SDK to the local OpenAI stand-in.
"""

from __future__ import annotations

import traceback
from collections.abc import AsyncIterator, Callable
from typing import Any

import anyio
import attrs
import pytest
from standins.openai_server import (
    Delay,
    Drop,
    Failure,
    ImageB64,
    ImageStep,
    ImageUrl,
    Malformed,
    OpenAIStandIn,
)

from lukas.adapters.openai_images.download import download
from lukas.adapters.openai_images.generator import ImageSettings, OpenAIImageGenerator
from lukas.application.ports.images import ImageFailureKind, ImageGenerationError

pytestmark = pytest.mark.anyio

KEY = "sk-test-images-0123456789abcdef"
PROMPT = "Lukas the bear flying a red kite over the Zürich lab 🐻"
TIMEOUT_SECONDS = 0.5

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


def quoting_the_key(failure: Failure) -> Failure:
    """The error with the caller's key in its message, as some providers quote it back."""
    assert isinstance(failure.body, dict)
    error = dict(failure.body["error"])
    error["message"] = f"{error['message']} (sent with key {KEY})"
    return attrs.evolve(failure, body={"error": error})


async def failing(generator: OpenAIImageGenerator) -> ImageGenerationError:
    with pytest.raises(ImageGenerationError) as raised:
        await generator.generate(PROMPT)
    return raised.value


@pytest.mark.parametrize("status", [403, 404, 500])
async def test_a_url_that_cannot_be_fetched_is_a_download_failure(
    openai_standin: OpenAIStandIn, make: Make, status: int
) -> None:
    openai_standin.script_images(ImageUrl(url_status=status))

    error = await failing(make(model="dall-e-3"))

    assert error.kind is ImageFailureKind.DOWNLOAD
    assert f"HTTP {status}" in error.detail
    assert not error.retry_later_could_help
    assert len(openai_standin.image_requests()) == len(openai_standin.file_requests()) == 1


async def test_download_failures_name_the_url_without_its_signature() -> None:
    with anyio.fail_after(5):
        with pytest.raises(ImageGenerationError) as refused:
            await download("http://127.0.0.1:9/img.png?sig=s3cr3t-signature", seconds=2)
        with pytest.raises(ImageGenerationError) as not_http:
            await download("ftp://example.test/img.png", seconds=2)

    assert refused.value.kind is not_http.value.kind is ImageFailureKind.DOWNLOAD
    assert "127.0.0.1:9/img.png" in refused.value.detail
    assert "s3cr3t" not in str(refused.value)


FAULTS: list[tuple[str, ImageStep, ImageFailureKind]] = [
    ("401", quoting_the_key(Failure.unauthorized()), ImageFailureKind.AUTHENTICATION),
    ("403", Failure(403, f"Key {KEY} may not draw"), ImageFailureKind.AUTHENTICATION),
    ("429", quoting_the_key(Failure.rate_limited(retry_after=2)), ImageFailureKind.RATE_LIMIT),
    (
        "429-quota",
        Failure(429, {"error": {"message": "Quota", "type": "x", "code": "insufficient_quota"}}),
        ImageFailureKind.AUTHENTICATION,
    ),
    (
        "400",
        quoting_the_key(Failure.bad_request("Invalid size '7x7'.", "size", "invalid_value")),
        ImageFailureKind.BAD_REQUEST,
    ),
    # The safety system's words with no refusal code: the code decides, not the message.
    (
        "400-words-only",
        Failure.bad_request("Rejected as a result of our safety system (not really)."),
        ImageFailureKind.BAD_REQUEST,
    ),
    ("404", Failure(404, "The model does not exist"), ImageFailureKind.BAD_REQUEST),
    ("422", Failure(422, "Unprocessable"), ImageFailureKind.BAD_REQUEST),
    ("500", quoting_the_key(Failure.server_error(500)), ImageFailureKind.PROVIDER),
    ("503", Failure.server_error(503), ImageFailureKind.PROVIDER),
    ("not-json", Malformed(), ImageFailureKind.PROVIDER),
    ("no-data", Malformed('{"created": 1, "data": []}'), ImageFailureKind.PROVIDER),
    ("no-picture", Malformed('{"created": 1, "data": [{}]}'), ImageFailureKind.PROVIDER),
    (
        "bad-base64",
        Malformed('{"created": 1, "data": [{"b64_json": "not base64!"}]}'),
        ImageFailureKind.PROVIDER,
    ),
    ("empty-b64", ImageB64(b""), ImageFailureKind.PROVIDER),
    ("drop", Drop(), ImageFailureKind.CONNECTION),
    ("slow", Delay(TIMEOUT_SECONDS + 2, ImageB64()), ImageFailureKind.TIMEOUT),
    *(
        (
            f"policy-{code}",
            quoting_the_key(Failure.content_policy(code, type_)),
            ImageFailureKind.CONTENT_POLICY,
        )
        for code in ("content_policy_violation", "moderation_blocked")
        for type_ in ("invalid_request_error", "image_generation_user_error")
    ),
]


@pytest.mark.parametrize(("step", "kind"), [f[1:] for f in FAULTS], ids=[f[0] for f in FAULTS])
async def test_each_fault_is_classified_after_exactly_one_request(
    openai_standin: OpenAIStandIn, make: Make, step: ImageStep, kind: ImageFailureKind
) -> None:
    openai_standin.script_images(step)

    error = await failing(make(timeout_seconds=TIMEOUT_SECONDS))

    assert error.kind is kind
    assert error.attempts == 1
    assert len(openai_standin.image_requests()) == 1  # the SDK's own retries are off
    assert error.detail.strip()
    assert KEY not in error.detail
    assert KEY not in str(error)
    # Raised `from None`: no provider exception, which may quote the key, rides along.
    assert error.__cause__ is None
    assert error.__context__ is None or error.__suppress_context__
    assert KEY not in "".join(traceback.format_exception(error))


async def test_a_server_that_is_not_there_is_a_connection_failure(make: Make) -> None:
    error = await failing(make(api_base="http://127.0.0.1:9/v1"))

    assert error.kind is ImageFailureKind.CONNECTION


async def test_no_key_anywhere_is_an_authentication_failure_without_a_request(
    openai_standin: OpenAIStandIn, make: Make, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)

    error = await failing(make(api_key=None))

    assert error.kind is ImageFailureKind.AUTHENTICATION
    assert openai_standin.requests == []


async def test_a_key_from_the_environment_is_redacted_too(
    openai_standin: OpenAIStandIn, make: Make, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "env-key-without-a-known-shape-42")
    openai_standin.script_images(
        Failure.bad_request("Key env-key-without-a-known-shape-42 is not allowed here")
    )

    error = await failing(make(api_key=None))

    assert error.kind is ImageFailureKind.BAD_REQUEST
    assert "env-key-without-a-known-shape-42" not in str(error)
    [request] = openai_standin.image_requests()
    assert request.headers["authorization"] == "Bearer env-key-without-a-known-shape-42"
