"""Builds the context window for a message from the conversation's recorded events."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Protocol

import attrs

from lukas.application.ports.event_store import EventStore
from lukas.application.ports.token_counter import TokenCounter
from lukas.application.projections.conversation_history import HistoryEntry, history_from
from lukas.domain.context_window import (
    ContextLimits,
    ContextMessage,
    ContextWindow,
    Exchange,
    Role,
    build_context_window,
)
from lukas.domain.conversation_key import ConversationKey


class Turn(Protocol):
    """One exchange of a conversation, named by the event that opened it."""

    @property
    def message_id(self) -> str: ...

    @property
    def exchange(self) -> Exchange: ...


@attrs.frozen
class ContextBuilder:
    prompt: str
    limits: ContextLimits
    # The prompt's tokens are counted when the first window is built, not when Lukas is
    # wired: start-up need not wait for the counter's encoding to load.
    _count_prompt: Callable[[], int] = attrs.field(eq=False, repr=False)

    @classmethod
    def for_prompt(cls, prompt: str, prompt_tokens: int, limits: ContextLimits) -> ContextBuilder:
        return cls(prompt, limits, lambda: prompt_tokens)

    @classmethod
    def counted_by(
        cls, prompt: str, counter: TokenCounter, limits: ContextLimits
    ) -> ContextBuilder:
        return cls(prompt, limits, functools.partial(counter.count, prompt))

    @functools.cached_property
    def system(self) -> ContextMessage:
        return ContextMessage(Role.SYSTEM, self.prompt, self._count_prompt())

    @property
    def tail_size(self) -> int:
        """Events to read from a stream's end to see `max_pairs` exchanges before a message.

        An exchange is at most three events (message, reply, delivery); one spare exchange
        covers a reply recorded after a newer message arrived.
        """
        return 3 * (self.limits.max_pairs + 2)

    @property
    def turns_kept(self) -> int:
        """Turns to keep of a conversation held in memory: the newest message and the
        `max_pairs` before it, and as many again for a message answered while newer ones
        wait behind it."""
        return 2 * (self.limits.max_pairs + 1)

    def build(
        self, entries: Sequence[Turn], message_id: str, max_tokens: int | None = None
    ) -> ContextWindow:
        """The window for answering `message_id`: it, and the exchanges before it.

        `max_tokens` tightens the budget, for a model that found the usual one too long.
        """
        at = next(i for i, entry in enumerate(entries) if entry.message_id == message_id)
        history = [entry.exchange for entry in entries[:at]]
        limits = (
            self.limits if max_tokens is None else attrs.evolve(self.limits, max_tokens=max_tokens)
        )
        current = entries[at].exchange.user
        if current is None:
            raise NoMessageError(f"{message_id} is Lukas's own opening, not a message to answer")
        return build_context_window(self.system, history, current, limits)


class NoMessageError(LookupError):
    pass


async def context_at(
    store: EventStore, builder: ContextBuilder, key: ConversationKey, position: int | None
) -> tuple[ContextWindow, HistoryEntry]:
    """The window the model was (or would be) sent for the newest message at `position`."""
    events = await store.read_stream(key.stream_id)
    if position is not None:
        events = [e for e in events if e.position <= position]
    entries = history_from(events)
    if not entries:
        where = "" if position is None else f" at or before position {position}"
        raise NoMessageError(f"conversation {key} has no message{where}")
    return builder.build(entries, entries[-1].message_id), entries[-1]
