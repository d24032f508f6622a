"""Fetching a picture a provider answered with a URL, and telling what kind of picture it is.

The URL is fetched with a client of its own that sends no API key: it points at a storage
service, not at the API, and is signed for about an hour by its query string. That signature
is a credential of sorts too, so failure details name the URL without its query.
"""

from __future__ import annotations

import anyio
import httpx

from lukas.application.ports.images import ImageFailureKind, ImageGenerationError

# Far above any picture the API draws (a few MB); stops a wrong URL from filling memory.
MAX_IMAGE_BYTES = 50 * 1024 * 1024

_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)


def sniff_media_type(data: bytes) -> str | None:
    """The picture format `data` starts with, or None when it is none Lukas knows."""
    for signature, media_type in _SIGNATURES:
        if data.startswith(signature):
            return media_type
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


async def download(url: str, *, seconds: float) -> tuple[bytes, str]:
    """The picture at `url` and its media type; ImageGenerationError(DOWNLOAD) otherwise."""
    try:
        where = str(httpx.URL(url).copy_with(query=None, fragment=None))
    except (httpx.InvalidURL, TypeError):
        raise _failed("the answer's URL is not a URL") from None
    if not where.startswith(("http://", "https://")):
        raise _failed(f"the answer's URL is not http(s): {where[:60]}")
    try:
        # One deadline for the whole fetch; httpx's time-out only bounds each read.
        with anyio.fail_after(seconds):
            data, content_type = await _fetch(url, seconds, where)
    except TimeoutError:
        raise _failed(f"no picture from {where} within {seconds:g} s") from None
    except httpx.HTTPError as error:
        raise _failed(f"{type(error).__name__} fetching {where}") from None
    declared = content_type.partition(";")[0].strip().lower()
    media_type = declared if declared.startswith("image/") else sniff_media_type(data)
    if not data or media_type is None:
        shown = declared or "no content type"
        raise _failed(f"{where} did not hold a picture ({len(data)} bytes, {shown})")
    return data, media_type


async def _fetch(url: str, seconds: float, where: str) -> tuple[bytes, str]:
    async with (
        httpx.AsyncClient(timeout=seconds, follow_redirects=True) as client,
        client.stream("GET", url) as response,
    ):
        if response.status_code != 200:
            # Usually an expired URL (they last about an hour) or a storage hiccup.
            raise _failed(f"HTTP {response.status_code} fetching {where}")
        chunks: list[bytes] = []
        received = 0
        async for chunk in response.aiter_bytes():
            received += len(chunk)
            if received > MAX_IMAGE_BYTES:
                raise _failed(f"{where} is larger than {MAX_IMAGE_BYTES} bytes")
            chunks.append(chunk)
        return b"".join(chunks), response.headers.get("content-type", "")


def _failed(detail: str) -> ImageGenerationError:
    return ImageGenerationError(ImageFailureKind.DOWNLOAD, detail)
