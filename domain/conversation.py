"""The rules of one conversation as a decider: decide(command, state), evolve(state, event).

The state is folded from the recent events of the conversation's stream. It is enough to
answer the questions the rules ask: has this message been answered, delivered, and which
fallback did Lukas use last.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import attrs

from lukas.domain.conversation_key import ConversationKey
from lukas.domain.events import (
    DeliveryClaimed,
    DomainEvent,
    MessageReceived,
    ReplyDelivered,
    ReplyFailed,
    ReplyGenerated,
    Usage,
)
from lukas.domain.failures import FailureKind
from lukas.domain.routing import Route


@attrs.frozen
class ConversationState:
    answered: frozenset[str] = frozenset()
    delivered: frozenset[str] = frozenset()
    last_fallback: str | None = None


INITIAL_STATE = ConversationState()


# Commands -----------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class ReceiveMessage:
    conversation: ConversationKey
    author_id: str
    author_name: str
    text: str
    platform_message_id: str
    token_count: int
    route: Route


@attrs.frozen(kw_only=True)
class RecordReply:
    message_id: str
    text: str
    provider: str
    model: str
    usage: Usage | None
    finish_reason: str
    latency_ms: int
    context_tokens: int
    token_count: int


@attrs.frozen(kw_only=True)
class RecordFailure:
    message_id: str
    kind: FailureKind
    detail: str
    attempts: int
    fallback_text: str


@attrs.frozen(kw_only=True)
class RecordDelivery:
    message_id: str
    platform_message_id: str


@attrs.frozen(kw_only=True)
class RecordClaim:
    """Take over delivering a recorded reply whose first deliverer is gone."""

    message_id: str


Command = ReceiveMessage | RecordReply | RecordFailure | RecordDelivery | RecordClaim


class ConversationRuleError(Exception):
    """A command that the conversation's rules do not allow."""


def decide(command: Command, state: ConversationState) -> list[DomainEvent]:
    match command:
        case ReceiveMessage():
            return [
                MessageReceived(
                    conversation=command.conversation,
                    author_id=command.author_id,
                    author_name=command.author_name,
                    text=command.text,
                    platform_message_id=command.platform_message_id,
                    token_count=command.token_count,
                    route=command.route,
                )
            ]
        case RecordReply():
            if command.message_id in state.answered:
                return []  # answered already: Lukas never answers twice
            if not command.text.strip():
                raise ConversationRuleError("a reply must have visible text")
            return [
                ReplyGenerated(
                    reply_to=command.message_id,
                    text=command.text,
                    provider=command.provider,
                    model=command.model,
                    usage=command.usage,
                    finish_reason=command.finish_reason,
                    latency_ms=command.latency_ms,
                    context_tokens=command.context_tokens,
                    token_count=command.token_count,
                )
            ]
        case RecordFailure():
            if command.message_id in state.answered:
                return []
            return [
                ReplyFailed(
                    reply_to=command.message_id,
                    kind=command.kind,
                    detail=command.detail,
                    attempts=command.attempts,
                    fallback_text=command.fallback_text,
                )
            ]
        case RecordClaim():
            if command.message_id in state.delivered or command.message_id not in state.answered:
                return []
            return [DeliveryClaimed(reply_to=command.message_id)]
        case RecordDelivery():
            if command.message_id in state.delivered:
                return []
            if command.message_id not in state.answered:
                raise ConversationRuleError("cannot deliver a reply that was never made")
            return [
                ReplyDelivered(
                    reply_to=command.message_id,
                    platform_message_id=command.platform_message_id,
                )
            ]


def evolve(state: ConversationState, event: DomainEvent) -> ConversationState:
    match event:
        case MessageReceived():
            return state
        case ReplyGenerated():
            return attrs.evolve(state, answered=state.answered | {event.reply_to})
        case ReplyFailed():
            return attrs.evolve(
                state,
                answered=state.answered | {event.reply_to},
                last_fallback=event.fallback_text,
            )
        case ReplyDelivered():
            return attrs.evolve(state, delivered=state.delivered | {event.reply_to})
        case _:
            # Other streams' events, and claims, change nothing the rules ask about.
            return state


def fold(
    events: Sequence[DomainEvent], state: ConversationState = INITIAL_STATE
) -> ConversationState:
    for event in events:
        state = evolve(state, event)
    return state


def forget(state: ConversationState, message_ids: Iterable[str]) -> ConversationState:
    """The state without those of `message_ids` that are answered and delivered: for a
    state kept in memory as the conversation grows. Nothing is left to decide about a
    finished message but a repeat, which the store absorbs (its outcome's id is taken) or
    the rules turn down (a claim of what is not answered is nothing)."""
    finished = {m for m in message_ids if m in state.answered and m in state.delivered}
    if not finished:
        return state
    return attrs.evolve(
        state, answered=state.answered - finished, delivered=state.delivered - finished
    )


def choose_fallback(phrases: Sequence[str], previous: str | None, draw: float) -> str:
    """A fallback phrase picked by `draw` in [0, 1), never the one sent last time."""
    if not phrases:
        raise ValueError("no fallback phrases to choose from")
    candidates = [p for p in phrases if p != previous] or list(phrases)
    index = min(int(draw * len(candidates)), len(candidates) - 1)
    return candidates[index]
