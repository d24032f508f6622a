"""Direct messages run for months in one channel; after a long quiet spell, a new conversation.

Old small talk should not fill the context of a question asked weeks later. Each DM channel
has an index stream whose ConversationStarted events name its sessions; a message after
`idle` of silence starts the next one, appended with an expected version so two processes
agree on it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from lukas.application.handle_message import ConversationBusyError
from lukas.application.identity import derive_event_id
from lukas.application.ports.clock import Clock
from lukas.application.ports.event_store import (
    ConcurrencyError,
    EventMetadata,
    EventStore,
    NewEvent,
)
from lukas.domain.conversation_key import ConversationKey
from lukas.domain.events import ConversationStarted


class DmSessions:
    def __init__(
        self,
        store: EventStore,
        clock: Clock,
        idle: timedelta = timedelta(hours=24),
        instance_id: str | None = None,
    ) -> None:
        self._store = store
        self._clock = clock
        self._idle = idle
        self._instance_id = instance_id

    async def conversation_for(
        self, channel: str, ts: str, at: datetime | None = None
    ) -> ConversationKey:
        """The conversation a DM with timestamp `ts` in `channel` belongs to. `at`: when it
        arrived, if it is read later than that (after a restart); else now."""
        now = at or self._clock.now()
        index = f"dm-sessions:{channel}"
        for _ in range(3):
            tail = await self._store.read_stream_tail(index, 1)
            if tail and isinstance(tail[-1].event, ConversationStarted):
                current = tail[-1].event.conversation
                last = await self._store.read_stream_tail(current.stream_id, 1)
                latest = (last or tail)[-1].recorded_at
                if now - latest <= self._idle:
                    return current
            key = ConversationKey.slack_dm(f"{channel}:{ts}")
            version = tail[-1].version if tail else 0
            event_id = derive_event_id("dm-session", channel, str(version + 1))
            event = ConversationStarted(conversation=key)
            try:
                await self._store.append(
                    index,
                    [NewEvent(event_id, event, EventMetadata(event_id, None, self._instance_id))],
                    version,
                )
            except ConcurrencyError:
                continue  # another process started the session just now: use theirs
            return key
        raise ConversationBusyError(f"{index}: other writers kept starting sessions")

    async def start(self, channel: str, ts: str) -> ConversationKey:
        """A new conversation in `channel`, opened by Lukas's own message `ts` (a check-in).

        The member's answer, if it comes before the conversation goes quiet, continues it.
        """
        index = f"dm-sessions:{channel}"
        key = ConversationKey.slack_dm(f"{channel}:{ts}")
        event_id = derive_event_id("dm-session", channel, "opened-by-lukas", ts)
        metadata = EventMetadata(event_id, None, self._instance_id)
        for _ in range(3):
            tail = await self._store.read_stream_tail(index, 1)
            version = tail[-1].version if tail else 0
            try:
                await self._store.append(
                    index,
                    [NewEvent(event_id, ConversationStarted(conversation=key), metadata)],
                    version,
                )
            except ConcurrencyError:
                continue  # the member wrote at the same moment; Lukas's opening still goes last
            return key
        raise ConversationBusyError(f"{index}: other writers kept starting sessions")
