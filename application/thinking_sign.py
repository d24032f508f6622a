"""The sign that Lukas is working on a reply (a reaction on the message, the assistant pane's
status), put up beside the model call rather than before it: on Slack it is an API round
trip, which the model's first words need not wait for. It comes down only once it went up,
whatever happened in between."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

import anyio

from lukas.application.ports.chat_channel import ChatChannel
from lukas.domain.conversation_key import ConversationKey

Result = TypeVar("Result")


class ThinkingSign:
    def __init__(self, channel: ChatChannel, key: ConversationKey, in_reply_to: str) -> None:
        self._channel = channel
        self._key = key
        self._in_reply_to = in_reply_to
        self._up = False

    async def alongside(self, work: Callable[[], Awaitable[Result]]) -> Result:
        """`work()`, with the sign going up meanwhile; returns once both are done."""
        done: list[Result] = []
        failed: list[Exception] = []
        async with anyio.create_task_group() as group:
            group.start_soon(self._put_up)
            try:
                done.append(await work())
            except Exception as error:  # raised below as itself, not in an ExceptionGroup
                failed.append(error)
        if failed:
            raise failed[0]
        return done[0]

    async def take_down(self) -> None:
        if self._up:
            await self._channel.stop_thinking(self._key, self._in_reply_to)

    async def _put_up(self) -> None:
        self._up = True  # before the call: a call cut short may still have put it up
        await self._channel.show_thinking(self._key, self._in_reply_to)
