"""The stream writer: the first piece at once, then fewer, larger writes, nothing lost."""

from __future__ import annotations

import anyio
import pytest
from fakes.chat_channel import FakeChatChannel

from lukas.application.stream_writer import StreamWriter
from lukas.domain.conversation_key import ConversationKey

pytestmark = pytest.mark.anyio

KEY = ConversationKey("slack-thread:C1:1.1")


async def recorded(stream_id: str) -> bool:
    return True


async def test_the_first_piece_goes_at_once_and_later_ones_gather() -> None:
    channel = FakeChatChannel(streams=True)
    writer = StreamWriter(channel, KEY, "1.1", recorded, interval=0.2, size=1000)
    async with writer.running():
        await writer.write("Hello")
        with anyio.fail_after(1):
            await channel.first_piece.wait()
        for word in (" there", " little", " bear"):
            await writer.write(word)  # within the interval: gathered into one write
    [stream] = channel.streams.values()
    assert stream.pieces == ["Hello", " there little bear"]
    assert writer.shown == "Hello there little bear"
    assert writer.stream_id == next(iter(channel.streams))
    assert not stream.stopped  # closing is the handler's, once the reply is recorded


async def test_enough_waiting_text_is_written_before_the_interval_is_up() -> None:
    second = anyio.Event()

    class Counting(FakeChatChannel):
        async def append_stream(
            self, conversation: ConversationKey, stream_id: str, text: str
        ) -> None:
            await super().append_stream(conversation, stream_id, text)
            if len(self.streams[stream_id].pieces) == 2:
                second.set()

    channel = Counting(streams=True)
    writer = StreamWriter(channel, KEY, "1.1", recorded, interval=60, size=10)
    with anyio.fail_after(5):  # a 60 s interval would fail this if size did not cut it short
        async with writer.running():
            await writer.write("a")
            await channel.first_piece.wait()
            await writer.write("0123456789")
            await second.wait()  # written while the block still runs: not by the closing
    assert channel.streams["stream-1"].pieces == ["a", "0123456789"]


async def test_nothing_is_written_when_the_opening_is_not_recorded() -> None:
    async def not_mine(stream_id: str) -> bool:
        return False

    channel = FakeChatChannel(streams=True)
    writer = StreamWriter(channel, KEY, "1.1", not_mine, interval=0.01)
    async with writer.running():
        await writer.write("Hello")
        await writer.write(" again")
    [stream] = channel.streams.values()
    assert stream.pieces == []
    assert stream.stopped  # the unused message is closed, not left hanging
    assert writer.stream_id is None
    assert writer.shown == ""


async def test_a_log_that_cannot_be_written_is_raised_as_itself_and_nothing_is_written() -> None:
    class LogDownError(Exception):
        pass

    async def cannot_record(stream_id: str) -> bool:
        raise LogDownError("disk full")

    channel = FakeChatChannel(streams=True)
    writer = StreamWriter(channel, KEY, "1.1", cannot_record, interval=0.01)

    async def speak() -> None:
        async with writer.running():
            await writer.write("Hello")
            await anyio.sleep(0.05)
            await writer.write(" again")  # taken and dropped: the writer has failed

    with pytest.raises(LogDownError):
        await speak()
    [stream] = channel.streams.values()
    assert stream.pieces == []
    assert stream.stopped  # the message opened for nothing is closed
