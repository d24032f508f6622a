"""What a restart must finish: platform deliveries not yet read into a conversation,
messages not yet answered, replies not yet delivered."""

from __future__ import annotations

from datetime import datetime

import attrs

from lukas.application.ports.checkpoints import CheckpointSpec
from lukas.application.ports.event_store import RecordedEvent
from lukas.domain.conversation_key import ConversationKey
from lukas.domain.events import (
    DeliveryClaimed,
    InboundFailed,
    InboundIgnored,
    InboundReceived,
    MessageReceived,
    ReplyDelivered,
    ReplyFailed,
    ReplyGenerated,
    ReplyStreamClosed,
    ReplyStreamStarted,
)
from lukas.domain.routing import Route


@attrs.frozen
class Delivery:
    """A platform's delivery as recorded in the inbox."""

    event_id: str
    received: InboundReceived
    received_at: datetime
    failures: int = 0  # earlier attempts to read it that failed


@attrs.frozen
class PendingInbound:
    """A delivery recorded (and acknowledged) but not yet read into a conversation."""

    delivery: Delivery
    position: int
    owner: str | None


@attrs.frozen
class PendingMessage:
    key: ConversationKey
    message_id: str
    platform_message_id: str
    position: int
    received_at: datetime
    # The process that recorded the newest step, which is the one expected to finish it.
    owner: str | None
    author_id: str
    author_name: str
    route: Route
    outcome: ReplyGenerated | ReplyFailed | None = None
    # A platform message the reply was being written into, not closed yet.
    open_stream: str | None = None


@attrs.define
class PendingWork:
    """Updated in place by the fold: pending items are few, the log may be long."""

    messages: dict[str, PendingMessage] = attrs.Factory(dict)
    inbound: dict[str, PendingInbound] = attrs.Factory(dict)


class PendingWorkProjection:
    """Folded at every start by recovery, from its checkpoint (PENDING_WORK)."""

    def initial(self) -> PendingWork:
        return PendingWork()

    def evolve(self, state: PendingWork, recorded: RecordedEvent) -> PendingWork:
        event = recorded.event
        owner = recorded.metadata.instance_id
        messages, inbound = state.messages, state.inbound
        match event:
            case InboundReceived():
                delivery = Delivery(recorded.event_id, event, recorded.recorded_at)
                inbound[recorded.event_id] = PendingInbound(delivery, recorded.position, owner)
            case InboundFailed() if event.received in inbound:
                pending = inbound[event.received]
                delivery = attrs.evolve(pending.delivery, failures=event.attempt)
                inbound[event.received] = attrs.evolve(pending, delivery=delivery, owner=owner)
            case InboundIgnored():
                inbound.pop(event.received, None)
            case MessageReceived():
                # Read from a recorded delivery: that delivery is settled, and the message
                # is as old as the delivery (it may have been read long after a crash).
                cause = recorded.metadata.causation_id
                read_from = inbound.pop(cause, None) if cause is not None else None
                messages[recorded.event_id] = PendingMessage(
                    key=event.conversation,
                    message_id=recorded.event_id,
                    platform_message_id=event.platform_message_id,
                    position=recorded.position,
                    received_at=(
                        read_from.delivery.received_at if read_from else recorded.recorded_at
                    ),
                    owner=owner,
                    author_id=event.author_id,
                    author_name=event.author_name,
                    route=event.route,
                )
            case ReplyGenerated() | ReplyFailed() if event.reply_to in messages:
                message = messages[event.reply_to]
                messages[event.reply_to] = _moved_on(message, owner, event, message.open_stream)
            case DeliveryClaimed() if event.reply_to in messages:
                message = messages[event.reply_to]
                messages[event.reply_to] = _moved_on(
                    message, owner, message.outcome, message.open_stream
                )
            case ReplyStreamStarted() if event.reply_to in messages:
                message = messages[event.reply_to]
                messages[event.reply_to] = _moved_on(
                    message, owner, message.outcome, event.platform_message_id
                )
            case ReplyStreamClosed() if event.reply_to in messages:
                message = messages[event.reply_to]
                messages[event.reply_to] = _moved_on(message, owner, message.outcome, None)
            case ReplyDelivered():
                messages.pop(event.reply_to, None)
        return state


def _moved_on(
    message: PendingMessage,
    owner: str | None,
    outcome: ReplyGenerated | ReplyFailed | None,
    open_stream: str | None,
) -> PendingMessage:
    # Made directly, not by attrs.evolve: a rebuild does this for nearly every message.
    return PendingMessage(
        message.key,
        message.message_id,
        message.platform_message_id,
        message.position,
        message.received_at,
        owner,
        message.author_id,
        message.author_name,
        message.route,
        outcome,
        open_stream,
    )


# Version 2: open streams are pending work too.
PENDING_WORK = CheckpointSpec[PendingWork]("pending-work", 2, PendingWork)
