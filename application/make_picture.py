"""Draw a bear picture, keep it, caption it and post it; every step an event.

A scheduled picture's events go in the stream of its period, created with the expected
version "no stream": a second process (or a restart) asking for the same period loses
cleanly, so there is one picture per period.
"""

from __future__ import annotations

import datetime as dt
import logging

import attrs

from lukas.application.admin_alerts import AdminAlerts
from lukas.application.identity import derive_event_id
from lukas.application.picture_caption import Captioner
from lukas.application.ports.clock import Clock
from lukas.application.ports.event_store import (
    NO_STREAM,
    ConcurrencyError,
    EventMetadata,
    EventStore,
    NewEvent,
)
from lukas.application.ports.images import (
    ImageFailureKind,
    ImageFiles,
    ImageGenerationError,
    ImageGenerator,
    ImagePoster,
)
from lukas.domain.events import (
    DomainEvent,
    ImageFailed,
    ImageGenerated,
    ImagePosted,
    ImageRequested,
)
from lukas.domain.failures import FailureKind
from lukas.domain.images import (
    Hemisphere,
    Period,
    PromptRejectedError,
    image_cost,
    image_prompt,
    occasion_for,
    season_for,
    validate_prompt,
)

log = logging.getLogger(__name__)


@attrs.frozen
class PictureRequest:
    trigger: str  # "schedule" or "request"
    theme: str | None = None
    occasion: str | None = None
    requester: str | None = None
    post_to: str | None = None
    period: Period | None = None
    # The message that asked, so carrying the request out again draws nothing new.
    request_id: str | None = None


@attrs.frozen
class PictureOutcome:
    stream: str
    file: str | None = None
    posted_as: str | None = None
    caption: str | None = None
    failure: str | None = None
    skipped: bool = False  # the period already has its picture (or another process is on it)


class PictureMaker:
    def __init__(
        self,
        *,
        store: EventStore,
        generator: ImageGenerator,
        files: ImageFiles,
        poster: ImagePoster | None,
        captioner: Captioner,
        clock: Clock,
        timezone: dt.tzinfo = dt.UTC,
        hemisphere: Hemisphere = Hemisphere.NORTH,
        price_override: float | None = None,
        alerts: AdminAlerts | None = None,
        instance_id: str | None = None,
    ) -> None:
        self._store = store
        self._generator = generator
        self._files = files
        self._poster = poster
        self._captioner = captioner
        self._clock = clock
        self._timezone = timezone
        self._hemisphere = hemisphere
        self._price_override = price_override
        self._alerts = alerts
        self._instance_id = instance_id

    async def make(self, request: PictureRequest) -> PictureOutcome:
        now = self._clock.now()
        today = now.astimezone(self._timezone).date()
        theme = request.theme or season_for(today, self._hemisphere)
        occasion = request.occasion or occasion_for(today)
        prompt = image_prompt(theme, occasion)
        if request.period:
            stream = f"image-period:{request.period}"
        elif request.request_id:
            stream = f"image-request:{request.request_id}"
        else:
            stream = f"image-request:{now:%Y%m%dT%H%M%S.%f}-{request.requester or 'cli'}"
        writer = _StreamWriter(self._store, stream, self._instance_id)
        asked = ImageRequested(
            prompt=prompt,
            theme=theme,
            occasion=occasion,
            trigger=request.trigger,
            requester=request.requester,
            period=str(request.period) if request.period else None,
        )
        try:
            validate_prompt(prompt)
        except PromptRejectedError as error:
            failed = _failed(ImageFailureKind.PROMPT_REJECTED, str(error), 0)
            if not await writer.start(asked, failed):
                return PictureOutcome(stream, skipped=True)
            return PictureOutcome(stream, failure=failed.kind)
        if not await writer.start(asked):
            return PictureOutcome(stream, skipped=True)
        return await self._draw(writer, request, prompt, theme, occasion)

    async def _draw(
        self,
        writer: _StreamWriter,
        request: PictureRequest,
        prompt: str,
        theme: str | None,
        occasion: str | None,
    ) -> PictureOutcome:
        try:
            image = await self._generator.generate(prompt)
        except ImageGenerationError as error:
            log.warning("no picture from %s: %s", self._generator.model, error)
            await writer.add(_failed(error.kind, error.detail, error.attempts))
            if error.kind is ImageFailureKind.AUTHENTICATION and self._alerts is not None:
                await self._alerts.alert(
                    FailureKind.AUTHENTICATION,
                    f"Lukas cannot authenticate with the image model {self._generator.model}."
                    " Check the image API key (OPENAI_API_KEY, LUKAS_IMAGE_API_BASE).",
                    writer.stream,
                )
            return PictureOutcome(writer.stream, failure=error.kind.value)
        name = writer.stream.replace(":", "-")
        kept = await self._files.keep(name, image)
        caption = await self._captioner.caption(theme, occasion)
        await writer.add(
            ImageGenerated(
                model=image.model,
                size=image.size,
                quality=image.quality,
                revised_prompt=image.revised_prompt,
                source=image.source,
                file=kept,
                cost_usd=image_cost(image.model, image.quality, self._price_override),
                caption=caption,
            )
        )
        if request.post_to is None or self._poster is None:
            return PictureOutcome(writer.stream, file=kept, caption=caption)
        try:
            reference = await self._poster.post_image(request.post_to, image, caption, name)
        except ImageGenerationError as error:
            log.warning("the picture could not be posted: %s", error)
            await writer.add(_failed(error.kind, error.detail, 1))
            return PictureOutcome(
                writer.stream, file=kept, caption=caption, failure=error.kind.value
            )
        await writer.add(ImagePosted(channel=request.post_to, reference=reference))
        return PictureOutcome(writer.stream, file=kept, posted_as=reference, caption=caption)


def _failed(kind: ImageFailureKind, message: str, attempts: int) -> ImageFailed:
    error = ImageGenerationError(kind, message, attempts)
    return ImageFailed(
        kind=kind.value,
        message=message,
        attempts=attempts,
        retry_later_could_help=error.retry_later_could_help,
    )


class _StreamWriter:
    """Appends a picture's events to its own stream, in order."""

    def __init__(self, store: EventStore, stream: str, instance_id: str | None) -> None:
        self._store = store
        self.stream = stream
        self._instance_id = instance_id
        self._version = NO_STREAM

    async def start(self, *events: DomainEvent) -> bool:
        """Create the stream; False when it already exists (the period is taken)."""
        try:
            await self._append(events)
        except ConcurrencyError:
            return False
        return True

    async def add(self, event: DomainEvent) -> None:
        await self._append((event,))

    async def _append(self, events: tuple[DomainEvent, ...]) -> None:
        new = [
            NewEvent(
                derive_event_id("image", self.stream, str(self._version + n)),
                event,
                EventMetadata(self.stream, None, self._instance_id),
            )
            for n, event in enumerate(events, 1)
        ]
        result = await self._store.append(self.stream, new, self._version)
        if result.was_duplicate:
            raise ConcurrencyError(self.stream, self._version, result.stream_version)
        self._version = result.stream_version
