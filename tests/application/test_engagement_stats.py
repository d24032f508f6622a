"""Engagement statistics folded from the log, and the report `lukas stats` prints."""

from __future__ import annotations

import pytest
from fakes.clock import FakeClock

from lukas.adapters.memory.event_store import InMemoryEventStore
from lukas.application.identity import derive_event_id
from lukas.application.ports.event_store import EventMetadata, NewEvent
from lukas.application.projections.engagement_stats import EngagementStatsProjection
from lukas.application.projections.projection import rebuild
from lukas.domain.conversation_key import ConversationKey
from lukas.domain.events import (
    CheckInDelivered,
    CheckInFailed,
    DomainEvent,
    EngagementDecided,
    FeedbackGiven,
    MemberJoined,
    MemberLeft,
)
from lukas.entrypoints.inspection import engagement_report

pytestmark = pytest.mark.anyio


def joined(member_id: str, name: str, *, bot: bool = False) -> MemberJoined:
    return MemberJoined(member_id=member_id, name=name, real_name=name, is_bot=bot, timezone=None)


def decided(ts: str, *, reply: bool, reaction: str | None) -> EngagementDecided:
    return EngagementDecided(
        channel="C1",
        ts=ts,
        thread_probability=0.2,
        thread_draw=0.1 if reply else 0.9,
        reply=reply,
        reaction_probability=0.15,
        reaction_draw=0.1 if reaction else 0.9,
        reaction=reaction,
        reason="reply: ...",
    )


def delivered(member_id: str, n: int) -> CheckInDelivered:
    key = ConversationKey.slack_dm(f"D{member_id[1:]}:{n}")
    return CheckInDelivered(member_id=member_id, conversation=key, platform_message_id=str(n))


async def stats_of(events: list[DomainEvent]) -> str:
    store = InMemoryEventStore(FakeClock())
    for n, event in enumerate(events):
        event_id = derive_event_id("test", str(n))
        await store.append("s", [NewEvent(event_id, event, EventMetadata(event_id))], None)
    stats, _ = await rebuild(store, EngagementStatsProjection())
    return engagement_report(stats)


async def test_nothing_yet() -> None:
    assert await stats_of([]) == (
        "new threads judged: 0, joined: 0 (participation -), reactions: 0\n"
        "check-ins per member:\n"
        "  nobody yet\n"
        "feedback on replies (good / bad), by day and model:\n"
        "  none yet\n"
    )


async def test_participation_reactions_and_check_ins_per_member() -> None:
    report = await stats_of(
        [
            joined("U1", "Ada"),
            joined("U2", "Bob"),
            joined("U3", "Cy"),
            joined("B1", "Build Bot", bot=True),
            decided("1", reply=True, reaction="wave"),
            decided("2", reply=False, reaction=None),
            decided("3", reply=False, reaction="tada"),
            decided("4", reply=False, reaction=None),
            delivered("U1", 1),
            delivered("U2", 2),
            delivered("U1", 3),
            CheckInFailed(member_id="U2", reason="cannot_dm_bot"),
            MemberLeft(member_id="U3", reason="deactivated"),
        ]
    )
    assert report == (
        "new threads judged: 4, joined: 1 (participation 25%), reactions: 2\n"
        "check-ins per member:\n"
        "  Ada (U1): 2\n"
        "  Bob (U2): 1 (1 failed)\n"
        "feedback on replies (good / bad), by day and model:\n"
        "  none yet\n"
    )


def rated(
    reply: str, person: str, *, good: bool, model: str = "openai:gpt-5.4-mini"
) -> FeedbackGiven:
    return FeedbackGiven(
        platform_message_id=f"C1/{reply}",
        reply_to=f"m-{reply}",
        model=model,
        person_id=person,
        good=good,
    )


async def test_each_persons_standing_verdict_counts_once_per_reply_and_model() -> None:
    report = await stats_of(
        [
            rated("1", "U1", good=True),
            rated("1", "U2", good=True),
            rated("1", "U2", good=False),  # Bob changed his mind: one bad, not a good and a bad
            rated("2", "U1", good=False, model="anthropic:claude-sonnet-4-5"),
        ]
    )
    day = FakeClock().now().date().isoformat()
    assert report.endswith(
        "feedback on replies (good / bad), by day and model:\n"
        f"  {day}  anthropic:claude-sonnet-4-5         0 good    1 bad\n"
        f"  {day}  openai:gpt-5.4-mini                 1 good    1 bad\n"
    )
