"""Fakes of the picture ports other than the generator: where pictures are kept and shown."""

from __future__ import annotations

import attrs

from lukas.application.ports.images import GeneratedImage, ImageFailureKind, ImageGenerationError


class FakeImageFiles:
    def __init__(self) -> None:
        self.kept: dict[str, bytes] = {}

    async def keep(self, name: str, image: GeneratedImage) -> str:
        self.kept[name] = image.data
        return f"/pictures/{name}.png"


@attrs.define
class FakeImagePoster:
    posted: list[tuple[str, str, bytes]] = attrs.field(factory=list)
    refuse: bool = False

    async def post_image(self, channel: str, image: GeneratedImage, caption: str, name: str) -> str:
        if self.refuse:
            raise ImageGenerationError(ImageFailureKind.POSTING, "files_upload_v2: not_in_channel")
        self.posted.append((channel, caption, image.data))
        return f"F{len(self.posted):04d}"
