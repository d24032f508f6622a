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
from lukas.application.projections.stream_keys import ConversationKeys
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
    _keys: ConversationKeys = attrs.field(factory=ConversationKeys, init=False, eq=False)

    def initial(self) -> RecentExchanges:
        return {}

    def evolve(self, state: RecentExchanges, recorded: RecordedEvent) -> RecentExchanges:
        event = recorded.event
        if isinstance(event, MessageReceived):
            entry = HistoryEntry(
                recorded.event_id, recorded.position, Exchange(user_message(event))
            )
        elif isinstance(event, CheckInOpened):
            entry = HistoryEntry(recorded.event_id, recorded.position, opener(event))
        elif isinstance(event, ReplyGenerated):
            self._answer(state, recorded.stream_id, event)
            return state
        else:
            return state
        key = self._keys.of(recorded.stream_id)
        if key is not None:
            state[key] = (*state.get(key, ()), entry)[-self.keep :]
        return state

    def _answer(self, state: RecentExchanges, stream_id: str, reply: ReplyGenerated) -> None:
        key = self._keys.of(stream_id)
        if key is None:
            return
        entries = state.setdefault(key, ())
        # A reply answers one message, nearly always the newest: look from the end.
        for index in range(len(entries) - 1, -1, -1):
            if entries[index].message_id == reply.reply_to:
                answered = with_reply(entries[index], reply)
                state[key] = (*entries[:index], answered, *entries[index + 1 :])
                return
