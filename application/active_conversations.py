"""The conversations this process is answering, kept in memory between messages.

A conversation is read once, from its tail, when it first comes up; after that the events
this process appends move it forward without a read. Another writer (a second process, a
check-in opening the conversation) shows up as a version conflict on the next append, and
only what it appended is read.
"""

from __future__ import annotations

from collections import OrderedDict

from lukas.application.context import ContextBuilder
from lukas.application.known_conversation import KnownConversation
from lukas.application.ports.event_store import EventStore
from lukas.domain.conversation_key import ConversationKey

# Conversations kept at once, least recently used dropped first. A busy workspace has a
# few hundred going within the hour; each holds at most `turns_kept` turns (a few KB, tens
# with long messages), so a full map is tens of MB at most. One dropped is read again
# from its tail when it comes back: one read, the cost every message paid before.
ACTIVE_CONVERSATIONS = 1_000


class ActiveConversations:
    def __init__(
        self, store: EventStore, context: ContextBuilder, capacity: int = ACTIVE_CONVERSATIONS
    ) -> None:
        if capacity < 1:
            raise ValueError(f"capacity must be at least 1, not {capacity}")
        self._store = store
        self._context = context
        self._capacity = capacity
        self._known: OrderedDict[str, KnownConversation] = OrderedDict()

    def __len__(self) -> int:
        return len(self._known)

    def drop_held(self) -> None:
        """Lets go of every conversation: after a person was forgotten, each is read again,
        their words then reading as forgotten."""
        self._known.clear()

    async def recall(self, key: ConversationKey, *, whole_state: bool = False) -> KnownConversation:
        """The conversation as this process knows it, read from its tail if it does not.
        `whole_state`: the state must be folded from the first event (for a command about
        a message that may be older than any tail)."""
        known = self._known.get(key.stream_id)
        if known is not None and (known.whole_state or not whole_state):
            self._known.move_to_end(key.stream_id)
            return known
        if whole_state:
            events = await self._store.read_stream(key.stream_id)
        else:
            events = await self._store.read_stream_tail(key.stream_id, self._context.tail_size)
        return self._remember(key, KnownConversation.read_from(events, self._context.turns_kept))

    async def catch_up(self, key: ConversationKey, known: KnownConversation) -> KnownConversation:
        """`known`, with what other writers appended since its version."""
        events = await self._store.read_stream(key.stream_id, known.version + 1)
        if known.catch_up(events):
            return known
        # The stream does not follow on from what was known: start again from the tail.
        self._known.pop(key.stream_id, None)
        return await self.recall(key, whole_state=known.whole_state)

    async def read_back(self, key: ConversationKey, message_id: str) -> KnownConversation:
        """All the turns back to `message_id` and the `max_pairs` before it (or to the
        stream's start), for a message the turns kept do not reach: one answered after a
        restart, or a tail of long exchanges. Each read goes twice as far back as the one
        before, so an old message costs its distance from the end, not the whole stream.
        The conversation is kept as the last read found it."""
        pairs = self._context.limits.max_pairs
        count = self._context.tail_size
        while True:
            count *= 2
            events = await self._store.read_stream_tail(key.stream_id, count)
            found = KnownConversation.read_from(events, keep=len(events))
            if found.whole_history or found.turns_to_answer(message_id, pairs) is not None:
                break
        self._remember(key, KnownConversation.read_from(events, self._context.turns_kept))
        return found

    def _remember(self, key: ConversationKey, known: KnownConversation) -> KnownConversation:
        self._known[key.stream_id] = known
        self._known.move_to_end(key.stream_id)
        while len(self._known) > self._capacity:
            self._known.popitem(last=False)
        return known
