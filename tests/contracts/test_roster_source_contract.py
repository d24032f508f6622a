"""The roster source contract, run against the fake and Slack (the real slack-sdk client
against the stand-in Slack, asking for pages of two so every listing spans several pages).

Each platform comes with a driver that puts members on it as the platform would hold them,
so the properties are checked on what a listing returns against what the platform has.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

import attrs
import pytest
from fakes.roster import FakeRoster
from slack_sdk.web.async_client import AsyncWebClient
from standins.slack_server import SLACKBOT_ID, Proceed, SlackError, SlackStandIn

from lukas.adapters.slack.web import SlackWeb
from lukas.application.ports.roster import RosterSource, RosterUnavailable
from lukas.domain.roster import Member

pytestmark = pytest.mark.anyio

ADA = Member("U0ADA", "Ada", "Ada Lovelace", timezone="Europe/London")
BOB = Member("U0BOB", "Bob", "Bob Builder")
ZOE = Member("U0ZOE", "Zoë 🐻", "Zoë Ångström", timezone="Europe/Zurich")
HELPER = Member("U0HELPER", "Helper", "Helper Bot", is_bot=True)
GONE = Member("U0GONE", "Gone", "Gone Away", deleted=True, timezone="Asia/Tokyo")
TEAM = [ADA, BOB, ZOE, HELPER, GONE]


class Driver(Protocol):
    @property
    def roster(self) -> RosterSource: ...

    def add(self, member: Member) -> None:
        """Put `member` on the platform (again, to change them), as the platform holds them."""
        ...

    def own_members(self) -> list[Member]:
        """The members the platform lists with no one added (Slack: Slackbot, Lukas)."""
        ...

    def make_unavailable(self) -> None:
        """Make the next listing fail partway (Slack: on its second page)."""
        ...

    def make_available(self) -> None: ...


@attrs.frozen
class FakeDriver:
    roster: FakeRoster

    def add(self, member: Member) -> None:
        self.roster.members = [m for m in self.roster.members if m.member_id != member.member_id]
        self.roster.members.append(member)

    def own_members(self) -> list[Member]:
        return []

    def make_unavailable(self) -> None:
        self.roster.unavailable = True

    def make_available(self) -> None:
        self.roster.unavailable = False


@attrs.frozen
class SmallPages:
    """SlackWeb as the port sees it, paging by two so that paging is part of every test."""

    web: SlackWeb

    async def list_members(self) -> list[Member]:
        return await self.web.list_members(page_size=2)


@attrs.frozen
class SlackDriver:
    roster: SmallPages
    slack: SlackStandIn

    def add(self, member: Member) -> None:
        self.slack.add_user(
            member.member_id,
            member.name,
            real_name=member.real_name,
            is_bot=member.is_bot,
            deleted=member.deleted,
            timezone=member.timezone,
        )

    def own_members(self) -> list[Member]:
        # Slack says Slackbot is no bot; to Lukas it is one (see SlackWeb's _member).
        zone = "America/Los_Angeles"
        return [
            Member(SLACKBOT_ID, "Slackbot", "Slackbot", is_bot=True, timezone=zone),
            Member(self.slack.bot_user_id, "Lukas", "Lukas the Bear", is_bot=True, timezone=zone),
        ]

    def make_unavailable(self) -> None:
        # The first page comes back; the second is refused. Every test that calls this puts
        # more than one page of two on the platform first.
        self.slack.script("users.list", Proceed(), SlackError("internal_error"))

    def make_available(self) -> None:
        # The scripted failure is used up by the listing it broke.
        pass


@pytest.fixture(params=["fake", "slack"])
def driver(request: pytest.FixtureRequest) -> Iterator[Driver]:
    if request.param == "fake":
        yield FakeDriver(FakeRoster())
        return
    slack: SlackStandIn = request.getfixturevalue("slack_standin")
    client = AsyncWebClient(token="xoxb-test-token-1234", base_url=slack.api_url)
    yield SlackDriver(SmallPages(SlackWeb(client, min_interval=0)), slack)


def by_id(members: list[Member]) -> list[Member]:
    return sorted(members, key=lambda member: member.member_id)


async def test_with_no_one_added_only_the_platforms_own_are_listed(driver: Driver) -> None:
    listed = await driver.roster.list_members()

    assert by_id(list(listed)) == by_id(driver.own_members())


async def test_every_member_is_listed_once_as_the_platform_holds_them(driver: Driver) -> None:
    for member in TEAM:
        driver.add(member)

    listed = list(await driver.roster.list_members())

    ids = [member.member_id for member in listed]
    assert len(ids) == len(set(ids)), ids
    assert by_id(listed) == by_id(driver.own_members() + TEAM)


async def test_bots_deactivated_members_and_time_zones_survive(driver: Driver) -> None:
    for member in TEAM:
        driver.add(member)

    listed = {member.member_id: member for member in await driver.roster.list_members()}

    assert listed["U0HELPER"].is_bot
    assert listed["U0GONE"].deleted
    assert (listed["U0ADA"].timezone, listed["U0BOB"].timezone) == ("Europe/London", None)
    reachable = {member_id for member_id, member in listed.items() if member.reachable}
    assert reachable == {"U0ADA", "U0BOB", "U0ZOE"}


async def test_a_later_listing_shows_changes_made_since(driver: Driver) -> None:
    driver.add(ADA)
    driver.add(BOB)
    before = list(await driver.roster.list_members())

    driver.add(attrs.evolve(BOB, deleted=True))
    driver.add(ZOE)
    after = list(await driver.roster.list_members())

    assert by_id(before) == by_id([*driver.own_members(), ADA, BOB])
    assert by_id(after) == by_id([*driver.own_members(), ADA, attrs.evolve(BOB, deleted=True), ZOE])


async def test_an_unavailable_platform_raises_rather_than_list_part(driver: Driver) -> None:
    for member in TEAM:
        driver.add(member)

    driver.make_unavailable()
    with pytest.raises(RosterUnavailable):
        await driver.roster.list_members()
    driver.make_available()
    listed = list(await driver.roster.list_members())

    assert by_id(listed) == by_id(driver.own_members() + TEAM)
