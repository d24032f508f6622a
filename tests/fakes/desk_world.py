"""The request desk wired to fakes: a world where people ask Lukas for things."""

from __future__ import annotations

import datetime as dt
import itertools

import attrs

from fakes.channel_poster import FakeChannel, FakeChannelPoster
from fakes.chat_model import FakeChatModel
from fakes.clock import FakeClock
from fakes.direct_messages import FakeDirectMessages
from fakes.instances import FakeInstances
from fakes.roster import FakeRoster
from fakes.world import World, make_world
from lukas.application.handle_message import IncomingMessage
from lukas.application.live_settings import LiveSettings
from lukas.application.proactive import ProactiveSwitch
from lukas.application.requests.model_requests import ModelRequests
from lukas.application.requests.reminders import Reminders
from lukas.application.roster import RosterSync
from lukas.domain.conversation_key import ConversationKey
from lukas.domain.roster import Member
from lukas.entrypoints.bootstrap import Lukas

# Wednesday 25 November 2026, 10:00 in Berlin.
BERLIN = dt.timezone(dt.timedelta(hours=1))
NOW = dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.UTC)
ADMIN = ("UADMIN", "Grace")
MEMBER = ("U0ADA", "Ada")
TEAM = [
    Member("UADMIN", "Grace", "Grace Hopper"),
    Member("U0ADA", "Ada", "Ada Lovelace"),
    Member("ULUKAS", "Lukas", "Lukas the Bear", is_bot=True),  # as Slack lists a bot user
    Member("B1", "Build Bot", "Build Bot", is_bot=True),
]


@attrs.define
class DeskWorld:
    world: World
    sequence: itertools.count[int] = attrs.field(factory=lambda: itertools.count(1))

    @property
    def clock(self) -> FakeClock:
        return self.world.clock

    @property
    def lukas(self) -> Lukas:
        return self.world.lukas

    @property
    def settings(self) -> LiveSettings:
        return self.lukas.settings

    @property
    def switch(self) -> ProactiveSwitch:
        return self.lukas.switch

    @property
    def reminders(self) -> Reminders:
        return self.lukas.reminders

    @property
    def dms(self) -> FakeDirectMessages:
        return self.world.dms

    @property
    def channels(self) -> FakeChannelPoster:
        return self.world.announcements

    @property
    def instances(self) -> FakeInstances:
        return self.world.instances

    @property
    def tools(self) -> ModelRequests:
        return ModelRequests(desk=self.lukas.desk, clock=self.clock, timezone=BERLIN)

    def message(self, text: str, who: tuple[str, str] = MEMBER) -> IncomingMessage:
        return IncomingMessage(
            conversation=ConversationKey.slack_dm(f"D{who[0][1:]}:1700000000.000001"),
            author_id=who[0],
            author_name=who[1],
            text=text,
            platform_message_id=f"1700000200.{next(self.sequence):06d}",
        )

    async def say(self, text: str, who: tuple[str, str] = MEMBER) -> str:
        """What Lukas answers to `text`: the one way in, as in Slack and the console."""
        outcome = await self.lukas.inbound.take(self.message(text, who))
        assert outcome.reply_text is not None, outcome
        return outcome.reply_text


async def make_desk_world(
    model: FakeChatModel | None = None,
    *,
    channels: FakeChannelPoster | None = None,
    instances: FakeInstances | None = None,
    world: World | None = None,
    sealed: bool = False,
    plain_before: bool = False,
) -> DeskWorld:
    world = world or make_world(
        model=model,
        clock=FakeClock(NOW),
        admins=(ADMIN[0],),
        timezone=BERLIN,
        instances=instances,
        sealed=sealed,
        plain_before=plain_before,
        announcements=channels
        or FakeChannelPoster(
            FakeChannel("C0GEN", "general"), FakeChannel("C0SEC", "secret", lukas_is_member=False)
        ),
    )
    await RosterSync(world.lukas.store, FakeRoster(TEAM)).sync()
    return DeskWorld(world)
