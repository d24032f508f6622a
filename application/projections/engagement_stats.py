"""How Lukas reached out, and how it was taken: check-ins per member, threads joined,
reactions given, and the good and bad buttons pressed under his replies."""

from __future__ import annotations

import attrs

from lukas.application.ports.event_store import RecordedEvent
from lukas.domain.events import (
    CheckInDelivered,
    CheckInFailed,
    EngagementDecided,
    FeedbackGiven,
    MemberJoined,
    MemberLeft,
    MemberUpdated,
)


@attrs.define
class MemberCheckIns:
    name: str
    delivered: int = 0
    failed: int = 0
    # Only people on the team can be checked in with; the others are shown if they were.
    on_team: bool = False

    @property
    def shown(self) -> bool:
        return self.on_team or bool(self.delivered or self.failed)


@attrs.define
class Verdicts:
    good: int = 0
    bad: int = 0


@attrs.define
class EngagementStats:
    threads_judged: int = 0
    threads_joined: int = 0
    reactions: int = 0
    check_ins: dict[str, MemberCheckIns] = attrs.field(factory=dict)
    # (day, provider:model) -> the verdicts standing now, counted on the day of each one.
    feedback: dict[tuple[str, str], Verdicts] = attrs.field(factory=dict)
    # (reply's platform id, person) -> (day, model, good): a changed verdict moves a count.
    verdicts: dict[tuple[str, str], tuple[str, str, bool]] = attrs.field(factory=dict)

    def members_shown(self) -> list[tuple[str, MemberCheckIns]]:
        """Members on the team or ever checked in with, most check-ins first."""
        shown = [(key, m) for key, m in self.check_ins.items() if m.shown]
        return sorted(shown, key=lambda item: (-item[1].delivered, item[1].name))

    @property
    def participation_rate(self) -> float | None:
        """The share of new threads Lukas joined; None before any was judged."""
        return self.threads_joined / self.threads_judged if self.threads_judged else None


class EngagementStatsProjection:
    def initial(self) -> EngagementStats:
        return EngagementStats()

    def evolve(self, state: EngagementStats, recorded: RecordedEvent) -> EngagementStats:
        # The state is updated in place: a copy per event would make rebuilding quadratic.
        event = recorded.event
        match event:
            case EngagementDecided():
                state.threads_judged += 1
                state.threads_joined += event.reply
                state.reactions += event.reaction is not None
            case MemberJoined() | MemberUpdated():
                member = _member(state, event.member_id)
                member.name, member.on_team = event.name, not event.is_bot
            case MemberLeft():
                _member(state, event.member_id).on_team = False
            case CheckInDelivered():
                _member(state, event.member_id).delivered += 1
            case CheckInFailed():
                _member(state, event.member_id).failed += 1
            case FeedbackGiven():
                _count_verdict(state, event, recorded.recorded_at.date().isoformat())
        return state


def _count_verdict(state: EngagementStats, event: FeedbackGiven, day: str) -> None:
    who = (event.platform_message_id, event.person_id)
    earlier = state.verdicts.get(who)
    if earlier is not None:
        _tally(state, earlier[0], earlier[1], earlier[2], -1)
    state.verdicts[who] = (day, event.model, event.good)
    _tally(state, day, event.model, event.good, +1)


def _tally(state: EngagementStats, day: str, model: str, good: bool, change: int) -> None:
    tally = state.feedback.setdefault((day, model), Verdicts())
    if good:
        tally.good += change
    else:
        tally.bad += change


def _member(state: EngagementStats, member_id: str) -> MemberCheckIns:
    return state.check_ins.setdefault(member_id, MemberCheckIns(name=member_id))
