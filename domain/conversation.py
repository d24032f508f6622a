"""The rules of one conversation as a decider: decide(command, state), evolve(state, event).

The state is folded from the recent events of the conversation's stream. It is enough to
answer the questions the rules ask: has this message been answered, delivered, is a reply
to it being streamed, and which fallback did Lukas use last.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import attrs

from lukas.domain.conversation_key import ConversationKey
from lukas.domain.events import (
    DeliveryClaimed,
    DomainEvent,
    MessageReceived,
    ReplyDelivered,
    ReplyFailed,
    ReplyGenerated,
    ReplyStreamClosed,
    ReplyStreamStarted,
    Usage,
)
from lukas.domain.failures import FailureKind
from lukas.domain.routing import Route


@attrs.frozen
class ConversationState:
    answered: frozenset[str] = frozenset()
    delivered: frozenset[str] = frozenset()
    last_fallback: str | None = None
    # Messages whose reply is being written into a platform message: its id, by message.
    streaming: Mapping[str, str] = attrs.field(factory=dict)


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
    first_text_ms: int | None = None
    # Whose message this answers, so the reply is sealed as theirs; filled in by whoever
    # holds the message (the handler) when the composer does not know it.
    person_id: str | None = None


@attrs.frozen(kw_only=True)
class RecordFailure:
    message_id: str
    kind: FailureKind
    detail: str
    attempts: int
    fallback_text: str
    person_id: str | None = None  # as in RecordReply


@attrs.frozen(kw_only=True)
class RecordDelivery:
    message_id: str
    platform_message_id: str


@attrs.frozen(kw_only=True)
class RecordClaim:
    """Take over delivering a recorded reply whose first deliverer is gone."""

    message_id: str


@attrs.frozen(kw_only=True)
class StartStream:
    """Begin writing the reply to a message into `platform_message_id` as it comes."""

    message_id: str
    platform_message_id: str


@attrs.frozen(kw_only=True)
class CloseStream:
    """Close a streamed reply its writer left open (it died): it was cut off."""

    message_id: str
    platform_message_id: str
    reason: str


Command = (
    ReceiveMessage
    | RecordReply
    | RecordFailure
    | RecordDelivery
    | RecordClaim
    | StartStream
    | CloseStream
)


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
                    person_id=command.person_id,
                    text=command.text,
                    provider=command.provider,
                    model=command.model,
                    usage=command.usage,
                    finish_reason=command.finish_reason,
                    latency_ms=command.latency_ms,
                    context_tokens=command.context_tokens,
                    token_count=command.token_count,
                    first_text_ms=command.first_text_ms,
                )
            ]
        case RecordFailure():
            if command.message_id in state.answered:
                return []
            return [
                ReplyFailed(
                    reply_to=command.message_id,
                    person_id=command.person_id,
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
        case StartStream() | CloseStream():
            return _decide_stream(command, state)
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


def _decide_stream(
    command: StartStream | CloseStream, state: ConversationState
) -> list[DomainEvent]:
    if isinstance(command, StartStream):
        if command.message_id in state.answered or command.message_id in state.streaming:
            return []  # one stream per answer: another writer is at it, or done
        return [
            ReplyStreamStarted(
                reply_to=command.message_id,
                platform_message_id=command.platform_message_id,
            )
        ]
    if state.streaming.get(command.message_id) != command.platform_message_id:
        return []  # closed already, or delivered
    return [
        ReplyStreamClosed(
            reply_to=command.message_id,
            platform_message_id=command.platform_message_id,
            reason=command.reason,
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
            return attrs.evolve(
                state,
                delivered=state.delivered | {event.reply_to},
                streaming=_without(state.streaming, event.reply_to),
            )
        case ReplyStreamStarted():
            streaming = {**state.streaming, event.reply_to: event.platform_message_id}
            return attrs.evolve(state, streaming=streaming)
        case ReplyStreamClosed():
            return attrs.evolve(state, streaming=_without(state.streaming, event.reply_to))
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


def _without(streaming: Mapping[str, str], message_id: str) -> Mapping[str, str]:
    if message_id not in streaming:
        return streaming
    return {key: value for key, value in streaming.items() if key != message_id}


def is_model_written(outcome: ReplyGenerated | ReplyFailed) -> bool:
    """A reply the model wrote itself, the kind people may rate: not a fallback, not a
    command's answer, not what a request the model chose said."""
    return (
        isinstance(outcome, ReplyGenerated)
        and outcome.provider != "lukas"
        and not outcome.finish_reason.startswith("tool_call")
    )


def choose_fallback(phrases: Sequence[str], previous: str | None, draw: float) -> str:
    """A fallback phrase picked by `draw` in [0, 1), never the one sent last time."""
    if not phrases:
        raise ValueError("no fallback phrases to choose from")
    candidates = [p for p in phrases if p != previous] or list(phrases)
    index = min(int(draw * len(candidates)), len(candidates) - 1)
    return candidates[index]
