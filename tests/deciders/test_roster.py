"""The roster: a platform listing decides who joined, changed and left since the last one."""

from __future__ import annotations

import pytest

from lukas.application.projections.roster import ROSTER_STREAM
from lukas.domain.events import MemberJoined, MemberLeft, MemberUpdated
from lukas.domain.roster import ROSTER, Member, SyncRoster

from .conftest import Scenarios

pytestmark = pytest.mark.anyio

ADA = Member("U1", "Ada", "Ada Lovelace", timezone="Europe/London")
BOB = Member("U2", "Bob", "Bob Builder")
BOT = Member("B1", "Lukas", "Lukas", is_bot=True)


def joined(member: Member) -> MemberJoined:
    return MemberJoined(
        member_id=member.member_id,
        name=member.name,
        real_name=member.real_name,
        is_bot=member.is_bot,
        timezone=member.timezone,
    )


def listing(*members: Member) -> SyncRoster:
    return SyncRoster(members)


async def test_the_first_listing_has_everyone_join_bots_too(scenarios: Scenarios) -> None:
    await scenarios.run(
        ROSTER_STREAM, ROSTER, when=listing(ADA, BOT), then=[joined(ADA), joined(BOT)]
    )


async def test_the_same_listing_again_changes_nothing(scenarios: Scenarios) -> None:
    await scenarios.run(
        ROSTER_STREAM, ROSTER, given=[joined(ADA), joined(BOB)], when=listing(ADA, BOB), then=[]
    )


async def test_a_new_name_or_time_zone_is_an_update(scenarios: Scenarios) -> None:
    moved = Member("U1", "Countess", "Ada Lovelace", timezone="Europe/Paris")
    await scenarios.run(
        ROSTER_STREAM,
        ROSTER,
        given=[joined(ADA)],
        when=listing(moved),
        then=[
            MemberUpdated(
                member_id="U1",
                name="Countess",
                real_name="Ada Lovelace",
                is_bot=False,
                timezone="Europe/Paris",
            )
        ],
    )


async def test_a_deactivated_member_leaves(scenarios: Scenarios) -> None:
    gone = Member("U2", "Bob", "Bob Builder", deleted=True)
    await scenarios.run(
        ROSTER_STREAM,
        ROSTER,
        given=[joined(ADA), joined(BOB)],
        when=listing(ADA, gone),
        then=[MemberLeft(member_id="U2", reason="deactivated")],
    )


async def test_a_member_no_longer_listed_leaves(scenarios: Scenarios) -> None:
    await scenarios.run(
        ROSTER_STREAM,
        ROSTER,
        given=[joined(ADA), joined(BOB)],
        when=listing(ADA),
        then=[MemberLeft(member_id="U2", reason="no longer listed")],
    )


async def test_a_leaver_is_not_left_twice(scenarios: Scenarios) -> None:
    await scenarios.run(
        ROSTER_STREAM,
        ROSTER,
        given=[joined(ADA), joined(BOB), MemberLeft(member_id="U2", reason="no longer listed")],
        when=listing(ADA),
        then=[],
    )


async def test_a_leaver_listed_again_joins_again(scenarios: Scenarios) -> None:
    await scenarios.run(
        ROSTER_STREAM,
        ROSTER,
        given=[joined(ADA), MemberLeft(member_id="U1", reason="deactivated")],
        when=listing(ADA),
        then=[joined(ADA)],
    )


async def test_a_deactivated_stranger_is_not_recorded(scenarios: Scenarios) -> None:
    stranger = Member("U9", "Gone", "Gone", deleted=True)
    await scenarios.run(ROSTER_STREAM, ROSTER, when=listing(ADA, stranger), then=[joined(ADA)])


async def test_someone_listed_twice_joins_once(scenarios: Scenarios) -> None:
    # A page boundary moved while the platform was listing.
    await scenarios.run(ROSTER_STREAM, ROSTER, when=listing(ADA, ADA), then=[joined(ADA)])


async def test_an_empty_listing_is_not_the_whole_team_leaving(scenarios: Scenarios) -> None:
    await scenarios.run(
        ROSTER_STREAM, ROSTER, given=[joined(ADA), joined(BOB)], when=listing(), then=[]
    )


async def test_what_a_rival_recorded_meanwhile_is_not_recorded_again(
    scenarios: Scenarios,
) -> None:
    # A rival's sync recorded Bob between this sync's listing and its decision.
    cy = Member("U3", "Cy", "Cy")
    await scenarios.run(
        ROSTER_STREAM,
        ROSTER,
        given=[joined(ADA), joined(BOB)],
        when=listing(ADA, BOB, cy),
        then=[joined(cy)],
    )
