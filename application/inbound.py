"""One way in for everything people say to Lukas, on every platform.

A message is recorded with its route, decided once, before anything is done about it;
then the route is carried out: the model answers (offered the requests as tools when the
message was said to Lukas), or the desk carries out a request in a documented form and
Lukas answers with what it says. Recovery carries out the recorded route of a message a
crash left unanswered, through the same `carry_out`; it never works the route out again.
"""

from __future__ import annotations

import datetime as dt
import logging

import attrs

from lukas.application.handle_message import IncomingMessage, MessageHandler, Outcome
from lukas.application.ports.chat_channel import ChatChannel
from lukas.application.ports.clock import Clock
from lukas.application.requests.desk import RequestDesk, Requester
from lukas.domain.conversation_key import ConversationKey
from lukas.domain.routing import Route, RouteKind, route_for

log = logging.getLogger(__name__)

TROUBLE = (
    "Sorry, I couldn't do that just now: something went wrong on my side. Please try again"
    " in a moment."
)


@attrs.frozen
class RecordedMessage:
    """A message as recorded, with what carrying it out needs."""

    conversation: ConversationKey
    message_id: str
    platform_message_id: str
    author_id: str
    author_name: str
    route: Route


@attrs.frozen
class Taken:
    message: RecordedMessage
    is_new: bool  # False: recorded before (a redelivery); nothing more to do


class Inbound:
    def __init__(
        self,
        *,
        handler: MessageHandler,
        desk: RequestDesk,
        channel: ChatChannel,
        clock: Clock,
        timezone: dt.tzinfo,
    ) -> None:
        self._handler = handler
        self._desk = desk
        self._channel = channel
        self._clock = clock
        self._timezone = timezone

    async def take(self, incoming: IncomingMessage) -> Outcome:
        """Record the message with its route and carry the route out."""
        taken = await self.record(incoming)
        if not taken.is_new:
            return Outcome(taken.message.message_id, duplicate=True)
        return await self.carry_out(taken.message)

    async def record(self, incoming: IncomingMessage, *, cause: str | None = None) -> Taken:
        """Decide the route and record it with the message; nothing is carried out yet."""
        now = self._clock.now().astimezone(self._timezone)
        route = route_for(incoming.request_text or incoming.text, unasked=incoming.unasked, now=now)
        message_id, is_new = await self._handler.receive(incoming, route, cause=cause)
        if is_new:
            log.debug("%s in %s: %s", message_id, incoming.conversation, route.describe())
        message = RecordedMessage(
            conversation=incoming.conversation,
            message_id=message_id,
            platform_message_id=incoming.platform_message_id,
            author_id=incoming.author_id,
            author_name=incoming.author_name,
            route=route,
        )
        return Taken(message, is_new)

    async def carry_out(self, message: RecordedMessage) -> Outcome:
        """Do what the recorded route says, once."""
        route = message.route
        if route.kind is not RouteKind.REQUEST or route.request is None:
            return await self._handler.answer(
                message.conversation,
                message.message_id,
                message.platform_message_id,
                with_tools=route.may_use_tools,
            )
        requester = Requester(message.author_id, message.author_name, message.conversation)
        await self._channel.show_thinking(message.conversation, message.platform_message_id)
        try:
            text = await self._desk.handle(route.request, requester, message.message_id)
        except Exception:
            log.exception("could not carry out %s", route.describe())
            text = TROUBLE
        finally:
            await self._channel.stop_thinking(message.conversation, message.platform_message_id)
        return await self._handler.answer_directly(
            message.conversation,
            message.message_id,
            message.platform_message_id,
            text,
            route.describe(),
        )
