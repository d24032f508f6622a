"""The team as Slack lists it, and what changed since the last look. Pure: lists come in.

A sync compares the members Lukas knows (folded from the roster's events) with the
platform's current list and yields one event per change, so `lukas replay` can show who
joined, who changed their name and who left, and when Lukas learned of it. `ROSTER` is the
`roster` stream's decider: a listing decides the changes, the changes fold into the roster.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from types import MappingProxyType

import attrs

from lukas.domain.decider import Decider
from lukas.domain.events import DomainEvent, MemberJoined, MemberLeft, MemberUpdated


@attrs.frozen
class Member:
    """A workspace member as Lukas knows them."""

    member_id: str
    name: str  # what people see: the display name, else the real name, else the handle
    real_name: str
    is_bot: bool = False
    deleted: bool = False  # deactivated: they left the workspace
    timezone: str | None = None  # the IANA zone their Slack profile names

    @property
    def reachable(self) -> bool:
        """A person Lukas may write to unasked: not a bot, still on the team."""
        return not self.is_bot and not self.deleted


def member_from(event: MemberJoined | MemberUpdated) -> Member:
    return Member(
        member_id=event.member_id,
        name=event.name,
        real_name=event.real_name,
        is_bot=event.is_bot,
        timezone=event.timezone,
    )


def apply_change(members: dict[str, Member], event: DomainEvent) -> None:
    """Folds one roster event into `members`, in place (a projection's inner loop)."""
    if isinstance(event, MemberJoined | MemberUpdated):
        members[event.member_id] = member_from(event)
    elif isinstance(event, MemberLeft) and event.member_id in members:
        members[event.member_id] = attrs.evolve(members[event.member_id], deleted=True)


def fold_roster(events: Iterable[DomainEvent]) -> dict[str, Member]:
    members: dict[str, Member] = {}
    for event in events:
        apply_change(members, event)
    return members


def roster_changes(known: Mapping[str, Member], listed: Sequence[Member]) -> list[DomainEvent]:
    """The events that bring `known` up to date with the platform's `listed` members.

    A member listed as deleted, or missing from a complete listing, has left. Someone who
    left and is listed again (reactivated) joins again.
    """
    changes: list[DomainEvent] = []
    seen: set[str] = set()
    for member in listed:
        if member.member_id in seen:
            continue  # a page boundary moved while listing: the first sighting counts
        seen.add(member.member_id)
        before = known.get(member.member_id)
        if member.deleted:
            if before is not None and not before.deleted:
                changes.append(MemberLeft(member_id=member.member_id, reason="deactivated"))
            continue
        if before is None or before.deleted:
            changes.append(_joined(member))
        elif _profile(before) != _profile(member):
            changes.append(_updated(member))
    for member_id, before in known.items():
        if member_id not in seen and not before.deleted:
            changes.append(MemberLeft(member_id=member_id, reason="no longer listed"))
    return changes


@attrs.frozen
class SyncRoster:
    """The members the platform lists now."""

    listed: tuple[Member, ...]


# Everyone Lukas knows of by id, in the order they first joined, leavers included.
Roster = Mapping[str, Member]


def decide(command: SyncRoster, state: Roster) -> Sequence[DomainEvent]:
    if not command.listed:
        # Every workspace lists at least its bots: an empty list is a fault upstream, and
        # recording it would have the whole team leave.
        return []
    return roster_changes(state, command.listed)


def evolve(state: Roster, event: DomainEvent, at: dt.datetime) -> Roster:
    if not isinstance(event, MemberJoined | MemberUpdated | MemberLeft):
        return state
    # A new mapping per change, so a state a decision was made on never changes under it.
    members = dict(state)
    apply_change(members, event)
    return members


ROSTER: Decider[SyncRoster, Roster] = Decider(MappingProxyType({}), decide, evolve)


def _profile(member: Member) -> tuple[str, str, bool, str | None]:
    return (member.name, member.real_name, member.is_bot, member.timezone)


def _joined(member: Member) -> MemberJoined:
    return MemberJoined(
        member_id=member.member_id,
        name=member.name,
        real_name=member.real_name,
        is_bot=member.is_bot,
        timezone=member.timezone,
    )


def _updated(member: Member) -> MemberUpdated:
    return MemberUpdated(
        member_id=member.member_id,
        name=member.name,
        real_name=member.real_name,
        is_bot=member.is_bot,
        timezone=member.timezone,
    )
