"""Slack's assistant pane: greeting a new thread with suggested prompts, its title, and the
"is thinking..." status that replaces the hourglass reaction there.

An assistant thread is a thread in the app's DM channel (a `D...` id); Lukas follows no other
threads in DMs, so that is how its conversations are told apart.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from lukas.application.ports.chat_channel import DeliveryError
from lukas.domain.conversation_key import ConversationKey
from lukas.domain.persona import THINKING_MESSAGES, THINKING_STATUS

log = logging.getLogger(__name__)

_NETWORK_ERRORS = (aiohttp.ClientError, TimeoutError, OSError)
# Slack cuts a prompt's title; the whole text still goes as its message.
_TITLE_CHARS = 75


def assistant_thread(conversation: ConversationKey) -> tuple[str, str] | None:
    """The DM channel and thread ts of an assistant thread; None for other conversations."""
    thread = conversation.thread
    return thread if thread is not None and thread[0].startswith("D") else None


class SlackAssistant:
    """Implements the AssistantSurface port."""

    def __init__(self, client: AsyncWebClient) -> None:
        self._client = client

    async def greet(self, conversation: ConversationKey, text: str, prompts: Sequence[str]) -> None:
        channel, thread_ts = _thread_of(conversation)
        await self._call(
            "chat_postMessage", channel=channel, thread_ts=thread_ts, markdown_text=text
        )
        if prompts:
            await self._call(
                "assistant_threads_setSuggestedPrompts",
                channel_id=channel,
                thread_ts=thread_ts,
                prompts=[{"title": p[:_TITLE_CHARS], "message": p} for p in prompts],
            )

    async def set_title(self, conversation: ConversationKey, title: str) -> None:
        channel, thread_ts = _thread_of(conversation)
        await self._call(
            "assistant_threads_setTitle", channel_id=channel, thread_ts=thread_ts, title=title
        )

    async def show_thinking(self, conversation: ConversationKey) -> None:
        """Best effort, like the reaction it stands in for."""
        await self._status(conversation, THINKING_STATUS, list(THINKING_MESSAGES))

    async def stop_thinking(self, conversation: ConversationKey) -> None:
        # Slack clears the status when the reply is posted; this covers a reply not posted.
        await self._status(conversation, "", None)

    async def _status(
        self, conversation: ConversationKey, status: str, loading: list[str] | None
    ) -> None:
        channel, thread_ts = _thread_of(conversation)
        try:
            await self._call(
                "assistant_threads_setStatus",
                channel_id=channel,
                thread_ts=thread_ts,
                status=status,
                loading_messages=loading,
            )
        except DeliveryError as error:
            log.info("%s", error)

    async def _call(self, method: str, **arguments: object) -> None:
        try:
            await getattr(self._client, method)(**arguments)
        except (SlackApiError, *_NETWORK_ERRORS) as error:
            code = (
                str(error.response.get("error", "unknown_error"))
                if isinstance(error, SlackApiError)
                else type(error).__name__
            )
            raise DeliveryError(f"{method.replace('_', '.', 1)}: {code}") from None


def _thread_of(conversation: ConversationKey) -> tuple[str, str]:
    thread = assistant_thread(conversation)
    if thread is None:
        raise DeliveryError(f"{conversation} is not an assistant thread")
    return thread
