"""Pictures' configuration read for the wiring: time zone, schedule, the image model."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from lukas.application.ports.images import ImageGenerator
from lukas.entrypoints.config import Config, ConfigError
from lukas.entrypoints.log_setup import secret_values

if TYPE_CHECKING:
    from lukas.application.picture_schedule import WeeklySchedule


def timezone_of(config: Config) -> ZoneInfo:
    try:
        return ZoneInfo(config.timezone)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ConfigError(
            f"LUKAS_TIMEZONE={config.timezone!r} is not a time zone (e.g. Europe/Berlin)"
        ) from None


def weekly_schedule(config: Config) -> WeeklySchedule:
    # Here, not at the top: replay and export want only timezone_of from this module.
    from lukas.application.picture_schedule import ScheduleError, WeeklySchedule

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
async def open_image_generator(
    config: Config, environ: Mapping[str, str]
) -> AsyncIterator[ImageGenerator]:
    """The configured image model, with the seed's retries; closed when the block ends."""
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
        yield RetryingImageGenerator(generator)
    finally:
        await generator.aclose()
