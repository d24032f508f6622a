"""Deliveries from a chat platform: recorded first, acknowledged, then read into a
conversation.

The platform's delivery is appended to the `inbox` stream before it is acknowledged, so
nothing acknowledged is lost to a crash or a stop: everything after works from the log.
Reading a delivery into a conversation may ask the platform (a name, a channel list) and
the log (which DM session, whether Lukas follows a thread, whether he joins a new one);
what it decides is recorded: the message with its route (see Inbound), or why it was not
for Lukas. A failure is recorded too, and recovery tries again.
"""

from __future__ import annotations

import logging
from datetime import datetime

import attrs

from lukas.application.dm_sessions import DmSessions
from lukas.application.handle_message import IncomingMessage
from lukas.application.identity import derive_event_id
from lukas.application.inbound import Inbound, RecordedMessage
from lukas.application.live_settings import SettingsSource
from lukas.application.people import PeopleDirectory
from lukas.application.ports.channels import ChannelDirectory, Reactions
from lukas.application.ports.clock import Clock
from lukas.application.ports.event_store import EventMetadata, EventStore, NewEvent
from lukas.application.ports.platform_text import PlatformText
from lukas.application.proactive import ThreadJudge
from lukas.application.projections.pending_work import Delivery
from lukas.domain.conversation_key import ConversationKey
from lukas.domain.events import InboundFailed, InboundIgnored, InboundReceived

log = logging.getLogger(__name__)

INBOX_STREAM = "inbox"
# A delivery that could not be read this many times is given up, with the reason recorded.
MAX_ATTEMPTS = 5


def inbound_event_id(received: InboundReceived) -> str:
    # The platform's own identity of the message: a redelivery, or the twin events Slack
    # sends for one mention, land on the same id and are absorbed by the store.
    return derive_event_id("inbound", received.platform, received.channel, received.ts)


class MonitoredChannels:
    """The ids of the channels in force, looked up again only when an admin changes them."""

    def __init__(self, settings: SettingsSource, directory: ChannelDirectory) -> None:
        self._settings = settings
        self._directory = directory
        self._names: tuple[str, ...] | None = None
        self._ids: frozenset[str] = frozenset()

    async def ids(self) -> frozenset[str]:
        names = (await self._settings.current()).monitored_channels
        if names != self._names:
            found = await self._directory.resolve_channels(names)
            self._names, self._ids = names, frozenset(found.values())
        return self._ids


@attrs.frozen
class Unasked:
    """What Lukas needs to speak up unasked in new threads; None where he never does."""

    judge: ThreadJudge
    monitored: MonitoredChannels
    reactions: Reactions


class Inbox:
    def __init__(
        self,
        *,
        store: EventStore,
        clock: Clock,
        inbound: Inbound,
        sessions: DmSessions,
        people: PeopleDirectory,
        text: PlatformText,
        unasked: Unasked | None = None,
        instance_id: str | None = None,
    ) -> None:
        self._store = store
        self._clock = clock
        self._inbound = inbound
        self._sessions = sessions
        self._people = people
        self._text = text
        self._unasked = unasked
        self._instance_id = instance_id
        # Deliveries this process is reading now; recovery leaves them alone.
        self._in_flight: set[str] = set()

    def is_busy_with(self, event_id: str) -> bool:
        return event_id in self._in_flight

    async def record(self, received: InboundReceived) -> Delivery | None:
        """Append the delivery to the log; None when it was recorded before (a
        redelivery). Raises EventStoreError when the log cannot be written: then the
        delivery must not be acknowledged."""
        event_id = inbound_event_id(received)
        metadata = EventMetadata(event_id, None, self._instance_id)
        at = self._clock.now()
        result = await self._store.append(
            INBOX_STREAM, [NewEvent(event_id, received, metadata)], None
        )
        return None if result.was_duplicate else Delivery(event_id, received, at)

    async def settle(self, pending: Delivery) -> RecordedMessage | None:
        """Read a recorded delivery into its conversation. Returns the message to carry
        out, or None when it is not for Lukas or was read before. A failure is recorded
        (recovery tries again) and raised."""
        self._in_flight.add(pending.event_id)
        try:
            return await self._settle(pending)
        except Exception as error:
            attempt = pending.failures + 1
            reason = f"{type(error).__name__}: {error}"
            if attempt >= MAX_ATTEMPTS:
                reason = f"given up after {attempt} attempts; the last: {reason}"
                await self._ignore(pending, reason)
            else:
                await self._record(
                    InboundFailed(received=pending.event_id, attempt=attempt, reason=reason),
                    derive_event_id("inbound-failed", pending.event_id, str(attempt)),
                    pending.event_id,
                )
            raise
        finally:
            self._in_flight.discard(pending.event_id)

    async def _settle(self, pending: Delivery) -> RecordedMessage | None:
        received = pending.received
        found = await self._conversation_of(received, pending.received_at)
        if isinstance(found, str):
            await self._ignore(pending, found)
            return None
        key, unasked = found
        read = await self._text.read(received.text, self._people.name_of)
        incoming = IncomingMessage(
            conversation=key,
            author_id=received.author_id,
            author_name=await self._people.name_of(received.author_id),
            text=read.plain or "(waves)",
            platform_message_id=received.ts,
            unasked=unasked,
            request_text=read.for_requests,
        )
        taken = await self._inbound.record(incoming, cause=pending.event_id)
        return taken.message if taken.is_new else None

    async def _conversation_of(
        self, received: InboundReceived, at: datetime
    ) -> tuple[ConversationKey, bool] | str:
        """The conversation and whether Lukas joined it unasked; or why it is not his."""
        channel, ts, thread_ts = received.channel, received.ts, received.thread_ts
        if received.is_direct:
            # A thread in a DM is one opened in the assistant pane, recorded when it started.
            if thread_ts is not None:
                key = ConversationKey.slack_thread(channel, thread_ts)
                if await self._store.read_stream_tail(key.stream_id, 1):
                    return key, False
            return await self._sessions.conversation_for(channel, ts, at), False
        if received.mentions_me:
            return ConversationKey.slack_thread(channel, thread_ts or ts), False
        if thread_ts is not None:
            key = ConversationKey.slack_thread(channel, thread_ts)
            if not await self._store.read_stream_tail(key.stream_id, 1):
                return "a thread Lukas is not part of"
            if self._unasked and not await self._unasked.judge.keeps_following(
                channel, thread_ts, key
            ):
                return "a busy thread Lukas joined unasked: left to the people in it"
            return key, False
        return await self._new_thread(channel, ts)

    async def _new_thread(self, channel: str, ts: str) -> tuple[ConversationKey, bool] | str:
        """A new top-level message: in a monitored channel, judged once (reply, react)."""
        if self._unasked is None:
            return "a channel message not said to Lukas"
        if channel not in await self._unasked.monitored.ids():
            return "a channel message not said to Lukas, in a channel he does not watch"
        judge = self._unasked.judge
        decision = await judge.judge(channel, ts)
        if decision is None:  # judged before (a restart, or another instance): as decided
            decision = await judge.decision_for(channel, ts)
        elif decision.reaction:
            await self._unasked.reactions.add_reaction(channel, ts, decision.reaction)
        if decision is None or not decision.reply:
            return f"not joined: {decision.reason if decision else 'no decision recorded'}"
        return ConversationKey.slack_thread(channel, ts), True

    async def _ignore(self, pending: Delivery, reason: str) -> None:
        log.debug("not for Lukas (%s): %s", pending.event_id, reason)
        await self._record(
            InboundIgnored(received=pending.event_id, reason=reason),
            derive_event_id("inbound-ignored", pending.event_id),
            pending.event_id,
        )

    async def _record(
        self, event: InboundIgnored | InboundFailed, event_id: str, cause: str
    ) -> None:
        metadata = EventMetadata(event_id, cause, self._instance_id)
        await self._store.append(INBOX_STREAM, [NewEvent(event_id, event, metadata)], None)
