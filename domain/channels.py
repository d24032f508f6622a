"""Slack channels as people write them: a link Slack made, "#name", a bare id or name.

One reader for requests in chat and for the settings that name channels, so a channel
that works in "post ... to #random" works in "set monitored channels to #random" too.
"""

from __future__ import annotations

import re

CLINGING_MARKS = ",.;:!?"  # punctuation stuck to the end of a word: "#general."

# A channel as Slack sends it: "<#C0123|general>" or "<#C0123>".
_CHANNEL_LINK = re.compile(r"<#(?P<id>[A-Z0-9]+)(?:\|[^>]*)?>")
_CHANNEL_NAME = re.compile(r"#(?P<name>[\w.-]+)")
# A bare channel id: C for channels, G for private channels made before 2021; ids have
# digits, so "CAMPFIRE" is a name typed in capitals.
_CHANNEL_ID = re.compile(r"[CG](?=[A-Z0-9]*[0-9])[A-Z0-9]{2,}")
_BARE_NAME = re.compile(r"[\w.-]+")


def channel_ref(token: str, *, bare: bool) -> str | None:
    """A channel id, or a lower-case name; bare words count only where `bare` allows."""
    token = token.rstrip(CLINGING_MARKS)
    if link := _CHANNEL_LINK.fullmatch(token):
        return link["id"]
    if named := _CHANNEL_NAME.fullmatch(token):
        return _lower_name(named["name"])
    if bare and _CHANNEL_ID.fullmatch(token):
        return token
    if bare and _BARE_NAME.fullmatch(token):
        return _lower_name(token)
    return None


def _lower_name(name: str) -> str | None:
    """The name in lower case, if that is still a name: "İ" lowers to "i" and a combining
    dot, which no channel name holds, and which would not read back as a name."""
    lower = name.lower()
    return lower if _BARE_NAME.fullmatch(lower) else None


def is_channel_id(token: str) -> bool:
    return _CHANNEL_ID.fullmatch(token) is not None
