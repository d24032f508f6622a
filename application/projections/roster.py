"""The team roster: every member Lukas knows of, in the order they first joined."""

from __future__ import annotations

from lukas.application.ports.event_store import RecordedEvent
from lukas.domain.roster import Member, apply_change

ROSTER_STREAM = "roster"

# Updated in place by the fold; a dict keeps the order in which members first joined.
Roster = dict[str, Member]


class RosterProjection:
    """Folds MemberJoined, MemberUpdated and MemberLeft; other events pass by."""

    def initial(self) -> Roster:
        return {}

    def evolve(self, state: Roster, recorded: RecordedEvent) -> Roster:
        if recorded.stream_id == ROSTER_STREAM:
            apply_change(state, recorded.event)
        return state
