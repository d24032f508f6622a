"""Replies, pictures, reactions, DMs, names, channels and the member list through Slack's
Web API.

Implements the ChatChannel, PeopleLookup, ImagePoster, RosterSource and DirectMessages
ports. Slack's own errors end here: a reply or DM Slack refuses is a DeliveryError, so it
stays undelivered in the log and recovery retries it; a refused picture is an
ImageGenerationError of kind POSTING; a member list Slack will not give is RosterUnavailable.
"""

from __future__ import annotations

import logging
import mimetypes
import re
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

import aiohttp
import anyio
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.web.async_client import AsyncWebClient

from lukas.adapters.slack.assistant import SlackAssistant, assistant_thread
from lukas.adapters.slack.pieces import split_message
from lukas.adapters.slack.streams import SlackStreams, feedback_block
from lukas.adapters.slack.text import escaped, without_mentions
from lukas.application.ports.announcements import ChannelNotFound, NotInChannel, PostedToChannel
from lukas.application.ports.chat_channel import DeliveryError, Rateable
from lukas.application.ports.direct_messages import SentDirect
from lukas.application.ports.images import (
    GeneratedImage,
    ImageFailureKind,
    ImageGenerationError,
)
from lukas.application.ports.roster import RosterUnavailable
from lukas.domain.conversation_key import ConversationKey
from lukas.domain.roster import Member

log = logging.getLogger(__name__)

THINKING_REACTION = "hourglass_flowing_sand"
_NETWORK_ERRORS = (aiohttp.ClientError, TimeoutError, OSError)
# Slack shows a file by its name's extension; these are what image models hand back.
_IMAGE_EXTENSIONS = {"image/png": ".png", "image/jpeg": ".jpg", "image/webp": ".webp"}
# Public channels are C..., private ones and old-style groups G..., DMs D...; Slack's channel
# names are lower case, so an upper-case token like this can only be an id.
_CHANNEL_ID = re.compile(r"[CGD](?=[A-Z0-9]*[0-9])[A-Z0-9]{2,}")
# The one name that means a role, not a name: the workspace's general channel may be renamed.
_GENERAL = "general"
# Slack message metadata marking Lukas's replies (message metadata is the app's own data).
_REPLY_EVENT = "lukas_reply"
# Slackbot's user id, the same in every workspace.
_SLACKBOT = "USLACKBOT"


def slack_target(conversation: ConversationKey) -> tuple[str, str | None]:
    """The channel to post in and the thread to post under, for a Slack conversation."""
    if (thread := conversation.thread) is not None:
        return thread
    kind, _, rest = conversation.value.partition(":")
    if kind == "slack-dm":
        return rest.split(":")[0], None
    raise DeliveryError(f"{conversation} is not a Slack conversation")


class SlackWeb:
    def __init__(
        self,
        client: AsyncWebClient,
        *,
        team_id: str | None = None,
        min_interval: float = 1.0,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = anyio.sleep,
    ) -> None:
        self._client = client
        self._streams = SlackStreams(client, team_id=team_id)
        self._assistant = SlackAssistant(client)
        # Slack allows about one message per second per channel.
        self._min_interval = min_interval
        self._monotonic = monotonic
        self._sleep = sleep
        self._last_post: dict[str, float] = {}
        # One lock per channel: a wait for one channel must not hold up the others.
        self._pacing: dict[str, anyio.Lock] = {}

    async def send_reply(
        self,
        conversation: ConversationKey,
        in_reply_to: str,
        text: str,
        *,
        feedback: Rateable | None = None,
    ) -> str:
        channel, thread_ts = slack_target(conversation)
        # Marked with what it answers, so that a reply posted just before a crash is found
        # by find_reply after the restart instead of being posted twice.
        metadata = _reply_metadata(in_reply_to)
        ts = await self._post(channel, thread_ts, text, metadata, feedback=feedback)
        return f"{channel}/{ts}"

    def streams_in(self, conversation: ConversationKey) -> bool:
        # chat.startStream needs a thread; a plain DM gets its reply whole.
        return conversation.thread is not None

    async def start_stream(
        self, conversation: ConversationKey, in_reply_to: str, *, recipient: str | None = None
    ) -> str:
        channel, thread_ts = slack_target(conversation)
        if thread_ts is None:
            raise DeliveryError(f"{conversation} has no thread to stream a reply into")
        await self._pace(channel)
        return await self._streams.start(channel, thread_ts, recipient)

    async def append_stream(self, conversation: ConversationKey, stream_id: str, text: str) -> None:
        await self._streams.append(stream_id, text)

    async def stop_stream(
        self,
        conversation: ConversationKey,
        stream_id: str,
        text: str,
        *,
        feedback: Rateable | None = None,
    ) -> None:
        # Unmarked, unlike a posted reply: recovery knows a streamed reply by its recorded
        # stream, and a stream closed as cut off must not be found as the answer.
        await self._streams.stop(stream_id, text, feedback=feedback)

    async def find_reply(self, conversation: ConversationKey, in_reply_to: str) -> str | None:
        channel, thread_ts = slack_target(conversation)
        try:
            if thread_ts is not None:
                pages = await self._client.conversations_replies(
                    channel=channel, ts=thread_ts, include_all_metadata=True, limit=200
                )
            else:  # a DM: the reply came after the message it answers
                pages = await self._client.conversations_history(
                    channel=channel, oldest=in_reply_to, include_all_metadata=True, limit=200
                )
            found: list[str] = []
            # slack-sdk follows the cursor; a thread or a DM's newest messages are few pages.
            async for page in pages:
                found.extend(_replies_to(page.get("messages"), in_reply_to))
        except (SlackApiError, *_NETWORK_ERRORS) as error:
            raise DeliveryError(
                f"could not look for an earlier reply: {_describe(error)}"
            ) from None
        return f"{channel}/{min(found, key=float)}" if found else None

    async def send_direct(self, person_id: str, text: str) -> SentDirect:
        """Posts `text` in the DM with `person_id`, in pieces if it is long, and returns the
        DM's channel with the first piece's ts. Implements the DirectMessages port.
        conversations.open hands back the DM already there, so asking each time is safe."""
        if not text.strip():
            # Slack's own answer to an empty post; checked first so no DM is opened for it.
            raise DeliveryError("chat.postMessage: no_text")
        try:
            opened = await self._client.conversations_open(users=person_id)
        except (SlackApiError, *_NETWORK_ERRORS) as error:
            raise DeliveryError(f"conversations.open: {_describe(error)}") from None
        channel = (opened.get("channel") or {}).get("id")
        if not isinstance(channel, str) or not channel:
            raise DeliveryError("conversations.open: no_channel")
        return SentDirect(channel=channel, message_id=await self._post(channel, None, text))

    async def post_to_channel(self, channel: str, text: str) -> PostedToChannel:
        """Posts `text` in a channel given by id or name ("general", "#random"); returns the
        channel's id and the first piece's ts. Implements the ChannelPoster port."""
        bare = channel.strip().removeprefix("#")
        channel_id: str | None = bare
        if not _CHANNEL_ID.fullmatch(bare):
            # A listing that fails says nothing about the channel: that is Slack being busy
            # (DeliveryError), not "no such channel".
            name = bare.lower()
            channel_id = (await self._find_channels({name}, 200, strict=True)).get(name)
        if channel_id is None:
            raise ChannelNotFound(f"no channel {channel!r} that Lukas can see")
        try:
            return PostedToChannel(channel_id, await self._post(channel_id, None, text))
        except _PostRefused as refused:
            if refused.code == "not_in_channel":
                raise NotInChannel(str(refused)) from None
            if refused.code in {"channel_not_found", "is_archived"}:
                raise ChannelNotFound(str(refused)) from None
            raise

    async def show_thinking(self, conversation: ConversationKey, in_reply_to: str) -> None:
        # In the assistant pane a status under the thread says it; elsewhere a reaction.
        if assistant_thread(conversation) is not None:
            await self._assistant.show_thinking(conversation)
            return
        await self._react("reactions_add", conversation, in_reply_to)

    async def stop_thinking(self, conversation: ConversationKey, in_reply_to: str) -> None:
        if assistant_thread(conversation) is not None:
            await self._assistant.stop_thinking(conversation)
            return
        await self._react("reactions_remove", conversation, in_reply_to)

    @property
    def assistant(self) -> SlackAssistant:
        """The assistant pane of the same workspace (the AssistantSurface port)."""
        return self._assistant

    async def alert_admins(self, admins: tuple[str, ...], text: str) -> None:
        if not admins:
            log.warning("no admins configured (LUKAS_ADMIN_USERS) to tell: %s", text)
            return
        for admin in admins:
            try:
                opened = await self._client.conversations_open(users=admin)
                channel = opened["channel"]["id"]
                for piece in split_message(without_mentions(text)):
                    await self._pace(channel)
                    await self._client.chat_postMessage(channel=channel, markdown_text=piece)
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
        user = response.get("user")
        return _display_name(user) if isinstance(user, Mapping) else None

    async def list_members(self, *, page_size: int = 200) -> list[Member]:
        """Everyone users.list shows, bots and deactivated members included, in Slack's
        order. Implements the RosterSource port: all pages or RosterUnavailable, because a
        list cut short would read as the missing members having left."""
        members: list[Member] = []
        skipped = 0
        cursor: str | None = None
        cursors_seen: set[str] = set()
        while True:
            try:
                response = await self._client.users_list(limit=page_size, cursor=cursor)
            except (SlackApiError, *_NETWORK_ERRORS) as error:
                raise RosterUnavailable(f"users.list: {_describe(error)}") from None
            page = response.get("members")
            if not isinstance(page, list):
                raise RosterUnavailable("users.list: no_members")
            for user in page:
                member = _member(user)
                if member is None:
                    skipped += 1
                else:
                    members.append(member)
            next_cursor = (response.get("response_metadata") or {}).get("next_cursor")
            if not isinstance(next_cursor, str) or not next_cursor:
                break
            # A cursor handed out twice would page forever through a Tier 2 method.
            if next_cursor in cursors_seen:
                raise RosterUnavailable("users.list: repeated_cursor")
            cursors_seen.add(next_cursor)
            cursor = next_cursor
        if skipped:
            log.warning("users.list: skipped %d entries with no member id", skipped)
        return members

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
                # A file's comment takes no markdown_text: the caption goes as plain text.
                initial_comment=escaped(caption),
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

    async def add_reaction(self, channel: str, ts: str, emoji: str) -> bool:
        """Puts `emoji` (with or without colons) on the message `ts` in `channel`. Returns
        whether Slack took it; a refusal or a network error is logged, never raised."""
        try:
            # Slack wants the bare name; ":bear:" as people type it would be invalid_name.
            await self._client.reactions_add(channel=channel, timestamp=ts, name=emoji.strip(":"))
        except (SlackApiError, *_NETWORK_ERRORS) as error:
            # A reaction is decoration: already_reacted or a deleted message is no failure
            # worth more than a note.
            log.info("reactions.add %s on %s/%s failed: %s", emoji, channel, ts, _describe(error))
            return False
        return True

    async def resolve_channels(
        self, names_or_ids: Sequence[str], *, page_size: int = 200
    ) -> dict[str, str]:
        """Maps each entry, as given, to a channel id. Ids map to themselves with no call;
        "name" or "#name" is found by listing the channels, once, and "general" means the
        workspace's general channel whatever it is called now. Names not found (or not
        looked up because the listing failed) are absent and logged as a WARNING."""
        ids: dict[str, str] = {}  # entry -> id, for entries that are ids already
        names: dict[str, str] = {}  # entry -> the lower-case name to look for
        for entry in names_or_ids:
            bare = entry.strip().removeprefix("#")
            if _CHANNEL_ID.fullmatch(bare):
                ids[entry] = bare
            elif bare:
                names[entry] = bare.lower()
        found = await self._find_channels(set(names.values()), page_size) if names else {}
        missing = [entry for entry, name in names.items() if name not in found]
        if missing:
            log.warning("Slack channels not found: %s", ", ".join(missing))
        # In the order given, so a caller's list reads the same in the result.
        return {
            entry: ids[entry] if entry in ids else found[names[entry]]
            for entry in names_or_ids
            if entry in ids or names.get(entry) in found
        }

    async def _find_channels(
        self, names: set[str], page_size: int, *, strict: bool = False
    ) -> dict[str, str]:
        """Pages through conversations.list until every name is found or the list ends.
        `strict`: a failed listing is a DeliveryError, not names reported missing."""
        found: dict[str, str] = {}
        cursor: str | None = None
        while True:
            try:
                response = await self._client.conversations_list(
                    types="public_channel,private_channel",
                    exclude_archived=True,
                    limit=page_size,
                    cursor=cursor,
                )
            except (SlackApiError, *_NETWORK_ERRORS) as error:
                if strict:
                    raise DeliveryError(f"conversations.list: {_describe(error)}") from None
                # What was found so far is still right; the rest is reported as missing.
                log.warning("conversations.list failed: %s", _describe(error))
                return found
            for channel in response.get("channels") or []:
                channel_id, name = channel.get("id"), str(channel.get("name") or "").lower()
                if not isinstance(channel_id, str):
                    continue
                if channel.get("is_general") and _GENERAL in names:
                    found[_GENERAL] = channel_id
                # A channel now named "general" that is not the general one must not win.
                if name in names and name != _GENERAL:
                    found.setdefault(name, channel_id)
            cursor = (response.get("response_metadata") or {}).get("next_cursor") or None
            # Stopping early saves calls: conversations.list is rate limited (Tier 2).
            if not cursor or names <= found.keys():
                return found

    async def _post(
        self,
        channel: str,
        thread_ts: str | None,
        text: str,
        metadata: Mapping[str, Any] | None = None,
        *,
        feedback: Rateable | None = None,
    ) -> str:
        """Posts the Markdown `text` for Slack to render, in pieces of a readable length;
        returns the first piece's ts. `feedback`: the buttons go under the last piece."""
        first_ts: str | None = None
        pieces = split_message(without_mentions(text))
        for number, piece in enumerate(pieces, start=1):
            await self._pace(channel)
            # markdown_text alone: Slack refuses it alongside text or blocks. With the
            # buttons the Markdown goes in a markdown block, and `text` is what a
            # notification shows.
            content: dict[str, Any] = {"markdown_text": piece}
            if feedback is not None and number == len(pieces):
                blocks = [{"type": "markdown", "text": piece}, feedback_block(feedback)]
                content = {"text": piece, "blocks": blocks}
            try:
                response = await self._client.chat_postMessage(
                    channel=channel,
                    thread_ts=thread_ts,
                    unfurl_links=False,
                    metadata=dict(metadata) if metadata else None,
                    **content,
                )
            except (SlackApiError, *_NETWORK_ERRORS) as error:
                raise _PostRefused(_describe(error)) from None
            first_ts = first_ts or str(response.get("ts"))
        return str(first_ts)

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


def _reply_metadata(in_reply_to: str) -> dict[str, Any]:
    return {"event_type": _REPLY_EVENT, "event_payload": {"in_reply_to": in_reply_to}}


def _replies_to(messages: object, in_reply_to: str) -> list[str]:
    """The ts of each message in a page that Lukas marked as his reply to `in_reply_to`."""
    found: list[str] = []
    for message in messages if isinstance(messages, list) else []:
        metadata = message.get("metadata") if isinstance(message, dict) else None
        if not isinstance(metadata, dict) or metadata.get("event_type") != _REPLY_EVENT:
            continue
        payload = metadata.get("event_payload")
        if isinstance(payload, dict) and payload.get("in_reply_to") == in_reply_to:
            found.append(str(message.get("ts")))
    return found


def _member(user: object) -> Member | None:
    """A users.list entry as a Member; None for an entry with no id to know it by."""
    if not isinstance(user, Mapping):
        return None
    member_id = user.get("id")
    if not isinstance(member_id, str) or not member_id:
        return None
    profile = _profile(user)
    tz = user.get("tz")
    return Member(
        member_id=member_id,
        name=_display_name(user) or member_id,
        real_name=_first_text(profile.get("real_name"), user.get("real_name"), user.get("name"))
        or member_id,
        # Slack lists Slackbot with is_bot false, as it is part of Slack rather than an app,
        # but no person reads its DMs: Lukas must never check in with it.
        is_bot=user.get("is_bot") is True
        or user.get("is_app_user") is True
        or member_id == _SLACKBOT,
        deleted=user.get("deleted") is True,
        timezone=tz if isinstance(tz, str) and tz else None,
    )


def _display_name(user: Mapping[str, Any]) -> str | None:
    """What people see: the display name, else the real name, else the handle."""
    profile = _profile(user)
    return _first_text(
        profile.get("display_name"),
        profile.get("real_name"),
        user.get("real_name"),
        user.get("name"),
    )


def _profile(user: Mapping[str, Any]) -> Mapping[str, Any]:
    profile = user.get("profile")
    return profile if isinstance(profile, Mapping) else {}


def _first_text(*values: object) -> str | None:
    for value in values:
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


class _PostRefused(DeliveryError):
    """chat.postMessage refused, with Slack's error code for callers that tell them apart."""

    def __init__(self, code: str) -> None:
        super().__init__(f"chat.postMessage: {code}")
        self.code = code


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
