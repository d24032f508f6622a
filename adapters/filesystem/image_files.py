"""Pictures kept as files next to the event store, so a restart can still post them."""

from __future__ import annotations

import re
from pathlib import Path

import anyio

from lukas.application.ports.images import GeneratedImage

_EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp", "image/gif": "gif"}
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


class ImageDirectory:
    def __init__(self, directory: Path) -> None:
        self._directory = directory

    async def keep(self, name: str, image: GeneratedImage) -> str:
        extension = _EXTENSIONS.get(image.media_type, "png")
        path = self._directory / f"{_SAFE_NAME.sub('-', name).strip('-') or 'picture'}.{extension}"
        await anyio.Path(self._directory).mkdir(parents=True, exist_ok=True)
        # Written aside and renamed, so a crash never leaves half a picture under the name.
        partial = path.with_suffix(path.suffix + ".partial")
        await anyio.Path(partial).write_bytes(image.data)
        await anyio.Path(partial).rename(path)
        return str(path)
