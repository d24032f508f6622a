"""Requests arriving in chat: the documented forms, recognised without the model, and the
model's tool calls for everything else. Both end at the same desk."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence

from lukas.application.handle_message import IncomingMessage, MessageHandler, Outcome
from lukas.application.ports.chat_model import Tool, ToolCall
from lukas.application.ports.clock import Clock
from lukas.application.ports.tool_actions import Author
from lukas.application.requests.desk import RequestDesk, Requester
from lukas.application.requests.tools import REQUEST_TOOLS, request_from_tool_call
from lukas.domain.requests import Request, parse_request

log = logging.getLogger(__name__)

TROUBLE = (
    "Sorry, I couldn't do that just now: something went wrong on my side. Please try again"
    " in a moment."
)


class RequestIntake:
    """Implements the ToolActions port for the reply composer."""

    def __init__(
        self, *, desk: RequestDesk, handler: MessageHandler, clock: Clock, timezone: dt.tzinfo
    ) -> None:
        self._desk = desk
        self._handler = handler
        self._clock = clock
        self._timezone = timezone

    @property
    def tools(self) -> Sequence[Tool]:
        return REQUEST_TOOLS

    def recognise(self, incoming: IncomingMessage) -> Request | None:
        """The request in one of the documented forms, or None for conversation."""
        return parse_request(incoming.request_text or incoming.text, self._now())

    async def carry_out(self, incoming: IncomingMessage, request: Request) -> Outcome:
        """Records the message, does what it asks once, and answers it."""
        message_id, is_new = await self._handler.receive(incoming)
        if not is_new:
            return Outcome(message_id, duplicate=True)
        requester = Requester(incoming.author_id, incoming.author_name)
        try:
            text = await self._desk.handle(request, requester, message_id)
        except Exception:
            log.exception("could not carry out %s", type(request).__name__)
            text = TROUBLE
        return await self._handler.answer_directly(
            incoming.conversation,
            message_id,
            incoming.platform_message_id,
            text,
            f"request:{type(request).__name__}",
        )

    async def act(self, call: ToolCall, author: Author, message_id: str) -> str:
        request = request_from_tool_call(call, self._now())
        log.info("the model chose %s: %s", call.name, type(request).__name__)
        return await self._desk.handle(
            request, Requester(author.member_id, author.name), message_id
        )

    def _now(self) -> dt.datetime:
        return self._clock.now().astimezone(self._timezone)
