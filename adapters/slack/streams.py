"""Replies written into Slack as the model writes them: chat.startStream, chat.appendStream
and chat.stopStream, with the feedback buttons under a model's reply.

Slack streams only into a thread (startStream needs a `thread_ts`): mentions, threads Lukas
follows, assistant threads. In a channel it also wants who the text is for, the asker and
their team. A stream's id here is `channel/ts`, like every reply's.
"""

from __future__ import annotations

from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from lukas.adapters.slack.text import without_mentions
from lukas.application.ports.chat_channel import DeliveryError, Rateable, StreamNotOpenError

# Names the feedback buttons in a click's payload; their values are read by `read_verdict`.
FEEDBACK_ACTION = "lukas_feedback"
GOOD, BAD = "good", "bad"
_SEPARATOR = "|"  # in neither a verdict, an event id nor a provider:model name
_NETWORK_ERRORS = (aiohttp.ClientError, TimeoutError, OSError)
# Slack's answers for a message that no longer takes text.
_NOT_STREAMING = frozenset({"message_not_in_streaming_state", "message_not_found"})


def feedback_block(reply: Rateable) -> dict[str, Any]:
    """The good and bad buttons, as a context_actions block (Slack's AI-app feedback). Each
    button's value says what it rates, so a click is recorded with the reply and its model
    without looking them up."""

    def button(emoji: str, verdict: str, label: str) -> dict[str, Any]:
        return {
            "text": {"type": "plain_text", "text": emoji},
            "value": f"{verdict}{_SEPARATOR}{reply.reply_to}{_SEPARATOR}{reply.model}",
            "accessibility_label": label,
        }

    return {
        "type": "context_actions",
        "elements": [
            {
                "type": "feedback_buttons",
                "action_id": FEEDBACK_ACTION,
                "positive_button": button("\U0001f44d", GOOD, "This answer was good"),
                "negative_button": button("\U0001f44e", BAD, "This answer was not good"),
            }
        ],
    }


class SlackStreams:
    def __init__(self, client: AsyncWebClient, *, team_id: str | None = None) -> None:
        self._client = client
        self._team_id = team_id

    async def start(self, channel: str, thread_ts: str, recipient: str | None) -> str:
        # A channel stream is for one person in one team; a DM's is plainly for its member.
        for_someone = recipient is not None and self._team_id is not None and channel[0] != "D"
        try:
            response = await self._client.chat_startStream(
                channel=channel,
                thread_ts=thread_ts,
                recipient_user_id=recipient if for_someone else None,
                recipient_team_id=self._team_id if for_someone else None,
            )
        except (SlackApiError, *_NETWORK_ERRORS) as error:
            raise _refused("chat.startStream", error) from None
        ts = response.get("ts")
        if not isinstance(ts, str) or not ts:
            raise DeliveryError("chat.startStream: no_ts")
        return f"{channel}/{ts}"

    async def append(self, stream_id: str, text: str) -> None:
        channel, ts = _parts(stream_id)
        try:
            await self._client.chat_appendStream(
                channel=channel, ts=ts, markdown_text=without_mentions(text)
            )
        except (SlackApiError, *_NETWORK_ERRORS) as error:
            raise _refused("chat.appendStream", error) from None

    async def stop(
        self,
        stream_id: str,
        text: str,
        *,
        feedback: Rateable | None,
    ) -> None:
        channel, ts = _parts(stream_id)
        try:
            await self._client.chat_stopStream(
                channel=channel,
                ts=ts,
                markdown_text=without_mentions(text) or None,
                blocks=[feedback_block(feedback)] if feedback is not None else None,
            )
        except (SlackApiError, *_NETWORK_ERRORS) as error:
            raise _refused("chat.stopStream", error) from None


def read_verdict(value: object) -> tuple[bool, Rateable] | None:
    """A feedback button's value read back: (good, what it rates), or None if it is not one
    of Lukas's."""
    if not isinstance(value, str):
        return None
    verdict, _, rest = value.partition(_SEPARATOR)
    reply_to, _, model = rest.partition(_SEPARATOR)
    if verdict not in {GOOD, BAD} or not reply_to or not model:
        return None
    return verdict == GOOD, Rateable(reply_to=reply_to, model=model)


def _parts(stream_id: str) -> tuple[str, str]:
    channel, _, ts = stream_id.partition("/")
    if not channel or not ts:
        raise DeliveryError(f"{stream_id!r} is not a Slack message")
    return channel, ts


def _refused(method: str, error: BaseException) -> DeliveryError:
    if isinstance(error, SlackApiError):
        code = str(error.response.get("error", "unknown_error"))
        if code in _NOT_STREAMING:
            return StreamNotOpenError(f"{method}: {code}")
        return DeliveryError(f"{method}: {code}")
    return DeliveryError(f"{method}: {type(error).__name__}")
