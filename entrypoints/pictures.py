"""Wires the picture use case: the image model, where pictures are kept, where they go."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from lukas.adapters.filesystem.image_files import ImageDirectory
from lukas.application.admin_alerts import AdminAlerts
from lukas.application.make_picture import PictureMaker
from lukas.application.picture_caption import Captioner
from lukas.application.picture_schedule import ScheduleError, WeeklySchedule
from lukas.application.ports.chat_model import ChatModel
from lukas.application.ports.clock import Clock
from lukas.application.ports.event_store import EventStore
from lukas.application.ports.images import ImagePoster
from lukas.domain.images import Hemisphere
from lukas.entrypoints.config import Config, ConfigError
from lukas.entrypoints.log_setup import secret_values
from lukas.entrypoints.wiring import Chat


def timezone_of(config: Config) -> ZoneInfo:
    try:
        return ZoneInfo(config.timezone)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ConfigError(
            f"LUKAS_TIMEZONE={config.timezone!r} is not a time zone (e.g. Europe/Berlin)"
        ) from None


def weekly_schedule(config: Config) -> WeeklySchedule:
    try:
        return WeeklySchedule.parse(config.image.schedule, timezone_of(config))
    except ScheduleError as error:
        raise ConfigError(f"LUKAS_IMAGE_SCHEDULE: {error}") from None


def image_key(config: Config, environ: Mapping[str, str]) -> str:
    key = environ.get("OPENAI_API_KEY", "")
    if not key and config.image.api_base:
        return "unused"  # a self-hosted server that wants none; the SDK insists on one
    if not key:
        raise ConfigError("OPENAI_API_KEY is not set: pictures need the image provider's key")
    return key


@asynccontextmanager
async def picture_maker(
    config: Config,
    environ: Mapping[str, str],
    *,
    store: EventStore,
    db: Path,
    clock: Clock,
    poster: ImagePoster | None,
    chat_model: ChatModel | None,
    alerts: AdminAlerts | None,
    instance_id: str | None = None,
) -> AsyncIterator[PictureMaker]:
    from lukas.adapters.openai_images.generator import ImageSettings, OpenAIImageGenerator
    from lukas.adapters.openai_images.retrying import RetryingImageGenerator

    image = config.image
    generator = OpenAIImageGenerator(
        ImageSettings(
            model=image.model,
            api_key=image_key(config, environ),
            api_base=image.api_base,
            size=image.size,
            quality=image.quality,
        ),
        secrets=secret_values(environ),
    )
    try:
        yield PictureMaker(
            store=store,
            generator=RetryingImageGenerator(generator),
            files=ImageDirectory(db.with_name(db.name + ".pictures")),
            poster=poster,
            captioner=Captioner(chat_model),
            clock=clock,
            timezone=timezone_of(config),
            hemisphere=Hemisphere(image.hemisphere),
            price_override=image.price_usd,
            alerts=alerts,
            instance_id=instance_id,
        )
    finally:
        await generator.aclose()


def pictures_for_chat(
    config: Config,
    environ: Mapping[str, str],
    chat: Chat,
    db: Path,
    poster: ImagePoster | None,
) -> AbstractAsyncContextManager[PictureMaker]:
    """Pictures made alongside a running chat: its store, clock, model for captions, alerts."""
    return picture_maker(
        config,
        environ,
        store=chat.store,
        db=db,
        clock=chat.clock,
        poster=poster,
        chat_model=chat.model,
        alerts=chat.alerts,
        instance_id=chat.instances.me,
    )
