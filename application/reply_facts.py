"""What became of the answer to one message: the reply (or fallback), where it was
delivered, and what people said of it with the feedback buttons. For `lukas context`."""

from __future__ import annotations

import attrs

from lukas.application.identity import feedback_stream_id
from lukas.application.ports.event_store import EventStore
from lukas.application.streams import state_of
from lukas.domain.conversation_key import ConversationKey
from lukas.domain.events import ReplyDelivered, ReplyFailed, ReplyGenerated
from lukas.domain.feedback import FEEDBACK


@attrs.frozen
class ReplyFacts:
    outcome: ReplyGenerated | ReplyFailed
    delivered_as: str | None
    good: int
    bad: int


async def reply_facts(
    store: EventStore, key: ConversationKey, message_id: str
) -> ReplyFacts | None:
    """None while the message has no outcome."""
    outcome: ReplyGenerated | ReplyFailed | None = None
    delivered_as: str | None = None
    for recorded in await store.read_stream(key.stream_id):
        event = recorded.event
        if isinstance(event, ReplyGenerated | ReplyFailed) and event.reply_to == message_id:
            outcome = event
        elif isinstance(event, ReplyDelivered) and event.reply_to == message_id:
            delivered_as = event.platform_message_id
    if outcome is None:
        return None
    good = bad = 0
    if delivered_as is not None:
        state, _ = await state_of(store, feedback_stream_id(delivered_as), FEEDBACK)
        good = sum(state.verdicts.values())
        bad = len(state.verdicts) - good
    return ReplyFacts(outcome, delivered_as, good, bad)
