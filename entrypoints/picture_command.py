"""`lukas image`: draw a bear picture now, keep it, and optionally post it to Slack."""

from __future__ import annotations

import getpass
import sys
from collections.abc import Mapping

from lukas.adapters.filesystem.image_files import ImageDirectory
from lukas.adapters.system_clock import SystemClock
from lukas.application.make_picture import PictureMaker, PictureRequest
from lukas.application.picture_caption import Captioner
from lukas.application.ports.images import ImagePoster
from lukas.domain.images import Hemisphere
from lukas.entrypoints.config import Config
from lukas.entrypoints.db_location import Location, beside
from lukas.entrypoints.pictures import image_key, open_image_generator, timezone_of
from lukas.entrypoints.wiring import choose_chat_model, open_store


async def make_picture_now(
    config: Config,
    db: Location,
    environ: Mapping[str, str],
    *,
    theme: str | None,
    occasion: str | None,
    post_to: str | None,
) -> int:
    # Before anything is opened or probed: without the image key there is nothing to do, and
    # saying so should take no longer than starting Python.
    image_key(config, environ)
    poster = _slack_poster(config, environ) if post_to else None
    clock = SystemClock()
    async with open_store(db, create=True) as store:
        choice = await choose_chat_model(config, environ)
        try:
            async with open_image_generator(config, environ) as generator:
                # No chat here, so no admin alerts: a failure is printed and recorded.
                maker = PictureMaker(
                    store=store,
                    generator=generator,
                    files=ImageDirectory(beside(db, ".pictures")),
                    poster=poster,
                    captioner=Captioner(choice.model),
                    clock=clock,
                    timezone=timezone_of(config),
                    hemisphere=Hemisphere(config.image.hemisphere),
                    price_override=config.image.price_usd,
                )
                outcome = await maker.make(
                    PictureRequest(
                        trigger="request",
                        theme=theme,
                        occasion=occasion,
                        requester=f"cli:{getpass.getuser()}",
                        post_to=post_to,
                    )
                )
        finally:
            aclose = getattr(choice.model, "aclose", None)
            if aclose is not None:
                await aclose()
    if outcome.file:
        print(f"{outcome.caption}\n(picture saved at {outcome.file})")
    if outcome.posted_as:
        print(f"posted to {post_to} as {outcome.posted_as}")
    if outcome.failure:
        print(f"lukas: no picture: {outcome.failure} (see `lukas replay`)", file=sys.stderr)
        return 1
    return 0


def _slack_poster(config: Config, environ: Mapping[str, str]) -> ImagePoster:
    from slack_sdk.web.async_client import AsyncWebClient

    from lukas.adapters.slack.web import SlackWeb
    from lukas.entrypoints.slack_bot import slack_bot_token

    client = AsyncWebClient(token=slack_bot_token(environ), base_url=config.slack_api_url)
    return SlackWeb(client)
