"""The live context of every conversation: its most recent exchanges, newest last."""

from __future__ import annotations

import attrs

from lukas.application.ports.event_store import RecordedEvent
from lukas.application.projections.conversation_history import (
    HistoryEntry,
    opener,
    user_message,
    with_reply,
)
from lukas.domain.context_window import Exchange
from lukas.domain.conversation_key import ConversationKey
from lukas.domain.events import CheckInOpened, MessageReceived, ReplyGenerated

# The fold owns its state and updates it in place: copying a map per event would make
# rebuilding the log quadratic in the number of conversations.
RecentExchanges = dict[ConversationKey, tuple[HistoryEntry, ...]]


@attrs.frozen
class ContextWindowsProjection:
    # One more than the pair limit: the newest message plus the pairs before it.
    keep: int

    def initial(self) -> RecentExchanges:
        return {}

    def evolve(self, state: RecentExchanges, recorded: RecordedEvent) -> RecentExchanges:
        key = ConversationKey.from_stream_id(recorded.stream_id)
        event = recorded.event
        if key is None:
            return state
        entries = state.get(key, ())
        if isinstance(event, MessageReceived):
            entry = HistoryEntry(
                recorded.event_id, recorded.position, Exchange(user_message(event))
            )
            state[key] = (*entries, entry)[-self.keep :]
        elif isinstance(event, CheckInOpened):
            entry = HistoryEntry(recorded.event_id, recorded.position, opener(event))
            state[key] = (*entries, entry)[-self.keep :]
        elif isinstance(event, ReplyGenerated):
            state[key] = tuple(
                with_reply(e, event) if e.message_id == event.reply_to else e for e in entries
            )
        return state
