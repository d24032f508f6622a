"""Carries a reply's text to the platform while the model is still writing it.

The model hands over pieces as fast as it writes; the platform wants fewer, larger writes
(Slack limits how often a message may be appended to). One sender task sends whatever has
gathered: the first piece at once, so the reply shows as soon as there is something to show,
then at most one write per `interval`, sooner when `size` characters are waiting. While a
write is under way, the model's next pieces gather for the one after.

The platform message is opened with the first piece, and `opened` must record it before any
text goes out: a process killed mid-stream then leaves a record that recovery can close.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import anyio

from lukas.application.ports.chat_channel import ChatChannel, DeliveryError
from lukas.domain.conversation_key import ConversationKey

log = logging.getLogger(__name__)

# Slack accepts a few appends a second per message; twice a second reads as live text.
DEFAULT_INTERVAL = 0.5
# Enough text waiting to be worth a write before the interval is up.
DEFAULT_SIZE = 256

# Records the opened message; False when the reply is not this writer's to give after all
# (another writer answered or is streaming), so nothing may be written.
Opened = Callable[[str], Awaitable[bool]]


class StreamWriter:
    def __init__(
        self,
        channel: ChatChannel,
        conversation: ConversationKey,
        in_reply_to: str,
        opened: Opened,
        *,
        recipient: str | None = None,
        interval: float = DEFAULT_INTERVAL,
        size: int = DEFAULT_SIZE,
    ) -> None:
        self._channel = channel
        self._conversation = conversation
        self._in_reply_to = in_reply_to
        self._opened = opened
        self._recipient = recipient
        self._interval = interval
        self._size = size
        self._waiting: list[str] = []
        self._waiting_chars = 0
        self._wake = anyio.Event()
        self._closing = False
        self._stream_id: str | None = None
        self._shown: list[str] = []
        # A write the platform refused: nothing more is sent; what is left goes at the end.
        self._broken = False
        # What stopped the sender other than the platform (the log could not be written),
        # raised by `running` as itself, not wrapped in a task group's exception group.
        self._failure: Exception | None = None

    @property
    def stream_id(self) -> str | None:
        """The platform message the reply is being written into; None if none was opened."""
        return self._stream_id

    @property
    def shown(self) -> str:
        """What the platform took, in order: a prefix of everything written."""
        return "".join(self._shown)

    async def write(self, piece: str) -> None:
        """Take a piece of the reply; returns at once (the sender sends it)."""
        if self._broken or not piece:
            return
        self._waiting.append(piece)
        self._waiting_chars += len(piece)
        self._wake.set()

    @asynccontextmanager
    async def running(self) -> AsyncIterator[StreamWriter]:
        """Sends while the block runs; on leaving it, sends what is still waiting and ends."""
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(self._send_or_fail)
            try:
                yield self
            finally:
                self._closing = True
                self._wake.set()
        if self._failure is not None:
            raise self._failure

    async def _send_or_fail(self) -> None:
        try:
            await self._send()
        except Exception as error:
            self._failure, self._broken = error, True

    async def _send(self) -> None:
        while True:
            await self._wait_for_wake()
            if self._waiting and not self._broken:
                await self._flush()
                if not self._closing:
                    await self._pace()
            if self._closing and (self._broken or not self._waiting):
                return
            if self._waiting or self._closing:
                self._wake.set()  # not to wait for a write that already came

    async def _pace(self) -> None:
        """The interval before the next write, cut short by enough text or by the end."""
        with anyio.move_on_after(self._interval):
            while self._waiting_chars < self._size and not self._closing:
                await self._wait_for_wake()

    async def _wait_for_wake(self) -> None:
        await self._wake.wait()
        self._wake = anyio.Event()

    async def _flush(self) -> None:
        text = "".join(self._waiting)
        self._waiting.clear()
        self._waiting_chars = 0
        try:
            if self._stream_id is None and not await self._open():
                return
            assert self._stream_id is not None
            await self._channel.append_stream(self._conversation, self._stream_id, text)
        except DeliveryError as error:
            log.warning("streaming a reply in %s stopped: %s", self._conversation, error)
            self._broken = True
            return
        self._shown.append(text)

    async def _open(self) -> bool:
        stream_id = await self._channel.start_stream(
            self._conversation, self._in_reply_to, recipient=self._recipient
        )
        try:
            recorded = await self._opened(stream_id)
        except BaseException:
            await self._close_unrecorded(stream_id)
            raise
        if not recorded:
            await self._close_unrecorded(stream_id)
            self._broken = True
            return False
        self._stream_id = stream_id
        return True

    async def _close_unrecorded(self, stream_id: str) -> None:
        # Best effort: an empty message nobody will write into is closed, not left hanging.
        with anyio.CancelScope(shield=True):
            try:
                await self._channel.stop_stream(self._conversation, stream_id, "")
            except DeliveryError as error:
                log.info("could not close an unused stream in %s: %s", self._conversation, error)
