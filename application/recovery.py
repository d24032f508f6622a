"""After a crash or restart: answer what was left unanswered, deliver what was left undelivered.

Work whose owner (the process that recorded its last step) is still running is left to it.
Everything else is finished here, each item once: outcomes and delivery claims are appended
with expected versions, so two processes recovering together cannot both act.
"""

from __future__ import annotations

import logging
from datetime import timedelta

import attrs

from lukas.application.handle_message import MessageHandler
from lukas.application.ports.clock import Clock
from lukas.application.ports.event_store import EventStore
from lukas.application.ports.instances import Instances
from lukas.application.proactive import joined_unasked
from lukas.application.projections.pending_work import PendingMessage, PendingWorkProjection
from lukas.application.projections.projection import catch_up

log = logging.getLogger(__name__)


@attrs.frozen
class RecoveryReport:
    answered: int = 0
    apologized: int = 0
    delivered: int = 0
    left_to_others: int = 0

    @property
    def total(self) -> int:
        return self.answered + self.apologized + self.delivered


class Recovery:
    """Finishes what was left, again and again while Lukas runs (the Slack bot every minute).

    The pending work is folded from the whole log once; each later run folds only the
    events since the one before, so a long log costs its length once, not once a minute.
    """

    def __init__(
        self,
        *,
        store: EventStore,
        handler: MessageHandler,
        instances: Instances,
        clock: Clock,
        max_age: timedelta,
    ) -> None:
        self._store = store
        self._handler = handler
        self._instances = instances
        self._clock = clock
        self._max_age = max_age
        self._projection = PendingWorkProjection()
        self._pending = self._projection.initial()
        self._position = 0

    async def run(self) -> RecoveryReport:
        self._pending, self._position = await catch_up(
            self._store, self._projection, self._pending, self._position
        )
        report = RecoveryReport()
        for item in sorted(self._pending.values(), key=lambda p: p.position):
            if self._handler.is_busy_with(item.message_id):
                continue
            # This process's own leftovers (a delivery Slack refused) are its to retry.
            if item.owner not in (None, self._instances.me) and self._instances.is_alive(
                item.owner
            ):
                report = attrs.evolve(report, left_to_others=report.left_to_others + 1)
                continue
            report = await self._finish(item, report)
        if report.total or report.left_to_others:
            log.warning(
                "recovered after a restart: %d answered, %d apologised for, %d delivered;"
                " %d left to running instances",
                report.answered,
                report.apologized,
                report.delivered,
                report.left_to_others,
            )
        return report

    async def _finish(self, item: PendingMessage, report: RecoveryReport) -> RecoveryReport:
        handler = self._handler
        if item.outcome is not None:
            outcome = await handler.deliver_recorded(
                item.key, item.message_id, item.platform_message_id, item.outcome
            )
            return attrs.evolve(report, delivered=report.delivered + int(outcome.delivered))
        if self._clock.now() - item.received_at <= self._max_age:
            # A thread Lukas joined unasked stays conversation after a restart too.
            unasked = await joined_unasked(self._store, item.key, item.platform_message_id)
            await handler.answer(
                item.key, item.message_id, item.platform_message_id, with_tools=not unasked
            )
            return attrs.evolve(report, answered=report.answered + 1)
        await handler.apologize(
            item.key, item.message_id, item.platform_message_id, item.received_at
        )
        return attrs.evolve(report, apologized=report.apologized + 1)


async def recover(
    *,
    store: EventStore,
    handler: MessageHandler,
    instances: Instances,
    clock: Clock,
    max_age: timedelta,
) -> RecoveryReport:
    """One recovery from the whole log (at start, or from a command)."""
    recovery = Recovery(
        store=store, handler=handler, instances=instances, clock=clock, max_age=max_age
    )
    return await recovery.run()
