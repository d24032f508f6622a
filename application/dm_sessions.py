"""Which session of a DM channel a message belongs to; the rules are domain/dm_sessions.py.

Each DM channel has an index stream whose ConversationStarted events name its sessions. A
member's message reads how long the current session has been quiet (from that session's
conversation) and then decides through the runner, so two processes agree on one session:
the answer is always the session the index holds after the decision, never one that only
this process meant to start.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from lukas.application.handle_message import ConversationBusyError
from lukas.application.identity import derive_event_id
from lukas.application.ports.clock import Clock
from lukas.application.ports.event_store import EventMetadata, EventStore
from lukas.application.streams import (
    Folded,
    StreamBusyError,
    catch_up_stream,
    decide_on_stream,
)
from lukas.domain.conversation_key import ConversationKey
from lukas.domain.dm_sessions import (
    DM_SESSIONS,
    JoinSession,
    OpenSession,
    SessionCommand,
    SessionState,
    session_stream,
)
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
        # Per channel, so an index that grows for years is read once, then only what is new.
        self._folded: dict[str, Folded[SessionState]] = {}

    async def conversation_for(
        self, channel: str, ts: str, at: datetime | None = None
    ) -> ConversationKey:
        """The conversation a DM with timestamp `ts` in `channel` belongs to. `at`: when it
        arrived, if it is read later than that (after a restart); else now."""
        now = at or self._clock.now()
        folded = await catch_up_stream(
            self._store, session_stream(channel), DM_SESSIONS, self._folded_of(channel)
        )
        current = folded.state.current
        examined = current.key if current else None
        last = await self._store.read_stream_tail(examined.stream_id, 1) if examined else []
        command = JoinSession(
            key=ConversationKey.slack_dm(f"{channel}:{ts}"),
            examined=examined,
            last_activity=last[-1].recorded_at if last else None,
            now=now,
            idle=self._idle,
        )
        return await self._decide(channel, command, derive_event_id("dm", channel, ts))

    async def start(self, channel: str, ts: str) -> ConversationKey:
        """A new conversation in `channel`, opened by Lukas's own message `ts` (a check-in).

        The member's answer, if it comes before the conversation goes quiet, continues it.
        """
        command = OpenSession(key=ConversationKey.slack_dm(f"{channel}:{ts}"))
        cause = derive_event_id("dm-session", channel, "opened-by-lukas", ts)
        return await self._decide(channel, command, cause)

    async def _decide(self, channel: str, command: SessionCommand, cause: str) -> ConversationKey:
        stream = session_stream(channel)
        folded = self._folded_of(channel)
        try:
            decided = await decide_on_stream(
                self._store,
                stream,
                DM_SESSIONS,
                command,
                EventMetadata(cause, None, self._instance_id),
                folded=folded,
            )
        except StreamBusyError as error:
            raise ConversationBusyError(str(error)) from error
        started = [e.conversation for e in decided.events if isinstance(e, ConversationStarted)]
        if started:
            return started[-1]
        current = decided.decided_on.current
        if current is None or decided.version != folded.version:
            # This very decision was stored already (the append was absorbed as a
            # duplicate): read back what the index holds rather than trust what was meant.
            current = (
                await catch_up_stream(self._store, stream, DM_SESSIONS, folded)
            ).state.current
        # The rules start a session whenever there is none, so one is recorded by now.
        assert current is not None
        return current.key

    def _folded_of(self, channel: str) -> Folded[SessionState]:
        return self._folded.setdefault(channel, Folded(DM_SESSIONS.initial))
