"""Draw a bear picture, keep it, caption it and post it; every step an event.

A picture's events go in a stream of its own: the week's for a scheduled one, the asking
message's for a requested one. The stream's decider (domain/picture_stream.py) asks for a
picture only while its stream is empty, so a second process (or a restart) asking for the
same week or carrying out the same request loses cleanly: one picture each. The image
model, the files and the posting are called here, between its decisions.
"""

from __future__ import annotations

import datetime as dt
import logging

import attrs

from lukas.application.admin_alerts import AdminAlerts
from lukas.application.picture_caption import Captioner
from lukas.application.ports.clock import Clock
from lukas.application.ports.event_store import EventMetadata, EventStore
from lukas.application.ports.images import (
    ImageFailureKind,
    ImageFiles,
    ImageGenerationError,
    ImageGenerator,
    ImagePoster,
)
from lukas.application.streams import Folded, decide_on_stream
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
    image_cost,
    image_prompt,
    occasion_for,
    season_for,
)
from lukas.domain.picture_stream import (
    PICTURES,
    AskForPicture,
    PictureCommand,
    RecordDrawing,
    RecordPosting,
    period_stream,
    request_stream,
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
            stream = period_stream(request.period)
        elif request.request_id:
            stream = request_stream(request.request_id)
        else:
            stream = request_stream(f"{now:%Y%m%dT%H%M%S.%f}-{request.requester or 'cli'}")
        picture = _Picture(self._store, stream, self._instance_id)
        asked = ImageRequested(
            prompt=prompt,
            theme=theme,
            occasion=occasion,
            trigger=request.trigger,
            requester=request.requester,
            period=str(request.period) if request.period else None,
        )
        decided = await picture.decide(AskForPicture(asked))
        if not decided:
            return PictureOutcome(stream, skipped=True)
        if isinstance(decided[-1], ImageFailed):  # refused by Lukas's own checks
            return PictureOutcome(stream, failure=decided[-1].kind)
        return await self._draw(picture, request, prompt, theme, occasion)

    async def _draw(
        self,
        picture: _Picture,
        request: PictureRequest,
        prompt: str,
        theme: str | None,
        occasion: str | None,
    ) -> PictureOutcome:
        try:
            image = await self._generator.generate(prompt)
        except ImageGenerationError as error:
            log.warning("no picture from %s: %s", self._generator.model, error)
            await picture.decide(RecordDrawing(_failed(error.kind, error.detail, error.attempts)))
            if error.kind is ImageFailureKind.AUTHENTICATION and self._alerts is not None:
                await self._alerts.alert(
                    FailureKind.AUTHENTICATION,
                    f"Lukas cannot authenticate with the image model {self._generator.model}."
                    " Check the image API key (OPENAI_API_KEY, LUKAS_IMAGE_API_BASE).",
                    picture.stream,
                )
            return PictureOutcome(picture.stream, failure=error.kind.value)
        name = picture.stream.replace(":", "-")
        kept = await self._files.keep(name, image)
        caption = await self._captioner.caption(theme, occasion)
        await picture.decide(
            RecordDrawing(
                ImageGenerated(
                    requester=request.requester,
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
        )
        if request.post_to is None or self._poster is None:
            return PictureOutcome(picture.stream, file=kept, caption=caption)
        try:
            reference = await self._poster.post_image(request.post_to, image, caption, name)
        except ImageGenerationError as error:
            log.warning("the picture could not be posted: %s", error)
            await picture.decide(RecordPosting(_failed(error.kind, error.detail, 1)))
            return PictureOutcome(
                picture.stream, file=kept, caption=caption, failure=error.kind.value
            )
        await picture.decide(
            RecordPosting(ImagePosted(channel=request.post_to, reference=reference))
        )
        return PictureOutcome(picture.stream, file=kept, posted_as=reference, caption=caption)


def _failed(kind: ImageFailureKind, message: str, attempts: int) -> ImageFailed:
    error = ImageGenerationError(kind, message, attempts)
    return ImageFailed(
        kind=kind.value,
        message=message,
        attempts=attempts,
        retry_later_could_help=error.retry_later_could_help,
    )


class _Picture:
    """One picture's stream while it is made: each step is decided on the state the steps
    before left, reading only what was appended since."""

    def __init__(self, store: EventStore, stream: str, instance_id: str | None) -> None:
        self._store = store
        self.stream = stream
        self._metadata = EventMetadata(stream, None, instance_id)
        self._folded = Folded(PICTURES.initial)

    async def decide(self, command: PictureCommand) -> tuple[DomainEvent, ...]:
        """What `command` appended; empty when the stream's stage did not allow it (the
        picture was asked for already)."""
        decided = await decide_on_stream(
            self._store, self.stream, PICTURES, command, self._metadata, folded=self._folded
        )
        return decided.events
