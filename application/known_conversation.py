"""What this process knows of one conversation: its state for the rules, the recent turns
the context is built from, and the stream version both reflect.

Kept between messages and moved forward by the events this process appends (or reads
when another writer got there first), so answering a message reads nothing already known.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import attrs

from lukas.application.ports.event_store import RecordedEvent
from lukas.application.ports.tool_actions import Author
from lukas.application.projections.conversation_history import opener, user_message
from lukas.domain import conversation
from lukas.domain.context_window import ContextMessage, Exchange, Role
from lukas.domain.conversation import INITIAL_STATE, ConversationState
from lukas.domain.events import CheckInOpened, DomainEvent, MessageReceived, ReplyGenerated


@attrs.frozen
class RecentTurn:
    """One exchange as the context sees it, and who opened it (None: Lukas did)."""

    message_id: str
    exchange: Exchange
    author: Author | None


@attrs.define
class KnownConversation:
    """Folded up to `version`. `whole_state`: the state was folded from the stream's first
    event, so it knows every message not yet finished (a state folded from a tail knows
    only the messages in it); finished messages whose turns are dropped are let go of,
    so the state does not grow with the conversation. `whole_history`: the turns are
    every turn the stream has, none left before them."""

    keep: int  # turns kept: the newest, as the context needs them
    version: int = 0
    state: ConversationState = INITIAL_STATE
    whole_state: bool = True
    whole_history: bool = True
    # Insertion order is stream order; a reply replaces its message's turn in place.
    _turns: dict[str, RecentTurn] = attrs.field(factory=dict)

    @classmethod
    def read_from(cls, events: Sequence[RecordedEvent], keep: int) -> KnownConversation:
        """From the stream's last events (or all of them), as read."""
        whole = not events or events[0].version == 1
        known = cls(keep, whole_state=whole, whole_history=whole)
        if events:
            known.version = events[0].version - 1
        known.catch_up(events)
        known.state = conversation.forget(known.state, known.state.answered - known._turns.keys())
        return known

    @property
    def turns(self) -> list[RecentTurn]:
        return list(self._turns.values())

    def holds(self, message_id: str) -> bool:
        return message_id in self._turns

    def turns_to_answer(self, message_id: str, pairs: int) -> list[RecentTurn] | None:
        """The turns, when they hold `message_id` and as many turns before it as the whole
        stream would give the context (up to `pairs`); None when they do not."""
        for at, turn_id in enumerate(self._turns):
            if turn_id == message_id:
                return self.turns if at >= pairs or self.whole_history else None
        return None

    def author_of(self, message_id: str) -> Author | None:
        turn = self._turns.get(message_id)
        return turn.author if turn is not None else None

    def catch_up(self, events: Iterable[RecordedEvent]) -> bool:
        """Fold what was read from the stream after `version`; events already folded (two
        tasks catching up at once) are skipped. False, and nothing folded past the gap,
        when the events do not follow on from `version`."""
        for recorded in events:
            if recorded.version <= self.version:
                continue
            if recorded.version != self.version + 1:
                return False
            self._fold(recorded.event_id, recorded.event)
        return True

    def advance(self, from_version: int, appended: Sequence[tuple[str, DomainEvent]]) -> None:
        """Fold what this process appended at `from_version`, unless the conversation moved
        meanwhile (another task caught up past it, and has folded these events already)."""
        if self.version != from_version:
            return
        for event_id, event in appended:
            self._fold(event_id, event)

    def _fold(self, event_id: str, event: DomainEvent) -> None:
        self.state = conversation.evolve(self.state, event)
        self.version += 1
        self._take_turn(event_id, event)
        while len(self._turns) > self.keep:
            dropped = next(iter(self._turns))
            del self._turns[dropped]
            self.whole_history = False
            self.state = conversation.forget(self.state, [dropped])

    def _take_turn(self, event_id: str, event: DomainEvent) -> None:
        # The same turns, turn for turn, as history_from gives from the same events.
        if isinstance(event, MessageReceived):
            author = Author(event.author_id, event.author_name)
            self._turns[event_id] = RecentTurn(event_id, Exchange(user_message(event)), author)
        elif isinstance(event, CheckInOpened):
            self._turns[event_id] = RecentTurn(event_id, opener(event), None)
        elif isinstance(event, ReplyGenerated):
            turn = self._turns.get(event.reply_to)
            # A reply to a message older than the turns kept is left out, as from a tail.
            if turn is not None and turn.exchange.user is not None:
                answer = ContextMessage(Role.ASSISTANT, event.text, event.token_count)
                exchange = attrs.evolve(turn.exchange, assistant=answer)
                self._turns[event.reply_to] = attrs.evolve(turn, exchange=exchange)
