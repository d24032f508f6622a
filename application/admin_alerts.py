"""Tells the admins about failures only they can fix, at most once an hour per kind.

The decision is read from the event log, not from memory, so a restart (or a second
process) does not repeat an alert: the AdminAlerted event is appended with the stream's
expected version before anything is sent, and only the process that appended it sends.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from lukas.application.identity import derive_event_id
from lukas.application.ports.chat_channel import ChatChannel, DeliveryError
from lukas.application.ports.clock import Clock
from lukas.application.ports.event_store import (
    ConcurrencyError,
    EventMetadata,
    EventStore,
    NewEvent,
)
from lukas.domain.events import AdminAlerted
from lukas.domain.failures import FailureKind

log = logging.getLogger(__name__)


class AdminAlerts:
    def __init__(
        self,
        *,
        store: EventStore,
        channel: ChatChannel,
        clock: Clock,
        admins: tuple[str, ...],
        instance_id: str | None = None,
        interval: timedelta = timedelta(hours=1),
    ) -> None:
        self._store = store
        self._channel = channel
        self._clock = clock
        self._admins = admins
        self._instance_id = instance_id
        self._interval = interval

    async def alert(self, kind: FailureKind, text: str, cause: str) -> bool:
        """Alert unless one of this kind went out within the interval; True if sent."""
        stream = f"admin-alerts:{kind.value}"
        tail = await self._store.read_stream_tail(stream, 1)
        last = tail[-1] if tail else None
        if last is not None and self._clock.now() - last.recorded_at < self._interval:
            return False
        version = last.version if last is not None else 0
        event_id = derive_event_id("alert", stream, str(version + 1))
        event = AdminAlerted(kind=kind, text=text, admins=self._admins)
        metadata = EventMetadata(cause, cause, self._instance_id)
        try:
            await self._store.append(stream, [NewEvent(event_id, event, metadata)], version)
        except ConcurrencyError:
            return False  # another process alerted a moment ago
        log.warning("alerting admins: %s", text)
        try:
            await self._channel.alert_admins(self._admins, text)
        except DeliveryError as error:
            log.error("the admin alert could not be sent (%s): %s", error, text)
        return True
