"""The use case at Lukas's heart: record a message, answer it, deliver the answer.

The message is an event before the model is called, so nothing said to Lukas is lost to a
crash. Every step appends with the stream's expected version; every event id is derived
from what it is about, so a duplicate delivery or a second process never answers twice.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Literal

import anyio
import attrs

from lukas.application.active_conversations import ActiveConversations
from lukas.application.compose_reply import ReplyComposer
from lukas.application.context import ContextBuilder, Turn
from lukas.application.conversation_locks import ConversationLocks
from lukas.application.identity import (
    claim_event_id,
    delivery_event_id,
    message_event_id,
    outcome_event_id,
    stream_closed_event_id,
    stream_event_id,
)
from lukas.application.known_conversation import KnownConversation
from lukas.application.ports.chat_channel import (
    ChatChannel,
    DeliveryError,
    Rateable,
    StreamNotOpenError,
)
from lukas.application.ports.event_store import (
    AppendResult,
    ConcurrencyError,
    EventMetadata,
    EventStore,
    NewEvent,
)
from lukas.application.ports.token_counter import TokenCounter
from lukas.application.ports.tool_actions import Author
from lukas.application.stream_writer import StreamWriter
from lukas.application.thinking_sign import ThinkingSign
from lukas.domain import conversation
from lukas.domain.context_window import as_spoken
from lukas.domain.conversation import (
    CloseStream,
    ReceiveMessage,
    RecordClaim,
    RecordDelivery,
    RecordFailure,
    StartStream,
    is_model_written,
)
from lukas.domain.conversation_key import ConversationKey
from lukas.domain.events import DomainEvent, MessageReceived, ReplyFailed, ReplyGenerated
from lukas.domain.failures import FailureKind
from lukas.domain.persona import MISSED_APOLOGY, STREAM_CUT_NOTE
from lukas.domain.routing import Route

log = logging.getLogger(__name__)

# A conflict means another writer appended in between; catching up and deciding again
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
    # Lukas joined unasked (a new thread he chose to answer): conversation, never a request.
    unasked: bool = False
    # The words as requests are read from them, when the platform's markup says more than
    # `text` (on Slack, people and channels by id); None: `text` itself.
    request_text: str | None = None


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


class MessageHandler:
    def __init__(
        self,
        *,
        store: EventStore,
        composer: ReplyComposer,
        channel: ChatChannel,
        counter: TokenCounter,
        context: ContextBuilder,
        instance_id: str | None = None,
    ) -> None:
        self._store = store
        self._composer = composer
        self._channel = channel
        self._counter = counter
        self._context = context
        self._instance_id = instance_id
        self._locks = ConversationLocks()
        # Messages are recorded one at a time per conversation, in the order they came in:
        # an append may wait inside the store (the sealing store asking after deleted
        # keys), and a message that came later must not be recorded, so answered, first.
        # Apart from `_locks`, so recording never waits for an answer being written.
        self._recording = ConversationLocks()
        # What this process knows of each conversation it answers, so a reply reads only
        # what another writer appended since.
        self._conversations = ActiveConversations(store, context)
        # Messages this process has taken and not finished; recovery leaves them alone.
        self._in_flight: set[str] = set()

    def drop_held(self) -> None:
        """Lets go of the conversations kept in memory (a person was forgotten)."""
        self._conversations.drop_held()

    def is_busy_with(self, message_id: str) -> bool:
        return message_id in self._in_flight

    async def handle(self, incoming: IncomingMessage) -> Outcome:
        """Record a message said to Lukas as conversation and answer it with the model.
        (Inbound decides the route of what people say; this is the conversation route.)"""
        message_id, is_new = await self.receive(incoming, Route.addressed())
        if not is_new:
            return Outcome(message_id, duplicate=True)
        return await self.answer(incoming.conversation, message_id, incoming.platform_message_id)

    async def receive(
        self, incoming: IncomingMessage, route: Route, *, cause: str | None = None
    ) -> tuple[str, bool]:
        """Record the message and its route. Returns its event id and whether it was new.
        `cause`: the id of the platform delivery it was read from, if recorded apart."""
        message_id = message_event_id(incoming.conversation, incoming.platform_message_id)
        command = ReceiveMessage(
            conversation=incoming.conversation,
            author_id=incoming.author_id,
            author_name=incoming.author_name,
            text=incoming.text,
            platform_message_id=incoming.platform_message_id,
            token_count=self._counter.count(as_spoken(incoming.author_name, incoming.text)),
            route=route,
        )
        self._in_flight.add(message_id)  # before the append: recovery must never see it free
        try:
            async with self._recording.hold(incoming.conversation):
                decided = await self._decide_and_append(
                    incoming.conversation, command, message_id, self._metadata(message_id, cause)
                )
        except BaseException:
            self._in_flight.discard(message_id)
            raise
        if not decided.events:
            self._in_flight.discard(message_id)
        return message_id, bool(decided.events)

    async def answer(
        self,
        key: ConversationKey,
        message_id: str,
        platform_message_id: str,
        *,
        with_tools: bool = True,
    ) -> Outcome:
        """Answer a recorded message. `with_tools` False: the model may not choose a request
        (for a message not addressed to Lukas)."""
        self._in_flight.add(message_id)
        try:
            return await self._answer(key, message_id, platform_message_id, with_tools)
        finally:
            self._in_flight.discard(message_id)

    async def _answer(
        self, key: ConversationKey, message_id: str, platform_message_id: str, with_tools: bool
    ) -> Outcome:
        async with self._locks.hold(key):
            known = await self._conversations.recall(key)
            if not known.holds(message_id):  # recorded by another process: catch up
                known = await self._conversations.catch_up(key, known)
            turns = known.turns_to_answer(message_id, self._context.limits.max_pairs)
            if turns is None:  # the turns kept do not reach far enough back
                known = await self._conversations.read_back(key, message_id)
                turns = known.turns
            if message_id in known.state.answered:
                return Outcome(message_id, duplicate=True)
            thinking = ThinkingSign(self._channel, key, platform_message_id)
            try:
                asker = known.author_of(message_id)
                author = asker if with_tools else None
                if self._channel.streams_in(key):
                    return await self._answer_streamed(
                        key,
                        message_id,
                        platform_message_id,
                        turns,
                        known=known,
                        author=author,
                        recipient=asker.member_id if asker else None,
                        thinking=thinking,
                    )
                command = await thinking.alongside(
                    lambda: self._composer.compose(
                        message_id, turns, known.state.last_fallback, author
                    )
                )
                command = _theirs(command, asker)
                return await self._record_and_deliver(key, message_id, platform_message_id, command)
            finally:
                await thinking.take_down()

    async def _answer_streamed(
        self,
        key: ConversationKey,
        message_id: str,
        platform_message_id: str,
        turns: Sequence[Turn],
        *,
        known: KnownConversation,
        author: Author | None,
        recipient: str | None,
        thinking: ThinkingSign,
    ) -> Outcome:
        """The reply written into the platform as the model writes it, then recorded whole;
        the stream is closed once the reply is recorded, and that is its delivery."""

        async def opened(stream_id: str) -> bool:
            decided = await self._decide_and_append(
                key,
                StartStream(message_id=message_id, platform_message_id=stream_id),
                stream_event_id(message_id, stream_id),
                self._metadata(message_id, message_id),
            )
            return bool(decided.events)

        writer = StreamWriter(self._channel, key, platform_message_id, opened, recipient=recipient)
        async with writer.running():
            command = await thinking.alongside(
                lambda: self._composer.compose(
                    message_id, turns, known.state.last_fallback, author, on_text=writer.write
                )
            )
        command = _theirs(command, known.author_of(message_id))
        if writer.stream_id is None:  # nothing was streamed: the reply goes whole
            return await self._record_and_deliver(key, message_id, platform_message_id, command)
        decided = await self._decide_and_append(
            key, command, outcome_event_id(message_id), self._metadata(message_id, message_id)
        )
        if not decided.events:  # answered by another writer meanwhile
            return Outcome(message_id, duplicate=True)
        outcome = decided.events[0]
        assert isinstance(outcome, ReplyGenerated | ReplyFailed)
        return await self._finish_stream(key, message_id, writer, outcome)

    async def _finish_stream(
        self,
        key: ConversationKey,
        message_id: str,
        writer: StreamWriter,
        outcome: ReplyGenerated | ReplyFailed,
    ) -> Outcome:
        assert writer.stream_id is not None
        text = outcome.text if isinstance(outcome, ReplyGenerated) else outcome.fallback_text
        failure = outcome.kind if isinstance(outcome, ReplyFailed) else None
        shown = writer.shown
        # The recorded text starts with everything streamed; only the rest is still to go.
        rest = text[len(shown) :] if text.startswith(shown) else f"\n\n{text}"
        with anyio.CancelScope(shield=True):  # as in _deliver
            try:
                await self._channel.stop_stream(
                    key, writer.stream_id, rest, feedback=_rateable(outcome)
                )
            except DeliveryError as error:
                log.warning("reply for %s not delivered (kept for later): %s", key, error)
                return Outcome(message_id, reply_text=text, failure=failure, delivered=False)
            await self._decide_and_append(
                key,
                RecordDelivery(message_id=message_id, platform_message_id=writer.stream_id),
                delivery_event_id(message_id),
                self._metadata(message_id, outcome_event_id(message_id)),
            )
        return Outcome(message_id, reply_text=text, failure=failure, delivered=True)

    async def close_stream(
        self,
        key: ConversationKey,
        message_id: str,
        stream_id: str,
        outcome: ReplyGenerated | ReplyFailed | None,
    ) -> Literal["closed", "delivered", "failed"]:
        """Close a streamed reply whose writer is gone, with a note that it was cut off, so
        the message can be answered whole ("closed"). "failed" when it could not be closed
        (the platform is away): it stays open for the next try.

        A stream found closed already, with the outcome recorded, was closed by its writer
        right after recording it (the writer died before recording the delivery): that
        is the delivery ("delivered")."""
        async with self._locks.hold(key):
            with anyio.CancelScope(shield=True):
                try:
                    await self._channel.stop_stream(key, stream_id, STREAM_CUT_NOTE)
                except StreamNotOpenError:
                    if outcome is not None:
                        await self._decide_and_append(
                            key,
                            RecordDelivery(message_id=message_id, platform_message_id=stream_id),
                            delivery_event_id(message_id),
                            self._metadata(message_id, outcome_event_id(message_id)),
                            whole_stream=True,
                        )
                        return "delivered"
                except DeliveryError as error:
                    log.warning("could not close the cut-off reply in %s: %s", key, error)
                    return "failed"
                await self._decide_and_append(
                    key,
                    CloseStream(
                        message_id=message_id,
                        platform_message_id=stream_id,
                        reason="its writer stopped before finishing it",
                    ),
                    stream_closed_event_id(message_id, stream_id),
                    self._metadata(message_id, message_id),
                    whole_stream=True,
                )
        return "closed"

    async def answer_directly(
        self,
        key: ConversationKey,
        message_id: str,
        platform_message_id: str,
        text: str,
        reason: str,
    ) -> Outcome:
        """Answer a recorded message with `text` Lukas decided on without the model."""
        self._in_flight.add(message_id)
        try:
            async with self._locks.hold(key):
                command = conversation.RecordReply(
                    message_id=message_id,
                    text=text,
                    provider="lukas",
                    model=reason,
                    usage=None,
                    finish_reason="command",
                    latency_ms=0,
                    context_tokens=0,
                    token_count=self._counter.count(text),
                )
                return await self._record_and_deliver(key, message_id, platform_message_id, command)
        finally:
            self._in_flight.discard(message_id)

    async def apologize(
        self, key: ConversationKey, message_id: str, platform_message_id: str, received_at: datetime
    ) -> Outcome:
        """Answer a message that waited too long while Lukas was down with an apology."""
        async with self._locks.hold(key):
            command = RecordFailure(
                message_id=message_id,
                kind=FailureKind.MISSED,
                detail=f"received {received_at:%Y-%m-%d %H:%M:%S %Z} while Lukas was down",
                attempts=0,
                fallback_text=MISSED_APOLOGY,
            )
            return await self._record_and_deliver(key, message_id, platform_message_id, command)

    async def deliver_recorded(
        self,
        key: ConversationKey,
        message_id: str,
        platform_message_id: str,
        outcome: ReplyGenerated | ReplyFailed,
    ) -> Outcome:
        """Deliver a reply that was recorded but never delivered (its deliverer is gone)."""
        async with self._locks.hold(key):
            decided = await self._decide_and_append(
                key,
                RecordClaim(message_id=message_id),
                None,
                self._metadata(message_id, outcome_event_id(message_id)),
                whole_stream=True,
            )
            if not decided.events:  # delivered or claimed meanwhile by a live process
                return Outcome(message_id, duplicate=True)
            return await self._deliver(
                key, message_id, platform_message_id, outcome, whole_stream=True, look_first=True
            )

    async def _record_and_deliver(
        self,
        key: ConversationKey,
        message_id: str,
        platform_message_id: str,
        command: conversation.RecordReply | RecordFailure,
    ) -> Outcome:
        decided = await self._decide_and_append(
            key, command, outcome_event_id(message_id), self._metadata(message_id, message_id)
        )
        if not decided.events:  # another process answered first; it delivers its answer
            return Outcome(message_id, duplicate=True)
        outcome = decided.events[0]
        assert isinstance(outcome, ReplyGenerated | ReplyFailed)
        return await self._deliver(key, message_id, platform_message_id, outcome)

    async def _deliver(
        self,
        key: ConversationKey,
        message_id: str,
        platform_message_id: str,
        outcome: ReplyGenerated | ReplyFailed,
        *,
        whole_stream: bool = False,
        look_first: bool = False,
    ) -> Outcome:
        text = outcome.text if isinstance(outcome, ReplyGenerated) else outcome.fallback_text
        failure = outcome.kind if isinstance(outcome, ReplyFailed) else None
        # Shielded from a stop: a reply posted but not recorded as delivered would be
        # posted again by the next start.
        with anyio.CancelScope(shield=True):
            try:
                # A reply its first deliverer may have posted just before it died (a kill
                # cannot be shielded) is looked for first, so it is not posted twice.
                found = (
                    await self._channel.find_reply(key, platform_message_id) if look_first else None
                )
                posted_id = found or await self._channel.send_reply(
                    key, platform_message_id, text, feedback=_rateable(outcome)
                )
            except DeliveryError as error:
                log.warning("reply for %s not delivered (kept for later): %s", key, error)
                return Outcome(message_id, reply_text=text, failure=failure, delivered=False)
            await self._decide_and_append(
                key,
                RecordDelivery(message_id=message_id, platform_message_id=posted_id),
                delivery_event_id(message_id),
                self._metadata(message_id, outcome_event_id(message_id)),
                whole_stream=whole_stream,
            )
        return Outcome(message_id, reply_text=text, failure=failure, delivered=True)

    def _metadata(self, correlation_id: str, causation_id: str | None = None) -> EventMetadata:
        return EventMetadata(correlation_id, causation_id, self._instance_id)

    async def _decide_and_append(
        self,
        key: ConversationKey,
        command: conversation.Command,
        event_id: str | None,
        metadata: EventMetadata,
        *,
        whole_stream: bool = False,
    ) -> _Decided:
        """Decide on the conversation as known and append; after a conflict, catch up with
        what the other writer appended and decide again.

        `event_id` None derives the id from the stream version the decision was made at.
        `whole_stream` decides on the state folded from the stream's first event, for
        commands about messages that may be older than the tail.
        """
        known = await self._conversations.recall(key, whole_state=whole_stream)
        if isinstance(command, conversation.RecordReply | RecordFailure) and not command.person_id:
            command = attrs.evolve(command, person_id=await self._asker(key, known, command))
        for _ in range(_CONFLICT_ROUNDS):
            version = known.version
            events = conversation.decide(command, known.state)
            if not events:
                return _Decided(events=[])
            new_id = event_id or claim_event_id(metadata.correlation_id, version)
            new = [NewEvent(new_id, event, metadata) for event in events]
            try:
                result = await self._store.append(key.stream_id, new, version)
            except ConcurrencyError:
                known = await self._conversations.catch_up(key, known)
                continue
            if _followed_on(result, version, new):
                known.advance(version, [(n.event_id, n.event) for n in new])
            else:  # some or all were stored before: what the stream holds is read back
                await self._conversations.catch_up(key, known)
            if result.was_duplicate:
                return _Decided(events=[])
            return _Decided(events=events)
        raise ConversationBusyError(
            f"{key}: gave up after {_CONFLICT_ROUNDS} conflicting appends in a row"
        )

    async def _asker(
        self,
        key: ConversationKey,
        known: KnownConversation,
        command: conversation.RecordReply | RecordFailure,
    ) -> str | None:
        """Who wrote the message a reply answers: the reply is sealed as theirs (ADR 27).
        The kept turns hold recent messages; an older one (recovery) is read from the log."""
        author = known.author_of(command.message_id)
        if author is not None:
            return author.member_id
        for recorded in await self._store.read_stream(key.stream_id):
            if recorded.event_id == command.message_id and isinstance(
                recorded.event, MessageReceived
            ):
                return recorded.event.author_id
        return None


def _theirs(
    command: conversation.RecordReply | RecordFailure, asker: Author | None
) -> conversation.RecordReply | RecordFailure:
    """The reply as the asker's: sealed with their key (ADR 27)."""
    return command if asker is None else attrs.evolve(command, person_id=asker.member_id)


def _rateable(outcome: ReplyGenerated | ReplyFailed) -> Rateable | None:
    if not isinstance(outcome, ReplyGenerated) or not is_model_written(outcome):
        return None
    return Rateable(reply_to=outcome.reply_to, model=f"{outcome.provider}:{outcome.model}")


def _followed_on(result: AppendResult, version: int, new: list[NewEvent]) -> bool:
    """Whether the append put exactly `new` right after `version`."""
    return result.appended == len(new) and result.stream_version == version + len(new)
