"""Events recorded by earlier versions of Lukas read in today's shape (upcasting)."""

from __future__ import annotations

from lukas.adapters.event_codec import EventCodec
from lukas.domain.events import ReminderFiring


def test_a_reminder_claim_from_before_claims_named_their_process_reads_as_unnamed() -> None:
    codec = EventCodec()
    old = codec.decode("ReminderFiring", 1, '{"reminder_id":"r1"}')
    assert old == ReminderFiring(reminder_id="r1", by=None)
    named = ReminderFiring(reminder_id="r1", by="instance-a")
    assert codec.decode(*codec.encode(named)) == named
