"""After a crash or restart: read what was delivered but not read, carry out the recorded
route of what was left unanswered, deliver what was left undelivered.

Work whose owner (the process that recorded its last step) is still running is left to it.
Everything else is finished here, each item once: outcomes and delivery claims are appended
with expected versions, so two processes recovering together cannot both act.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import attrs

from lukas.application.handle_message import MessageHandler
from lukas.application.inbound import Inbound, RecordedMessage
from lukas.application.inbox import Inbox
from lukas.application.ports.checkpoints import Checkpoints
from lukas.application.ports.clock import Clock
from lukas.application.ports.event_store import EventStore
from lukas.application.ports.instances import Instances
from lukas.application.projections.checkpointed import CheckpointedProjection
from lukas.application.projections.pending_work import (
    PENDING_WORK,
    PendingMessage,
    PendingWorkProjection,
)

log = logging.getLogger(__name__)


@attrs.frozen
class RecoveryReport:
    read: int = 0  # deliveries read into a conversation (or found not to be for Lukas)
    answered: int = 0
    apologized: int = 0
    delivered: int = 0
    left_to_others: int = 0

    @property
    def total(self) -> int:
        return self.read + self.answered + self.apologized + self.delivered


class Recovery:
    """Finishes what was left, again and again while Lukas runs (the Slack bot every minute).

    The pending work is folded from its checkpoint (the whole log the first time ever);
    each later run folds only the events since the one before, so a long log costs its
    length once, not at every start and not once a minute.
    Without an `inbox` (the console), platform deliveries are left for the bot that reads
    them.
    """

    def __init__(
        self,
        *,
        store: EventStore,
        checkpoints: Checkpoints,
        handler: MessageHandler,
        inbound: Inbound,
        instances: Instances,
        clock: Clock,
        max_age: timedelta,
        inbox: Inbox | None = None,
    ) -> None:
        self._handler = handler
        self._inbound = inbound
        self._inbox = inbox
        self._instances = instances
        self._clock = clock
        self._max_age = max_age
        self._pending = CheckpointedProjection(
            store, checkpoints, PendingWorkProjection(), PENDING_WORK
        )

    def drop_held(self) -> None:
        self._pending.drop_held()

    async def run(self) -> RecoveryReport:
        report = RecoveryReport()
        if self._inbox is not None:
            report = await self._read_deliveries(self._inbox, report)
        pending, _ = await self._pending.current()
        for item in sorted(pending.messages.values(), key=lambda p: p.position):
            if self._handler.is_busy_with(item.message_id):
                continue
            if self._owned_by_another(item.owner):
                report = attrs.evolve(report, left_to_others=report.left_to_others + 1)
                continue
            report = await self._finish(item, report)
        if report.total or report.left_to_others:
            log.warning(
                "recovered: %d deliveries read, %d answered, %d apologised for, %d delivered;"
                " %d left to running instances",
                report.read,
                report.answered,
                report.apologized,
                report.delivered,
                report.left_to_others,
            )
        return report

    async def _read_deliveries(self, inbox: Inbox, report: RecoveryReport) -> RecoveryReport:
        """Deliveries first, in the order they came, each read and its route carried out."""
        pending, _ = await self._pending.current()
        waiting = sorted(pending.inbound.values(), key=lambda p: p.position)
        for item in waiting:
            delivery = item.delivery
            if inbox.is_busy_with(delivery.event_id):
                continue
            if self._owned_by_another(item.owner):
                report = attrs.evolve(report, left_to_others=report.left_to_others + 1)
                continue
            try:
                message = await inbox.settle(delivery)
            except Exception:
                # Recorded as InboundFailed by the inbox; the next run tries again.
                log.warning("could not read delivery %s", delivery.event_id, exc_info=True)
                continue
            report = attrs.evolve(report, read=report.read + 1)
            if message is not None:
                report = await self._carry_out(message, delivery.received_at, report)
        return report

    async def _carry_out(
        self, message: RecordedMessage, received_at: datetime, report: RecoveryReport
    ) -> RecoveryReport:
        if self._is_recent(received_at):
            await self._inbound.carry_out(message)
            return attrs.evolve(report, answered=report.answered + 1)
        await self._handler.apologize(
            message.conversation, message.message_id, message.platform_message_id, received_at
        )
        return attrs.evolve(report, apologized=report.apologized + 1)

    async def keep_checkpoint(self) -> None:
        """Saves how far the pending work is folded, for the next start (at shutdown)."""
        await self._pending.save()

    def _owned_by_another(self, owner: str | None) -> bool:
        # This process's own leftovers (a delivery Slack refused) are its to retry.
        return owner not in (None, self._instances.me) and self._instances.is_alive(owner)

    async def _finish(self, item: PendingMessage, report: RecoveryReport) -> RecoveryReport:
        if item.open_stream is not None:
            # A reply cut off mid-stream is closed first, saying so; the message then gets
            # its whole answer below (or had it: the stream was closed after recording).
            closed = await self._handler.close_stream(
                item.key, item.message_id, item.open_stream, item.outcome
            )
            if closed == "failed":
                return report  # the platform is away: the next run tries again
            if closed == "delivered":
                return attrs.evolve(report, delivered=report.delivered + 1)
        if item.outcome is not None:
            outcome = await self._handler.deliver_recorded(
                item.key, item.message_id, item.platform_message_id, item.outcome
            )
            return attrs.evolve(report, delivered=report.delivered + int(outcome.delivered))
        message = RecordedMessage(
            conversation=item.key,
            message_id=item.message_id,
            platform_message_id=item.platform_message_id,
            author_id=item.author_id,
            author_name=item.author_name,
            route=item.route,
        )
        return await self._carry_out(message, item.received_at, report)

    def _is_recent(self, received_at: datetime) -> bool:
        return self._clock.now() - received_at <= self._max_age
