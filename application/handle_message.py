"""The use case at Lukas's heart: record a message, answer it, deliver the answer.

The message is an event before the model is called, so nothing said to Lukas is lost to a
crash. Every step appends with the stream's expected version; every event id is derived
from what it is about, so a duplicate delivery or a second process never answers twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import attrs

from lukas.application.context import ContextBuilder
from lukas.application.conversation_locks import ConversationLocks
from lukas.application.identity import delivery_event_id, message_event_id, outcome_event_id
from lukas.application.ports.chat_channel import ChatChannel, DeliveryError
from lukas.application.ports.chat_model import ChatModel, ChatModelError, Completion
from lukas.application.ports.clock import Clock
from lukas.application.ports.event_store import (
    ConcurrencyError,
    EventMetadata,
    EventStore,
    NewEvent,
    RecordedEvent,
)
from lukas.application.ports.token_counter import TokenCounter
from lukas.application.projections.conversation_history import history_from
from lukas.domain import conversation
from lukas.domain.context_window import ContextWindow
from lukas.domain.conversation import (
    ConversationState,
    ReceiveMessage,
    RecordDelivery,
    RecordFailure,
    RecordReply,
)
from lukas.domain.conversation_key import ConversationKey
from lukas.domain.events import DomainEvent, ReplyFailed, ReplyGenerated
from lukas.domain.failures import FailureKind
from lukas.domain.persona import FALLBACK_RESPONSES, MESSAGE_TOO_LONG

log = logging.getLogger(__name__)

# A conflict means another writer appended in between; re-reading and deciding again
# settles it within a few rounds unless something is badly wrong.
_CONFLICT_ROUNDS = 5


class ConversationBusyError(Exception):
    """Other writers kept changing the conversation; the message stays recorded, unanswered."""


@attrs.frozen
class IncomingMessage:
    conversation: ConversationKey
    author_id: str
    author_name: str
    text: str
    platform_message_id: str


@attrs.frozen
class Outcome:
    message_id: str
    reply_text: str | None = None
    failure: FailureKind | None = None
    delivered: bool = False
    duplicate: bool = False


@attrs.frozen
class _Decided:
    events: list[DomainEvent]  # what this call appended; empty when there was nothing new
    tail: list[RecordedEvent]  # the stream's end it decided on


class MessageHandler:
    def __init__(
        self,
        *,
        store: EventStore,
        model: ChatModel,
        channel: ChatChannel,
        counter: TokenCounter,
        clock: Clock,
        context: ContextBuilder,
        random: Callable[[], float],
        fallbacks: tuple[str, ...] = FALLBACK_RESPONSES,
    ) -> None:
        self._store = store
        self._model = model
        self._channel = channel
        self._counter = counter
        self._clock = clock
        self._context = context
        self._random = random
        self._fallbacks = fallbacks
        self._locks = ConversationLocks()

    async def handle(self, incoming: IncomingMessage) -> Outcome:
        message_id, is_new = await self.receive(incoming)
        if not is_new:
            return Outcome(message_id, duplicate=True)
        return await self.answer(incoming.conversation, message_id, incoming.platform_message_id)

    async def receive(self, incoming: IncomingMessage) -> tuple[str, bool]:
        """Record the message. Returns its event id and whether it was new."""
        message_id = message_event_id(incoming.conversation, incoming.platform_message_id)
        command = ReceiveMessage(
            conversation=incoming.conversation,
            author_id=incoming.author_id,
            author_name=incoming.author_name,
            text=incoming.text,
            platform_message_id=incoming.platform_message_id,
            token_count=self._counter.count(incoming.text),
        )
        decided = await self._decide_and_append(
            incoming.conversation, command, message_id, EventMetadata(message_id)
        )
        return message_id, bool(decided.events)

    async def answer(
        self, key: ConversationKey, message_id: str, platform_message_id: str
    ) -> Outcome:
        async with self._locks.hold(key):
            tail = await self._store.read_stream_tail(key.stream_id, self._context.tail_size)
            if message_id in _fold(tail).answered:
                return Outcome(message_id, duplicate=True)
            window = self._context.build(history_from(tail), message_id)
            command = await self._reply_or_fallback(key, message_id, window, tail)
            decided = await self._decide_and_append(
                key, command, outcome_event_id(message_id), EventMetadata(message_id, message_id)
            )
            if not decided.events:  # another process answered first; it delivers its answer
                return Outcome(message_id, duplicate=True)
            outcome = decided.events[0]
            assert isinstance(outcome, ReplyGenerated | ReplyFailed)
            return await self._deliver(key, message_id, platform_message_id, outcome)

    async def _reply_or_fallback(
        self,
        key: ConversationKey,
        message_id: str,
        window: ContextWindow,
        tail: list[RecordedEvent],
    ) -> RecordReply | RecordFailure:
        if not window.fits:
            current = window.messages[-1]
            notice = MESSAGE_TOO_LONG.format(
                tokens=current.content_tokens, limit=self._context.limits.max_tokens
            )
            return RecordFailure(
                message_id=message_id,
                kind=FailureKind.MESSAGE_TOO_LONG,
                detail=f"{current.content_tokens} tokens in one message",
                attempts=0,
                fallback_text=notice,
            )
        started = self._clock.monotonic()
        try:
            completion = await self._model.complete(window.messages)
        except ChatModelError as error:
            # Without credentials every message fails the same way; the operator was told once.
            level = (
                logging.INFO if error.kind is FailureKind.MISSING_CREDENTIALS else logging.WARNING
            )
            log.log(level, "no reply for %s from %s: %s", key, self._model.name, error)
            return self._fallback(message_id, error.kind, error.detail, error.attempts, tail)
        if not completion.text.strip():
            log.warning("empty reply for %s from %s", key, self._model.name)
            detail = f"finish_reason={completion.finish_reason}"
            return self._fallback(message_id, FailureKind.EMPTY_REPLY, detail, 1, tail)
        return self._reply(message_id, completion, window, started)

    def _reply(
        self, message_id: str, completion: Completion, window: ContextWindow, started: float
    ) -> RecordReply:
        return RecordReply(
            message_id=message_id,
            text=completion.text,
            provider=completion.provider,
            model=completion.model,
            usage=completion.usage,
            finish_reason=completion.finish_reason,
            latency_ms=round((self._clock.monotonic() - started) * 1000),
            context_tokens=window.total_tokens,
            token_count=self._counter.count(completion.text),
        )

    def _fallback(
        self,
        message_id: str,
        kind: FailureKind,
        detail: str,
        attempts: int,
        tail: list[RecordedEvent],
    ) -> RecordFailure:
        previous = _fold(tail).last_fallback
        text = conversation.choose_fallback(self._fallbacks, previous, self._random())
        return RecordFailure(
            message_id=message_id, kind=kind, detail=detail, attempts=attempts, fallback_text=text
        )

    async def _deliver(
        self,
        key: ConversationKey,
        message_id: str,
        platform_message_id: str,
        outcome: ReplyGenerated | ReplyFailed,
    ) -> Outcome:
        text = outcome.text if isinstance(outcome, ReplyGenerated) else outcome.fallback_text
        failure = outcome.kind if isinstance(outcome, ReplyFailed) else None
        try:
            posted_id = await self._channel.send_reply(key, platform_message_id, text)
        except DeliveryError as error:
            log.warning("reply for %s not delivered (kept for later): %s", key, error)
            return Outcome(message_id, reply_text=text, failure=failure, delivered=False)
        await self._decide_and_append(
            key,
            RecordDelivery(message_id=message_id, platform_message_id=posted_id),
            delivery_event_id(message_id),
            EventMetadata(message_id, outcome_event_id(message_id)),
        )
        return Outcome(message_id, reply_text=text, failure=failure, delivered=True)

    async def _decide_and_append(
        self,
        key: ConversationKey,
        command: conversation.Command,
        event_id: str,
        metadata: EventMetadata,
    ) -> _Decided:
        """Decide on the stream's current state and append, deciding again after a conflict."""
        for _ in range(_CONFLICT_ROUNDS):
            tail = await self._store.read_stream_tail(key.stream_id, self._context.tail_size)
            events = conversation.decide(command, _fold(tail))
            if not events:
                return _Decided(events=[], tail=tail)
            version = tail[-1].version if tail else 0
            new = [NewEvent(event_id, event, metadata) for event in events]
            try:
                result = await self._store.append(key.stream_id, new, version)
            except ConcurrencyError:
                continue
            return _Decided(events=[] if result.was_duplicate else events, tail=tail)
        raise ConversationBusyError(
            f"{key}: gave up after {_CONFLICT_ROUNDS} conflicting appends in a row"
        )


def _fold(tail: list[RecordedEvent]) -> ConversationState:
    return conversation.fold([recorded.event for recorded in tail])
