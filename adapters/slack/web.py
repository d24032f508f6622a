"""Replies, pictures, reactions, DMs and names through Slack's Web API (AsyncWebClient).

Implements the ChatChannel, PeopleLookup and ImagePoster ports. Slack's own errors end
here: a reply Slack refuses is a DeliveryError, so it stays undelivered in the log and
recovery retries it; a refused picture is an ImageGenerationError of kind POSTING.
"""

from __future__ import annotations

import logging
import mimetypes
import time
from collections.abc import Awaitable, Callable

import aiohttp
import anyio
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.web.async_client import AsyncWebClient

from lukas.adapters.slack.text import split_message, to_mrkdwn
from lukas.application.ports.chat_channel import DeliveryError
from lukas.application.ports.images import (
    GeneratedImage,
    ImageFailureKind,
    ImageGenerationError,
)
from lukas.domain.conversation_key import ConversationKey

log = logging.getLogger(__name__)

THINKING_REACTION = "hourglass_flowing_sand"
_NETWORK_ERRORS = (aiohttp.ClientError, TimeoutError, OSError)
# Slack shows a file by its name's extension; these are what image models hand back.
_IMAGE_EXTENSIONS = {"image/png": ".png", "image/jpeg": ".jpg", "image/webp": ".webp"}


def slack_target(conversation: ConversationKey) -> tuple[str, str | None]:
    """The channel to post in and the thread to post under, for a Slack conversation."""
    kind, _, rest = conversation.value.partition(":")
    if kind == "slack-dm":
        return rest.split(":")[0], None
    if kind == "slack-thread":
        channel, _, thread_ts = rest.partition(":")
        return channel, thread_ts
    raise DeliveryError(f"{conversation} is not a Slack conversation")


class SlackWeb:
    def __init__(
        self,
        client: AsyncWebClient,
        *,
        min_interval: float = 1.0,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = anyio.sleep,
    ) -> None:
        self._client = client
        # Slack allows about one message per second per channel.
        self._min_interval = min_interval
        self._monotonic = monotonic
        self._sleep = sleep
        self._last_post: dict[str, float] = {}
        # One lock per channel: a wait for one channel must not hold up the others.
        self._pacing: dict[str, anyio.Lock] = {}

    async def send_reply(self, conversation: ConversationKey, in_reply_to: str, text: str) -> str:
        channel, thread_ts = slack_target(conversation)
        first_ts: str | None = None
        for piece in split_message(to_mrkdwn(text)):
            await self._pace(channel)
            try:
                response = await self._client.chat_postMessage(
                    channel=channel, text=piece, thread_ts=thread_ts, unfurl_links=False
                )
            except SlackApiError as error:
                raise DeliveryError(f"chat.postMessage: {_error_code(error)}") from None
            except _NETWORK_ERRORS as error:
                raise DeliveryError(f"chat.postMessage: {type(error).__name__}") from None
            first_ts = first_ts or str(response.get("ts"))
        return f"{channel}/{first_ts}"

    async def show_thinking(self, conversation: ConversationKey, in_reply_to: str) -> None:
        await self._react("reactions_add", conversation, in_reply_to)

    async def stop_thinking(self, conversation: ConversationKey, in_reply_to: str) -> None:
        await self._react("reactions_remove", conversation, in_reply_to)

    async def alert_admins(self, admins: tuple[str, ...], text: str) -> None:
        if not admins:
            log.warning("no admins configured (LUKAS_ADMIN_USERS) to tell: %s", text)
            return
        for admin in admins:
            try:
                opened = await self._client.conversations_open(users=admin)
                channel = opened["channel"]["id"]
                await self._pace(channel)
                await self._client.chat_postMessage(channel=channel, text=to_mrkdwn(text))
            except SlackApiError as error:
                raise DeliveryError(f"alert to {admin}: {_error_code(error)}") from None
            except _NETWORK_ERRORS as error:
                raise DeliveryError(f"alert to {admin}: {type(error).__name__}") from None

    async def display_name(self, person_id: str) -> str | None:
        try:
            response = await self._client.users_info(user=person_id)
        except (SlackApiError, *_NETWORK_ERRORS) as error:
            log.warning("users.info for %s failed: %s", person_id, type(error).__name__)
            return None
        user = response.get("user") or {}
        profile = user.get("profile") or {}
        for name in (profile.get("display_name"), profile.get("real_name"), user.get("real_name")):
            if isinstance(name, str) and name.strip():
                return name.strip()
        name = user.get("name")
        return name if isinstance(name, str) and name else None

    async def post_image(self, channel: str, image: GeneratedImage, caption: str, name: str) -> str:
        """Shares the picture into `channel` with the caption as its message; returns the
        file id. Implements the ImagePoster port, so failures are ImageGenerationError."""
        # files_upload_v2 takes three calls (an upload URL, the bytes, the share), but only
        # the last one posts into the channel, so it is paced like one message.
        await self._pace(channel)
        try:
            response = await self._client.files_upload_v2(
                channel=channel,
                content=image.data,
                filename=f"{name}{_extension(image.media_type)}",
                title=name,
                initial_comment=to_mrkdwn(caption),
            )
        except SlackApiError as error:
            raise _posting_error(_error_code(error)) from None
        except SlackRequestError:
            # Raised when the upload URL answers other than 200; its message quotes the
            # server's body, which is no detail to keep.
            raise _posting_error("upload_rejected") from None
        except _NETWORK_ERRORS as error:
            raise _posting_error(type(error).__name__) from None
        file_id = (response.get("file") or {}).get("id")
        if not isinstance(file_id, str) or not file_id:
            raise _posting_error("no_file_id")
        return file_id

    async def _react(self, method: str, conversation: ConversationKey, ts: str) -> None:
        channel, _ = slack_target(conversation)
        try:
            await getattr(self._client, method)(
                channel=channel, timestamp=ts, name=THINKING_REACTION
            )
        except (SlackApiError, *_NETWORK_ERRORS) as error:
            # A missing reaction is cosmetic; the reply matters.
            log.info("%s on %s failed: %s", method, channel, _describe(error))

    async def _pace(self, channel: str) -> None:
        async with self._pacing.setdefault(channel, anyio.Lock()):
            wait = self._last_post.get(channel, -1e9) + self._min_interval - self._monotonic()
            if wait > 0:
                await self._sleep(wait)
            self._last_post[channel] = self._monotonic()


def _error_code(error: SlackApiError) -> str:
    return str(error.response.get("error", "unknown_error"))


def _extension(media_type: str) -> str:
    base = media_type.partition(";")[0].strip().lower()
    # An unknown type gets no extension rather than one that would mislabel the file.
    return _IMAGE_EXTENSIONS.get(base) or mimetypes.guess_extension(base) or ""


def _posting_error(code: str) -> ImageGenerationError:
    return ImageGenerationError(ImageFailureKind.POSTING, f"files_upload_v2: {code}")


def _describe(error: BaseException) -> str:
    return _error_code(error) if isinstance(error, SlackApiError) else type(error).__name__
