"""A conversation's exchanges, folded from its events: what the context window is built from."""

from __future__ import annotations

from collections.abc import Iterable

import attrs

from lukas.application.ports.event_store import RecordedEvent
from lukas.domain.context_window import ContextMessage, Exchange, Role, as_spoken
from lukas.domain.events import CheckInOpened, MessageReceived, ReplyGenerated


@attrs.frozen
class HistoryEntry:
    message_id: str
    position: int
    exchange: Exchange


def user_message(event: MessageReceived) -> ContextMessage:
    # token_count was taken of exactly this rendering when the event was made.
    return ContextMessage(Role.USER, as_spoken(event.author_name, event.text), event.token_count)


def opener(event: CheckInOpened) -> Exchange:
    """Lukas's first words in a conversation he started: what the member is answering."""
    return Exchange(None, ContextMessage(Role.ASSISTANT, event.text, event.token_count))


def history_from(events: Iterable[RecordedEvent]) -> list[HistoryEntry]:
    """Exchanges in order. A reply whose message is not among `events` is left out."""
    entries: list[HistoryEntry] = []
    index: dict[str, int] = {}
    for recorded in events:
        event = recorded.event
        if isinstance(event, MessageReceived):
            index[recorded.event_id] = len(entries)
            entries.append(
                HistoryEntry(recorded.event_id, recorded.position, Exchange(user_message(event)))
            )
        elif isinstance(event, CheckInOpened):
            entries.append(HistoryEntry(recorded.event_id, recorded.position, opener(event)))
        elif isinstance(event, ReplyGenerated) and event.reply_to in index:
            entries[index[event.reply_to]] = with_reply(entries[index[event.reply_to]], event)
    return entries


def with_reply(entry: HistoryEntry, reply: ReplyGenerated) -> HistoryEntry:
    answer = ContextMessage(Role.ASSISTANT, reply.text, reply.token_count)
    # Made directly, not by attrs.evolve: folding a long log calls this once per reply.
    return HistoryEntry(entry.message_id, entry.position, Exchange(entry.exchange.user, answer))
