"""Text between Slack's markup and the words the model reads and writes."""

from __future__ import annotations

import html
import re
from collections.abc import Awaitable, Callable

_USER_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
_CHANNEL = re.compile(r"<#[CG][A-Z0-9]+\|([^>]*)>")
_LINK = re.compile(r"<((?:https?|mailto):[^|>]+)(?:\|([^>]+))?>")
_SPECIAL = re.compile(r"<!(here|channel|everyone)(?:\|[^>]*)?>")


async def to_plain(text: str, me: str, name_of: Callable[[str], Awaitable[str]]) -> str:
    """A Slack message as the model should read it: mentions of Lukas gone, others by name."""
    names: dict[str, str] = {}
    for user in set(_USER_MENTION.findall(text)):
        if user != me:
            names[user] = await name_of(user)

    def person(match: re.Match[str]) -> str:
        user = match.group(1)
        return "" if user == me else f"@{names[user]}"

    text = _USER_MENTION.sub(person, text)
    text = _CHANNEL.sub(lambda m: f"#{m.group(1)}", text)
    text = _LINK.sub(lambda m: m.group(2) or m.group(1), text)
    text = _SPECIAL.sub(lambda m: f"@{m.group(1)}", text)
    return " ".join(html.unescape(text).split(" ")).strip()


def to_request_text(text: str, me: str) -> str:
    """A Slack message as requests are read from it: like `to_plain`, but other people and
    channels stay Slack's references by id, which no display name (spaces and all) can
    blur: "remind <@U0ADA> at 3pm ...", "post 'hi' to <#C0123|general>"."""
    text = _USER_MENTION.sub(lambda m: "" if m.group(1) == me else f"<@{m.group(1)}>", text)
    text = _LINK.sub(lambda m: m.group(2) or m.group(1), text)
    text = _SPECIAL.sub(lambda m: f"@{m.group(1)}", text)
    return " ".join(html.unescape(text).split(" ")).strip()


# Slack reads <@U…>, <!here>, <!channel>, <!everyone> and <!subteam^…> as mentions and pings
# whoever they name; in a markdown block, which is what markdown_text becomes, it was seen to
# do so too. Slack documents &lt; as the escape for "<" in mrkdwn only and says nothing of
# entities in markdown_text, where standard Markdown shows "&lt;" literally inside code. A
# zero-width joiner after the "<" breaks the token the same way in prose, code and links
# alike, and the reader sees the text unchanged. Only "<@" and "<!" can notify anyone (a
# channel link, <#C…>, does not), so nothing else the model writes is touched.
_MENTION_OPENING = re.compile(r"<(?=[@!])")
_JOINER = "\u200d"


def without_mentions(markdown: str) -> str:
    """The model's Markdown as Slack may render it: every "<@" and "<!" that Slack would read
    as a mention or a broadcast gets a zero-width joiner after its "<", so it pings nobody."""
    return _MENTION_OPENING.sub("<" + _JOINER, markdown)


def escaped(text: str) -> str:
    """Plain text for a field Slack reads as mrkdwn, such as a file's initial comment: its
    &, < and > escaped, the three characters Slack asks to escape, and nothing converted."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
