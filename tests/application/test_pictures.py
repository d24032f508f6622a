"""Bear pictures: prompt, events, failures, posting and one picture per week."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import anyio
import attrs
import pytest
from fakes.chat_model import FakeChatModel
from fakes.clock import FakeClock
from fakes.image_generator import FakeImageGenerator
from fakes.images import FakeImageFiles, FakeImagePoster
from fakes.world import make_world

from lukas.adapters.memory.event_store import InMemoryEventStore
from lukas.application.make_picture import PictureMaker, PictureRequest
from lukas.application.picture_caption import Captioner
from lukas.application.picture_schedule import WeeklySchedule, next_picture, post_due_picture
from lukas.application.ports.chat_model import ChatModelError
from lukas.application.ports.images import GeneratedImage, ImageFailureKind, ImageGenerationError
from lukas.application.requests.desk import NO_PICTURES, Requester
from lukas.domain.events import (
    ImageFailed,
    ImageGenerated,
    ImagePosted,
    ImageRequested,
    RequestDeclined,
)
from lukas.domain.failures import FailureKind
from lukas.domain.images import (
    ADMIN_ONLY_PICTURES,
    CAPTIONS,
    THEMES,
    Period,
)
from lukas.domain.requests import DrawPicture
from lukas.entrypoints.bootstrap import Images

pytestmark = pytest.mark.anyio

PNG = b"\x89PNG\r\n\x1a\nfake"
# A Friday in late November 2026: autumn, and Thanksgiving (26 Nov) within the week.
FRIDAY_NOON = dt.datetime(2026, 11, 27, 12, 0, tzinfo=dt.UTC)


def drawn(model: str = "gpt-image-2.5-flare") -> GeneratedImage:
    return GeneratedImage(
        data=PNG,
        model=model,
        size="1024x1024",
        quality="medium",
        revised_prompt="a bear, revised",
        source="b64_json",
    )


class Setup:
    def __init__(
        self,
        *script: GeneratedImage | ImageGenerationError,
        caption: str | ChatModelError = "Hi!",
    ) -> None:
        self.clock = FakeClock(FRIDAY_NOON)
        self.store = InMemoryEventStore(self.clock)
        self.generator = FakeImageGenerator(*script)
        self.files = FakeImageFiles()
        self.poster = FakeImagePoster()
        self.model = FakeChatModel(caption)
        self.maker = self.make_maker()

    def make_maker(self) -> PictureMaker:
        return PictureMaker(
            store=self.store,
            generator=self.generator,
            files=self.files,
            poster=self.poster,
            captioner=Captioner(self.model),
            clock=self.clock,
        )

    async def events(self) -> list[object]:
        return [e.event for e in await self.store.read_all()]


async def test_a_requested_picture_is_drawn_kept_captioned_and_posted() -> None:
    setup = Setup(drawn(), caption="Autumn vibes! \U0001f43b")
    outcome = await setup.maker.make(
        PictureRequest(trigger="request", theme="autumn", requester="U0ADMIN", post_to="C123")
    )
    assert outcome.posted_as == "F0001"
    requested, generated, posted = await setup.events()
    assert isinstance(requested, ImageRequested)
    assert THEMES["autumn"] in requested.prompt
    assert requested.occasion == "thanksgiving"  # from the calendar
    assert setup.generator.prompts == [requested.prompt]
    assert isinstance(generated, ImageGenerated)
    assert (generated.model, generated.source, generated.caption) == (
        "gpt-image-2.5-flare",
        "b64_json",
        "Autumn vibes! \U0001f43b",
    )
    assert generated.cost_usd == pytest.approx(0.042)
    assert generated.file == outcome.file
    assert isinstance(posted, ImagePosted)
    assert setup.poster.posted == [("C123", "Autumn vibes! \U0001f43b", PNG)]


async def test_a_content_policy_rejection_is_one_failed_event_and_nothing_posted() -> None:
    setup = Setup(ImageGenerationError(ImageFailureKind.CONTENT_POLICY, "rejected by safety"))
    outcome = await setup.maker.make(PictureRequest(trigger="request", post_to="C123"))
    assert outcome.failure == "content_policy"
    _, failed = await setup.events()
    assert isinstance(failed, ImageFailed)
    assert (failed.kind, failed.retry_later_could_help) == ("content_policy", False)
    assert setup.poster.posted == []


async def test_a_failed_post_is_recorded_and_the_picture_kept() -> None:
    setup = Setup(drawn())
    setup.poster.refuse = True
    outcome = await setup.maker.make(PictureRequest(trigger="request", post_to="C123"))
    assert outcome.failure == "posting"
    assert outcome.file is not None
    assert [type(e).__name__ for e in await setup.events()] == [
        "ImageRequested",
        "ImageGenerated",
        "ImageFailed",
    ]


async def test_without_a_caption_from_the_model_the_themes_fixed_one_is_used() -> None:
    setup = Setup(drawn(), caption=ChatModelError(FailureKind.PROVIDER, "500"))
    outcome = await setup.maker.make(PictureRequest(trigger="request", theme="winter"))
    assert outcome.caption == CAPTIONS["winter"]


async def test_the_weekly_picture_is_made_once_across_restarts_and_rival_instances() -> None:
    setup = Setup(drawn(), drawn(), drawn())
    schedule = WeeklySchedule.parse("fri 10:00", dt.UTC)
    rival = setup.make_maker()
    async with anyio.create_task_group() as group:
        for maker in (setup.maker, rival):
            group.start_soon(_due, maker, setup, schedule)
    again = await post_due_picture(
        schedule=schedule,
        maker=setup.make_maker(),
        store=setup.store,
        clock=setup.clock,
        channel="C1",
    )
    assert again is None
    assert len(setup.poster.posted) == 1
    streams = {e.stream_id for e in await setup.store.read_all()}
    assert streams == {f"image-period:{Period(2026, 48)}"}


async def _due(maker: PictureMaker, setup: Setup, schedule: WeeklySchedule) -> None:
    await post_due_picture(
        schedule=schedule, maker=maker, store=setup.store, clock=setup.clock, channel="C1"
    )


async def test_nothing_is_due_before_the_posting_time_and_a_failure_waits_a_week() -> None:
    setup = Setup(ImageGenerationError(ImageFailureKind.PROVIDER, "502", attempts=2), drawn())
    schedule = WeeklySchedule.parse("fri 13:00", dt.UTC)
    assert schedule.due(FRIDAY_NOON) is None
    setup.clock.advance(2 * 3600)
    first = await post_due_picture(
        schedule=schedule, maker=setup.maker, store=setup.store, clock=setup.clock, channel="C1"
    )
    assert first is not None
    assert first.failure == "provider"
    setup.clock.advance(3600)
    assert (
        await post_due_picture(
            schedule=schedule, maker=setup.maker, store=setup.store, clock=setup.clock, channel="C1"
        )
        is None
    )
    setup.clock.advance(7 * 86400)
    next_week = await post_due_picture(
        schedule=schedule, maker=setup.maker, store=setup.store, clock=setup.clock, channel="C1"
    )
    assert next_week is not None
    assert next_week.posted_as is not None


async def test_an_admin_asking_in_chat_gets_a_picture_and_others_a_kind_no() -> None:
    setup = Setup(drawn(), caption="Milestone bear! \U0001f43b")
    world = make_world(
        store=setup.store,
        clock=setup.clock,
        model=setup.model,  # it writes the caption
        images=Images(setup.generator, setup.files, setup.poster),
    )
    thread = "slack-thread:C0GEN:1700000000.000100"
    asked = attrs.evolve(
        world.message("draw a picture for the milestone", thread), author_id="UADMIN"
    )
    outcome = await world.lukas.inbound.take(asked)
    assert outcome.reply_text == "There you go! Milestone bear! \U0001f43b"
    assert setup.poster.posted[0][0] == "C0GEN"  # where it was asked
    requested = [e for e in await setup.events() if isinstance(e, ImageRequested)]
    assert [(r.occasion, r.requester) for r in requested] == [("milestone", "UADMIN")]
    assert world.channel.sent[-1].text == outcome.reply_text

    # Carried out again (a redelivery, or recovery after a crash): no second picture.
    again = await world.lukas.desk.handle(
        DrawPicture(occasion="milestone"), Requester("UADMIN", "Grace"), outcome.message_id
    )
    assert again == "I've drawn that one already. 🐻"
    assert len(setup.generator.prompts) == 1

    refused = await world.lukas.inbound.take(world.message("draw a picture", thread))
    assert refused.reply_text == ADMIN_ONLY_PICTURES
    assert len(setup.generator.prompts) == 1  # nothing drawn for the non-admin
    declined = [e for e in await setup.events() if isinstance(e, RequestDeclined)]
    assert [(d.requester, d.request) for d in declined] == [("U1", "ask for a picture")]


async def test_without_an_image_model_a_picture_ask_is_answered_plainly() -> None:
    world = make_world()
    asked = attrs.evolve(world.message("draw a picture"), author_id="UADMIN")
    outcome = await world.lukas.inbound.take(asked)
    assert outcome.reply_text == NO_PICTURES
    assert world.model.calls == []  # the model was never asked


async def test_the_next_picture_is_this_week_s_then_due_then_next_week_s() -> None:
    setup = Setup(drawn())
    berlin = ZoneInfo("Europe/Berlin")
    schedule = WeeklySchedule.parse("fri 14:00", berlin)  # 13:00 UTC in November
    friday_14 = dt.datetime(2026, 11, 27, 14, 0, tzinfo=berlin)
    assert await next_picture(schedule, setup.store, FRIDAY_NOON) == friday_14
    setup.clock.advance(2 * 3600)
    assert await next_picture(schedule, setup.store, setup.clock.now()) is None  # not made yet
    await _due(setup.maker, setup, schedule)
    assert await next_picture(schedule, setup.store, setup.clock.now()) == friday_14 + dt.timedelta(
        days=7
    )


def test_the_posting_time_is_wall_time_in_a_week_the_clocks_change() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    schedule = WeeklySchedule.parse("sun 10:00", berlin)
    # Clocks go back on Sunday 25 October 2026; the posting stays at 10:00 local.
    posting = schedule.this_week(dt.datetime(2026, 10, 21, 12, 0, tzinfo=dt.UTC))
    assert posting == dt.datetime(2026, 10, 25, 10, 0, tzinfo=berlin)
    assert posting.utcoffset() == dt.timedelta(hours=1)
