"""The console's streams: piped, stdout holds only the replies to lines read in this run."""

from __future__ import annotations

import io
from typing import TextIO

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lukas.adapters.console.channel import BlockWriter, ConsoleChannel, as_block
from lukas.domain.conversation_key import ConversationKey

pytestmark = pytest.mark.anyio

NOW = ConversationKey.console("ada-20261203T090000-ab12")
EARLIER = ConversationKey.console("ada-20261202T170000-cd34")


def piped() -> tuple[ConsoleChannel, io.StringIO, io.StringIO]:
    out, err = io.StringIO(), io.StringIO()
    channel = ConsoleChannel(out, err, interactive=False)
    channel.converse_in(NOW)
    return channel, out, err


async def test_a_reply_in_an_earlier_conversation_goes_to_stderr_marked_with_it() -> None:
    channel, out, err = piped()
    await channel.send_reply(EARLIER, "1", "Left from before\n\nin two paragraphs")
    await channel.send_reply(NOW, "1", "The answer")
    await channel.send_reply(NOW, "2", "Another answer")
    assert out.getvalue() == "The answer\n\nAnother answer\n"
    assert err.getvalue() == (
        f"[earlier conversation {EARLIER.value}] Left from before\nin two paragraphs\n"
    )


async def test_reminders_and_posts_go_to_stderr_between_the_reply_blocks() -> None:
    channel, out, err = piped()
    await channel.send_reply(NOW, "1", "Okay, I'll remind you")
    await channel.send_direct("console:ada", "Reminder: stretch")
    await channel.post_to_channel("general", "Lab meeting at 3")
    await channel.send_reply(NOW, "2", "Posted")
    assert out.getvalue() == "Okay, I'll remind you\n\nPosted\n"
    assert err.getvalue() == "[to console:ada] Reminder: stretch\n[in #general] Lab meeting at 3\n"


async def test_at_a_terminal_everything_is_shown_above_the_prompt_marked() -> None:
    out, err = io.StringIO(), io.StringIO()
    shown: list[tuple[str, str]] = []

    def show(stream: TextIO, text: str) -> None:
        shown.append(("out" if stream is out else "err", text))

    channel = ConsoleChannel(out, err, interactive=True, show=show)
    channel.converse_in(NOW)
    await channel.send_reply(EARLIER, "1", "Left from before")
    await channel.send_direct("console:ada", "Reminder: stretch")
    channel.notice("A notice")
    await channel.send_reply(NOW, "1", "Hello")
    assert shown == [
        ("out", f"Lukas (earlier conversation {EARLIER.value}): Left from before\n"),
        ("out", "Lukas (to console:ada): Reminder: stretch\n"),
        ("err", "A notice\n"),
        ("out", "Lukas: Hello\n"),
    ]


async def test_streamed_replies_read_exactly_as_replies_posted_whole() -> None:
    whole, whole_out, _ = piped()
    streamed, streamed_out, _ = piped()
    replies = ["First  \n\n\n  second line ", "Another\nanswer"]
    for number, reply in enumerate(replies):
        await whole.send_reply(NOW, str(number), reply)
        stream_id = await streamed.start_stream(NOW, str(number))
        for piece in (reply[:3], reply[3:9], reply[9:]):
            await streamed.append_stream(NOW, stream_id, piece)
        await streamed.stop_stream(NOW, stream_id, "")
    assert streamed_out.getvalue() == whole_out.getvalue()


async def test_only_the_conversation_of_this_run_streams() -> None:
    channel, _, _ = piped()
    assert channel.streams_in(NOW)
    assert not channel.streams_in(EARLIER)


@given(text=st.text(alphabet="ab \n\t", max_size=40), cuts=st.lists(st.integers(0, 40)))
def test_a_block_cleaned_piece_by_piece_is_the_block_cleaned_whole(
    text: str, cuts: list[int]
) -> None:
    points = sorted({min(cut, len(text)) for cut in cuts})
    pieces = [text[a:b] for a, b in zip([0, *points], [*points, len(text)], strict=True)]
    writer = BlockWriter()
    assert "".join(writer.take(piece) for piece in pieces) == as_block(text)
