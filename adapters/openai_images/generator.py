"""The image generator port through the openai SDK: one client, created inside the event loop.

The SDK's own retries are off (`max_retries=0`): retrying is Lukas's policy (see retrying.py),
and a retry inside the SDK would hide attempts, and their cost, from it. Every failure leaves
as an ImageGenerationError with the key redacted and no provider exception chained to it.
"""

from __future__ import annotations

import base64
import binascii
import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import anyio
import attrs

from lukas.adapters.openai_images.model_profiles import request_parameters
from lukas.application.ports.images import GeneratedImage, ImageFailureKind, ImageGenerationError
from lukas.application.redaction import Redactor

if TYPE_CHECKING:
    import openai
    from openai.types import ImagesResponse

log = logging.getLogger(__name__)

# A little beyond the SDK's time-out, which bounds each read and not the whole answer.
_GUARD_SECONDS = 5.0
_FORMAT_MEDIA_TYPES = {
    "png": "image/png",
    "jpeg": "image/jpeg",
    "webp": "image/webp",
    "gif": "image/gif",
    "svg": "image/svg+xml",
}


@attrs.frozen
class ImageSettings:
    model: str = attrs.field(default="gpt-image-2.5-flare", validator=attrs.validators.min_len(1))
    # None: the SDK reads OPENAI_API_KEY, as it does everywhere else.
    api_key: str | None = attrs.field(default=None, repr=False)
    api_base: str | None = None  # None: OpenAI itself
    size: str = "1024x1024"
    quality: str | None = None  # None: the model family's default (model_profiles.py)
    # GPT image models take tens of seconds for one picture at higher qualities.
    timeout_seconds: float = attrs.field(default=120.0, validator=attrs.validators.gt(0))
    download_timeout_seconds: float = attrs.field(default=60.0, validator=attrs.validators.gt(0))


class OpenAIImageGenerator:
    def __init__(self, settings: ImageSettings, *, secrets: Iterable[str] = ()) -> None:
        """`secrets`: other credentials to keep out of error details (see the chat adapter)."""
        self._settings = settings
        self._client: openai.AsyncOpenAI | None = None
        self._secrets = tuple(secrets)
        self._redact = Redactor([*self._secrets, *([settings.api_key] if settings.api_key else [])])

    @property
    def model(self) -> str:
        return self._settings.model

    async def generate(self, prompt: str) -> GeneratedImage:
        settings = self._settings
        parameters = request_parameters(
            settings.model, prompt, size=settings.size, quality=settings.quality
        )
        try:
            client = self._client or self._create_client()
            with anyio.fail_after(settings.timeout_seconds + _GUARD_SECONDS):
                response = await client.images.generate(**parameters)
        except ImageGenerationError:
            raise
        except TimeoutError:
            detail = f"no answer within {settings.timeout_seconds:g} s"
            raise ImageGenerationError(ImageFailureKind.TIMEOUT, detail) from None
        # `from None`: the provider's exception may quote the key, and a chained cause would
        # carry it into any traceback that is ever printed. Exception, not OpenAIError: a 200
        # that is not JSON escapes the SDK as json.JSONDecodeError, and nothing of the SDK's
        # may cross the port.
        except Exception as error:
            from lukas.adapters.openai_images.errors import classify, describe

            raise ImageGenerationError(classify(error), describe(error, self._redact)) from None
        return await self._picture(response, parameters)

    async def aclose(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await client.close()

    def _create_client(self) -> openai.AsyncOpenAI:
        # The SDK is imported on the first picture, not with this module: it takes more than
        # a second, which start-up and `lukas image`'s early errors should not wait for.
        import openai

        settings = self._settings
        try:
            client = openai.AsyncOpenAI(
                api_key=settings.api_key,
                base_url=settings.api_base,
                max_retries=0,
                timeout=settings.timeout_seconds,
            )
        except openai.OpenAIError:
            detail = "no API key: set the image API key or OPENAI_API_KEY"
            raise ImageGenerationError(ImageFailureKind.AUTHENTICATION, detail) from None
        # The key may have come from the environment; keep it out of details all the same.
        self._redact = Redactor(
            [*self._secrets, *(k for k in (settings.api_key, client.api_key) if k)]
        )
        self._client = client
        return client

    async def _picture(
        self, response: ImagesResponse, parameters: dict[str, Any]
    ) -> GeneratedImage:
        # With the SDK's first use, not at start-up: it brings httpx.
        from lukas.adapters.openai_images.download import download, sniff_media_type

        if not response.data:
            raise _provider("the answer held no picture")
        image = response.data[0]  # n=1 was asked for
        if image.b64_json is not None:
            try:
                data = base64.b64decode(image.b64_json, validate=True)
            except (binascii.Error, ValueError):
                raise _provider("the picture's base64 did not decode") from None
            fallback = _FORMAT_MEDIA_TYPES.get(response.output_format or "png", "image/png")
            media_type, source = sniff_media_type(data) or fallback, "b64_json"
        elif image.url:
            try:
                seconds = self._settings.download_timeout_seconds
                data, media_type = await download(image.url, seconds=seconds)
            except ImageGenerationError as error:
                from lukas.adapters.openai_images.errors import shorten

                raise ImageGenerationError(
                    error.kind, shorten(self._redact(error.detail))
                ) from None
            source = "url"
        else:
            raise _provider("the answer's picture had neither b64_json nor url")
        if not data:
            raise _provider("the picture was empty")
        generated = GeneratedImage(
            data=data,
            model=self._settings.model,
            # What the provider says it drew wins over what was asked ("auto" among them).
            size=response.size or str(parameters["size"]),
            quality=response.quality or str(parameters.get("quality", "auto")),
            revised_prompt=image.revised_prompt,
            source=source,
            media_type=media_type,
        )
        log.info(
            "%s drew a %s picture (%s, %d bytes)", self.model, generated.size, source, len(data)
        )
        return generated


def _provider(detail: str) -> ImageGenerationError:
    return ImageGenerationError(ImageFailureKind.PROVIDER, detail)
