"""Slack's message markup, read for the model and for the request parser."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from lukas.adapters.slack.text import to_plain, to_request_text
from lukas.application.ports.platform_text import ReadText


class SlackText:
    """Implements the PlatformText port. `me`: Lukas's user id, whose mentions are dropped."""

    def __init__(self, me: str) -> None:
        self._me = me

    async def read(self, text: str, name_of: Callable[[str], Awaitable[str]]) -> ReadText:
        return ReadText(
            plain=await to_plain(text, self._me, name_of),
            for_requests=to_request_text(text, self._me),
        )
