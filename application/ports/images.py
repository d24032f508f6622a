"""Ports for pictures: a model that draws, and a place that shows the result."""

from __future__ import annotations

import enum
from typing import Protocol

import attrs

from lukas.domain.picture_stream import PROMPT_REJECTED as REJECTED_BY_LUKAS


class ImageFailureKind(enum.Enum):
    CONTENT_POLICY = "content_policy"  # the provider refused the prompt; never retried
    AUTHENTICATION = "authentication"
    RATE_LIMIT = "rate_limit"
    PROVIDER = "provider"  # 5xx, a malformed answer
    CONNECTION = "connection"
    TIMEOUT = "timeout"
    BAD_REQUEST = "bad_request"
    DOWNLOAD = "download"  # the URL answer could not be fetched
    # Lukas's own validation, decided with the picture's stream; no request was made.
    PROMPT_REJECTED = REJECTED_BY_LUKAS
    POSTING = "posting"  # drawn, but the platform did not take it


# Worth another attempt within the same call (the seed's table).
RETRYABLE_IMAGE_FAILURES = frozenset(
    {
        ImageFailureKind.RATE_LIMIT,
        ImageFailureKind.PROVIDER,
        ImageFailureKind.CONNECTION,
        ImageFailureKind.TIMEOUT,
    }
)


class ImageGenerationError(Exception):
    def __init__(self, kind: ImageFailureKind, detail: str, attempts: int = 1) -> None:
        super().__init__(f"{kind.value}: {detail}")
        self.kind = kind
        self.detail = detail  # never holds a secret: adapters redact before raising
        self.attempts = attempts

    @property
    def retry_later_could_help(self) -> bool:
        return self.kind in RETRYABLE_IMAGE_FAILURES or self.kind is ImageFailureKind.POSTING


@attrs.frozen
class GeneratedImage:
    data: bytes = attrs.field(repr=lambda d: f"<{len(d)} bytes>")
    model: str
    size: str
    quality: str
    revised_prompt: str | None
    source: str  # "b64_json" or "url": how the provider handed the picture over
    media_type: str = "image/png"


class ImageGenerator(Protocol):
    @property
    def model(self) -> str: ...

    async def generate(self, prompt: str) -> GeneratedImage:
        """Raises ImageGenerationError; never a provider SDK's own exception."""
        ...


class ImagePoster(Protocol):
    async def post_image(self, channel: str, image: GeneratedImage, caption: str, name: str) -> str:
        """Show the picture with its caption; return where it went (a file id, a path)."""
        ...


class ImageFiles(Protocol):
    async def keep(self, name: str, image: GeneratedImage) -> str:
        """Store the picture's bytes; return where, so a restart can still post it."""
        ...
