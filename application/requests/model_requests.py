"""Requests the model chooses as tool calls, for phrasings the parser does not read.

The model only chooses: the call becomes the same Request the parser would have made, and
the desk carries it out with the same checks.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence

from lukas.application.ports.chat_model import Tool, ToolCall
from lukas.application.ports.clock import Clock
from lukas.application.ports.tool_actions import Author
from lukas.application.requests.desk import RequestDesk, Requester
from lukas.application.requests.tools import REQUEST_TOOLS, request_from_tool_call

log = logging.getLogger(__name__)


class ModelRequests:
    """Implements the ToolActions port for the reply composer."""

    def __init__(self, *, desk: RequestDesk, clock: Clock, timezone: dt.tzinfo) -> None:
        self._desk = desk
        self._clock = clock
        self._timezone = timezone

    @property
    def tools(self) -> Sequence[Tool]:
        return REQUEST_TOOLS

    async def act(self, call: ToolCall, author: Author, message_id: str) -> str:
        request = request_from_tool_call(call, self._clock.now().astimezone(self._timezone))
        log.info("the model chose %s: %s", call.name, type(request).__name__)
        return await self._desk.handle(
            request, Requester(author.member_id, author.name), message_id
        )
