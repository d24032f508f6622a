"""Text between Slack's markup and the plain words the model reads and writes."""

from __future__ import annotations

import html
import re
from collections.abc import Awaitable, Callable

_USER_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
_CHANNEL = re.compile(r"<#[CG][A-Z0-9]+\|([^>]*)>")
_LINK = re.compile(r"<((?:https?|mailto):[^|>]+)(?:\|([^>]+))?>")
_SPECIAL = re.compile(r"<!(here|channel|everyone)(?:\|[^>]*)?>")

# Slack shows up to 40,000 characters but advises 4,000 per message for readability.
MAX_MESSAGE = 3_900


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


_BOLD = re.compile(r"\*\*(.+?)\*\*")
_MD_LINK = re.compile(r"\[([^\]]+)\]\((https?://[^)\s]+)\)")
_HEADING = re.compile(r"^#{1,6}\s+(.+)$", re.MULTILINE)


def to_mrkdwn(text: str) -> str:
    """The model's Markdown as Slack's mrkdwn: escaped, with bold, links and headings kept."""
    pieces: list[str] = []
    last = 0
    for link in _MD_LINK.finditer(text):
        pieces.append(_styled(text[last : link.start()]))
        # Escaped too: a URL holding "<!channel>" must not ping anyone.
        url = _escape(link.group(2)).replace("|", "%7C")
        pieces.append(f"<{url}|{_escape(link.group(1))}>")
        last = link.end()
    pieces.append(_styled(text[last:]))
    return "".join(pieces)


def _styled(text: str) -> str:
    text = _escape(text)
    text = _HEADING.sub(r"*\1*", text)
    return _BOLD.sub(r"*\1*", text)


def _escape(text: str) -> str:
    # Slack reads &, < and > as markup; these three are all it asks to escape.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def split_message(text: str, limit: int = MAX_MESSAGE) -> list[str]:
    """Pieces of at most `limit` characters, cut at paragraphs, then lines, then spaces."""
    pieces: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        window = rest[:limit]
        cut = max(window.rfind("\n\n"), 0) or max(window.rfind("\n"), 0) or window.rfind(" ")
        if cut <= limit // 4:  # no good boundary: cut hard rather than send slivers
            cut = limit
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        pieces.append(rest)
    return pieces
