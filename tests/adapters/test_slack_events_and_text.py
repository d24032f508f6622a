"""Reading Slack's events and markup: what Lukas answers, what he ignores, what the model reads."""

from __future__ import annotations

from typing import Any

import pytest

from lukas.adapters.slack.events import BotIdentity, Ignored, SlackMessage, read_event
from lukas.adapters.slack.pieces import split_message
from lukas.adapters.slack.text import escaped, to_plain, to_request_text, without_mentions

ME = BotIdentity(user_id="U0LUKAS", bot_id="B0LUKAS")

pytestmark = pytest.mark.anyio


def event(**fields: Any) -> dict[str, Any]:
    base = {"type": "message", "user": "U0ADA", "channel": "C0GEN", "ts": "1.1", "text": "hi"}
    return {**base, **fields}


def test_a_direct_message_is_read() -> None:
    message = read_event(event(channel="D0ADA", channel_type="im"), ME)
    assert message == SlackMessage("D0ADA", "1.1", None, "U0ADA", "hi", True, False)


def test_a_mention_in_a_thread_keeps_the_thread() -> None:
    message = read_event(event(type="app_mention", text="<@U0LUKAS> hello", thread_ts="0.9"), ME)
    assert isinstance(message, SlackMessage)
    assert (message.thread_ts, message.mentions_me, message.is_direct) == ("0.9", True, False)


def test_a_plain_channel_message_naming_lukas_counts_as_a_mention() -> None:
    message = read_event(event(text="hey <@U0LUKAS>?"), ME)
    assert isinstance(message, SlackMessage)
    assert message.mentions_me


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (event(subtype="message_changed"), "subtype 'message_changed'"),
        (event(subtype="channel_join"), "subtype 'channel_join'"),
        (event(bot_id="B0OTHER"), "from a bot"),
        (event(user="U0LUKAS"), "own message"),
        (event(type="reaction_added"), "not a message"),
        ({"type": "message", "channel": "C1"}, "malformed"),
        (event(text=None), "malformed"),
        ("not an object", "malformed"),
        (None, "malformed"),
    ],
)
def test_what_lukas_ignores_and_why(raw: Any, reason: str) -> None:
    result = read_event(raw, ME)
    assert isinstance(result, Ignored)
    assert reason in result.reason


async def test_markup_becomes_plain_words_with_names() -> None:
    async def name_of(user: str) -> str:
        return {"U0BOB": "Bob"}[user]

    text = (
        "<@U0LUKAS> ask <@U0BOB> about <#C0GEN|general> and <https://x.org|the docs> &amp; <!here>"
    )
    plain = await to_plain(text, "U0LUKAS", name_of)
    assert plain == "ask @Bob about #general and the docs & @here"


JOINER = "\u200d"


@pytest.mark.parametrize(
    ("markdown", "sent"),
    [
        ("<!channel> lunch!", f"<{JOINER}!channel> lunch!"),
        ("<!here|here> and <!everyone>", f"<{JOINER}!here|here> and <{JOINER}!everyone>"),
        ("ask <@U0ADA> or <@W0BOB|bob>", f"ask <{JOINER}@U0ADA> or <{JOINER}@W0BOB|bob>"),
        ("<!subteam^S0BEARS> hi", f"<{JOINER}!subteam^S0BEARS> hi"),
        ("`<!here>` in code", f"`<{JOINER}!here>` in code"),
        ("```\nping <@U0ADA>\n```", f"```\nping <{JOINER}@U0ADA>\n```"),
        ("[docs](https://x.test/<!channel>)", f"[docs](https://x.test/<{JOINER}!channel>)"),
    ],
)
def test_no_mention_the_model_writes_pings_anyone(markdown: str, sent: str) -> None:
    assert without_mentions(markdown) == sent


@pytest.mark.parametrize(
    "markdown",
    [
        "**Bold**, *italic*, ~~struck~~ and `a < b && c > d`",
        "# Plan\n- see [the docs](https://x.org/a?b=1&c=2)\n- ask in <#C0GEN|general>",
        "<https://x.org> and 1 <2 and &lt;!here&gt;",
        "```html\n<div>&amp;</div>\n```",
    ],
)
def test_markdown_without_mentions_is_sent_as_written(markdown: str) -> None:
    assert without_mentions(markdown) == markdown


def test_a_caption_is_plain_text_with_slacks_three_characters_escaped() -> None:
    caption = "**Lukas** & friends <at> the [lake](https://x.org)"
    assert escaped(caption) == ("**Lukas** &amp; friends &lt;at&gt; the [lake](https://x.org)")
    assert escaped("<!channel>") == "&lt;!channel&gt;"


def test_long_replies_are_split_at_paragraphs_and_keep_every_word() -> None:
    paragraphs = [f"Paragraph {n}. " + "honey " * 100 for n in range(12)]
    text = "\n\n".join(paragraphs)
    pieces = split_message(text, limit=1500)
    assert all(len(piece) <= 1500 for piece in pieces)
    assert all(piece.startswith("Paragraph") for piece in pieces)
    assert " ".join(" ".join(pieces).split()) == " ".join(text.split())


def test_a_reply_without_boundaries_is_cut_hard() -> None:
    pieces = split_message("x" * 10_000, limit=3_900)
    assert [len(p) for p in pieces] == [3_900, 3_900, 2_200]


@pytest.mark.parametrize(
    ("slack_text", "request_text"),
    [
        (
            "<@U0LUKAS> remind <@U0ADA|ada> at 3pm to send the slides",
            "remind <@U0ADA> at 3pm to send the slides",
        ),
        (
            "<@U0LUKAS> post 'Fish &amp; chips at 1' to <#C0123|general>",
            "post 'Fish & chips at 1' to <#C0123|general>",
        ),
        ("see <https://example.org|the notes> <!here>", "see the notes @here"),
    ],
)
def test_request_text_keeps_people_and_channels_by_id(slack_text: str, request_text: str) -> None:
    assert to_request_text(slack_text, "U0LUKAS") == request_text
