from __future__ import annotations

from lukas.application.ports.images import GeneratedImage, ImageGenerationError

# A valid one-pixel PNG, so whatever shows the picture (an upload, a file) gets a real one.
ONE_PIXEL_PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xe8\x8e\xd2\xfb\x0f\x00\x04\x9a\x02\x13\x928lU"
    b"\x00\x00\x00\x00IEND\xaeB`\x82"
)

Step = GeneratedImage | ImageGenerationError


class FakeImageGenerator:
    """Draws from a script of pictures and errors; then a one-pixel PNG. Records every prompt."""

    def __init__(self, *script: Step, model: str = "fake-image") -> None:
        self._script = list(script)
        self._model = model
        self.prompts: list[str] = []

    @property
    def model(self) -> str:
        return self._model

    def script(self, *steps: Step) -> None:
        self._script.extend(steps)

    def picture(
        self, data: bytes = ONE_PIXEL_PNG, revised_prompt: str | None = None
    ) -> GeneratedImage:
        """A picture as this fake's model would hand it over."""
        return GeneratedImage(
            data=data,
            model=self._model,
            size="1024x1024",
            quality="medium",
            revised_prompt=revised_prompt,
            source="b64_json",
        )

    async def generate(self, prompt: str) -> GeneratedImage:
        self.prompts.append(prompt)
        step = self._script.pop(0) if self._script else self.picture()
        if isinstance(step, ImageGenerationError):
            raise step
        return step
