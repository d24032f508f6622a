"""Tells the admins about failures only they can fix, at most once an hour per kind.

The decision is read from the event log, not from memory, so a restart (or a second
process) does not repeat an alert: the stream's decider (domain/admin_alerts.py) decides,
the AdminAlerted event is appended with the expected version before anything is sent, and
only the process that appended it sends.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from lukas.application.ports.chat_channel import ChatChannel, DeliveryError
from lukas.application.ports.clock import Clock
from lukas.application.ports.event_store import EventMetadata, EventStore
from lukas.application.streams import StreamBusyError, decide_on_stream
from lukas.domain.admin_alerts import ADMIN_ALERTS, RaiseAlert, alert_stream
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
        command = RaiseAlert(
            kind=kind,
            text=text,
            admins=self._admins,
            now=self._clock.now(),
            interval=self._interval,
        )
        try:
            decided = await decide_on_stream(
                self._store,
                alert_stream(kind),
                ADMIN_ALERTS,
                command,
                EventMetadata(cause, cause, self._instance_id),
            )
        except StreamBusyError:
            return False  # others keep alerting this very moment: one of theirs goes out
        if not decided.events:
            return False
        log.warning("alerting admins: %s", text)
        try:
            await self._channel.alert_admins(self._admins, text)
        except DeliveryError as error:
            log.error("the admin alert could not be sent (%s): %s", error, text)
        return True
