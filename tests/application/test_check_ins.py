"""Check-ins against fakes: schedule, rotation, quiet times, claims, and the conversation."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Awaitable, Callable, Sequence

import anyio
import pytest
from fakes.chat_model import FakeChatModel
from fakes.clock import FakeClock
from fakes.direct_messages import FakeDirectMessages
from fakes.instances import FakeInstances
from fakes.roster import FakeRoster
from fakes.token_counter import FakeTokenCounter

from lukas.adapters.memory.checkpoints import InMemoryCheckpoints
from lukas.adapters.memory.event_store import InMemoryEventStore
from lukas.application.check_ins import CheckIns, CheckInSettings
from lukas.application.dm_sessions import DmSessions
from lukas.application.identity import derive_event_id
from lukas.application.live_settings import LiveSettings, Tunables
from lukas.application.ports.chat_model import ChatModel, ChatModelError, Completion, TextSink
from lukas.application.ports.event_store import EventMetadata, NewEvent, RecordedEvent
from lukas.application.proactive import ProactiveSwitch
from lukas.application.projections.conversation_history import history_from
from lukas.application.roster import RosterSync
from lukas.domain.check_in_schedule import CHECK_IN_STREAM
from lukas.domain.context_window import ContextMessage, Role
from lukas.domain.conversation_key import ConversationKey
from lukas.domain.events import (
    CheckInDelivered,
    CheckInFailed,
    CheckInOpened,
    CheckInPostponed,
    CheckInScheduled,
    CheckInSkipped,
    CheckInWritten,
    DomainEvent,
    MessageReceived,
)
from lukas.domain.failures import FailureKind
from lukas.domain.roster import Member

pytestmark = pytest.mark.anyio

# Wednesday 10:00 UTC: inside the default active hours.
WEDNESDAY = dt.datetime(2026, 11, 25, 10, 0, tzinfo=dt.UTC)
ADA = Member("U0ADA", "Ada", "Ada Lovelace")
BOB = Member("U0BOB", "Bob", "Bob Builder")
TEAM = [
    Member("ULUKAS", "Lukas", "Lukas the Bear"),
    ADA,
    Member("B0BOT", "Build Bot", "Build Bot", is_bot=True),
    Member("U0GONE", "Gone", "Gone", deleted=True),
    BOB,
]


class Lukas:
    """One Lukas process's check-ins over a shared store, clock and DM platform."""

    def __init__(
        self,
        store: InMemoryEventStore,
        clock: FakeClock,
        dms: FakeDirectMessages,
        *,
        model: ChatModel | None = None,
        interval: str = "1h",
        hours: str = "08:00-18:00",
        instances: FakeInstances | None = None,
        draws: Sequence[float] = (0.5,),
    ) -> None:
        self.store, self.clock = store, clock
        self.instances = instances or FakeInstances("instance-a")
        self.switch = ProactiveSwitch(store, clock, self.instances.me)
        self.settings = LiveSettings(store, Tunables(dm_interval=interval, active_hours=hours))
        source = itertools.cycle(draws)
        self.sessions = DmSessions(store, clock, dt.timedelta(hours=24), self.instances.me)
        self.check_ins = CheckIns(
            store=store,
            clock=clock,
            random=lambda: next(source),
            settings=CheckInSettings(
                timezone=dt.UTC,
                lukas_id="ULUKAS",
                persona="You are Lukas.",
            ),
            tunables=self.settings,
            switch=self.switch,
            model=model or FakeChatModel(),
            counter=FakeTokenCounter(),
            messages=dms,
            sessions=self.sessions,
            instances=self.instances,
            checkpoints=InMemoryCheckpoints(),
        )

    async def run_until(self, moment: dt.datetime) -> None:
        """Ticks as the bot's loop would, the fake clock jumping to each look-again time."""
        for _ in range(20_000):
            look_again = await self.check_ins.tick()
            if look_again > self.clock.now():
                if look_again > moment:
                    self.clock.advance((moment - self.clock.now()).total_seconds())
                    await self.check_ins.tick()
                    return
                self.clock.advance((look_again - self.clock.now()).total_seconds())
        raise AssertionError("the schedule never settled")

    async def log(self) -> list[DomainEvent]:
        return [r.event for r in await self.store.read_stream(CHECK_IN_STREAM)]


async def team_store(clock: FakeClock, members: Sequence[Member] = TEAM) -> InMemoryEventStore:
    store = InMemoryEventStore(clock)
    await RosterSync(store, FakeRoster(members)).sync()
    return store


def chatty_model() -> FakeChatModel:
    return FakeChatModel(*(f"Hi there, check-in {n}!" for n in range(1, 20)))


async def test_the_first_tick_schedules_and_sends_nothing() -> None:
    clock = FakeClock(WEDNESDAY)
    dms = FakeDirectMessages()
    lukas = Lukas(await team_store(clock), clock, dms, interval="24h-48h", draws=[0.25])
    await lukas.check_ins.tick()
    assert await lukas.log() == [
        CheckInScheduled(
            due=(WEDNESDAY + dt.timedelta(hours=30)).isoformat(), interval="24h-48h", draw=0.25
        )
    ]
    assert dms.sent == []


async def test_a_due_check_in_goes_to_a_never_contacted_member_in_persona() -> None:
    clock = FakeClock(WEDNESDAY)
    dms = FakeDirectMessages()
    model = FakeChatModel("Good morning Ada! How is the thesis going?")
    lukas = Lukas(await team_store(clock), clock, dms, model=model)
    await lukas.run_until(WEDNESDAY + dt.timedelta(minutes=61))
    assert dms.sent == [("U0ADA", "Good morning Ada! How is the thesis going?")]
    asked = model.calls[0]
    assert asked[0] == ContextMessage(Role.SYSTEM, "You are Lukas.", 4)
    assert "Ada" in asked[1].content
    assert "Wednesday morning (11:00)" in asked[1].content
    written = next(e for e in await lukas.log() if isinstance(e, CheckInWritten))
    assert (written.member_id, written.written_by, written.reason) == (
        "U0ADA",
        "fake:scripted",
        "never checked in with",
    )
    assert isinstance((await lukas.log())[-1], CheckInScheduled)


async def test_rotation_over_several_intervals_skips_bots_leavers_and_lukas() -> None:
    clock = FakeClock(WEDNESDAY)
    dms = FakeDirectMessages()
    lukas = Lukas(await team_store(clock), clock, dms, model=chatty_model())
    await lukas.run_until(WEDNESDAY + dt.timedelta(hours=4, minutes=30))
    assert [person for person, _ in dms.sent] == ["U0ADA", "U0BOB", "U0ADA", "U0BOB"]


async def test_the_member_s_answer_continues_the_conversation_lukas_opened() -> None:
    clock = FakeClock(WEDNESDAY)
    dms = FakeDirectMessages()
    store = await team_store(clock)
    lukas = Lukas(store, clock, dms, model=FakeChatModel("How are the experiments, Ada?"))
    await lukas.run_until(WEDNESDAY + dt.timedelta(minutes=61))
    delivered = next(e for e in await lukas.log() if isinstance(e, CheckInDelivered))
    clock.advance(600)
    # Ada answers in the same DM channel ten minutes later: the same conversation.
    key = await lukas.sessions.conversation_for("D0ADA", "1700000100.000001")
    assert key == delivered.conversation == ConversationKey.slack_dm("D0ADA:1700000000.000001")
    history = history_from(await store.read_stream(key.stream_id))
    assert [m.content for m in history[0].exchange.messages] == ["How are the experiments, Ada?"]
    opened = (await store.read_stream(key.stream_id))[0].event
    assert isinstance(opened, CheckInOpened)
    assert opened.token_count == 7


async def test_without_a_model_the_template_is_sent() -> None:
    clock = FakeClock(WEDNESDAY)
    dms = FakeDirectMessages()
    down = FakeChatModel(ChatModelError(FailureKind.PROVIDER, "down"))
    lukas = Lukas(await team_store(clock), clock, dms, model=down)
    await lukas.run_until(WEDNESDAY + dt.timedelta(minutes=61))
    assert dms.sent == [("U0ADA", "Good morning, Ada! Lukas here. How is your day starting? 🐻")]
    written = next(e for e in await lukas.log() if isinstance(e, CheckInWritten))
    assert written.written_by == "template"


async def test_outside_active_hours_the_check_in_waits_for_the_next_opening() -> None:
    friday_evening = dt.datetime(2026, 11, 27, 17, 30, tzinfo=dt.UTC)
    clock = FakeClock(friday_evening)
    dms = FakeDirectMessages()
    lukas = Lukas(await team_store(clock), clock, dms, model=chatty_model())
    await lukas.run_until(dt.datetime(2026, 11, 30, 7, 59, tzinfo=dt.UTC))
    assert dms.sent == []
    monday_eight = dt.datetime(2026, 11, 30, 8, 0, tzinfo=dt.UTC)
    assert CheckInPostponed(due=monday_eight.isoformat(), reason="outside active hours") in (
        await lukas.log()
    )
    await lukas.run_until(monday_eight + dt.timedelta(minutes=1))
    assert [person for person, _ in dms.sent] == ["U0ADA"]


async def test_paused_until_resumed_waits_with_one_event_then_resumes() -> None:
    clock = FakeClock(WEDNESDAY)
    dms = FakeDirectMessages()
    lukas = Lukas(await team_store(clock), clock, dms, model=chatty_model())
    await lukas.switch.pause(by="UADMIN")
    await lukas.run_until(WEDNESDAY + dt.timedelta(hours=5))
    assert dms.sent == []
    postponed = [e for e in await lukas.log() if isinstance(e, CheckInPostponed)]
    assert postponed == [CheckInPostponed(due=None, reason="paused until resumed")]
    await lukas.switch.resume(by="UADMIN")
    await lukas.run_until(clock.now() + dt.timedelta(minutes=2))
    assert [person for person, _ in dms.sent] == ["U0ADA"]


async def test_paused_until_a_time_postpones_to_that_time() -> None:
    clock = FakeClock(WEDNESDAY)
    dms = FakeDirectMessages()
    lukas = Lukas(await team_store(clock), clock, dms, model=chatty_model())
    until = WEDNESDAY + dt.timedelta(hours=3)
    await lukas.switch.pause(by="UADMIN", until=until)
    await lukas.run_until(until - dt.timedelta(seconds=1))
    assert dms.sent == []
    assert CheckInPostponed(due=until.isoformat(), reason="paused by an admin") in await lukas.log()
    await lukas.run_until(until + dt.timedelta(seconds=1))
    assert len(dms.sent) == 1


async def test_a_restart_mid_interval_keeps_the_due_time() -> None:
    clock = FakeClock(WEDNESDAY)
    dms = FakeDirectMessages()
    store = await team_store(clock)
    # Drawn 0.0: due 24 hours later, Thursday 10:00, inside active hours.
    await Lukas(store, clock, dms, interval="24h-48h", draws=[0.0]).check_ins.tick()
    clock.advance(20 * 3600)
    # A new process (new instance, new random draws) reads the same due time from the log.
    restarted = Lukas(
        store, clock, dms, interval="24h-48h", draws=[0.9], instances=FakeInstances("instance-b")
    )
    assert await restarted.check_ins.tick() == clock.now() + dt.timedelta(seconds=60)
    await restarted.run_until(WEDNESDAY + dt.timedelta(hours=23, minutes=59))
    assert dms.sent == []
    await restarted.run_until(WEDNESDAY + dt.timedelta(hours=24, minutes=1))
    assert len(dms.sent) == 1
    scheduled = [e for e in await restarted.log() if isinstance(e, CheckInScheduled)]
    assert [s.draw for s in scheduled] == [0.0, 0.9]


class GatedModel:
    """Answers only once `expected` calls are waiting, so rival instances truly overlap."""

    def __init__(self, expected: int) -> None:
        self.calls = 0
        self._expected = expected
        self._all_in = anyio.Event()

    @property
    def name(self) -> str:
        return "fake:gated"

    async def stream(
        self, messages: Sequence[ContextMessage], tools: Sequence[object] = (), *, on_text: TextSink
    ) -> Completion:
        # Whole, as a model that cannot stream would give it.
        return await self.complete(messages, tools)

    async def complete(
        self, messages: Sequence[ContextMessage], tools: Sequence[object] = ()
    ) -> Completion:
        self.calls += 1
        if self.calls >= self._expected:
            self._all_in.set()
        await self._all_in.wait()
        return Completion("Hello from a rival!", "fake", "gated", "stop", None)


async def test_two_instances_never_both_send_the_same_check_in() -> None:
    clock = FakeClock(WEDNESDAY)
    dms = FakeDirectMessages()
    store = await team_store(clock)
    model = GatedModel(expected=2)
    a = Lukas(store, clock, dms, model=model, instances=FakeInstances("a", alive=["b"]))
    b = Lukas(store, clock, dms, model=model, instances=FakeInstances("b", alive=["a"]))
    await a.check_ins.tick()
    clock.advance(3601)
    async with anyio.create_task_group() as both:
        both.start_soon(a.check_ins.tick)
        both.start_soon(b.check_ins.tick)
    assert model.calls == 2
    assert dms.sent == [("U0ADA", "Hello from a rival!")]
    assert sum(isinstance(e, CheckInWritten) for e in await a.log()) == 1


class InterruptedModel:
    """Writes the check-in only after `meanwhile` ran: what happens while a model writes."""

    def __init__(self, meanwhile: Callable[[], Awaitable[object]]) -> None:
        self._meanwhile = meanwhile

    @property
    def name(self) -> str:
        return "fake:interrupted"

    async def stream(
        self, messages: Sequence[ContextMessage], tools: Sequence[object] = (), *, on_text: TextSink
    ) -> Completion:
        # Whole, as a model that cannot stream would give it.
        return await self.complete(messages, tools)

    async def complete(
        self, messages: Sequence[ContextMessage], tools: Sequence[object] = ()
    ) -> Completion:
        await self._meanwhile()
        return Completion("Hi Ada!", "fake", "interrupted", "stop", None)


async def test_a_pause_while_the_check_in_is_being_written_keeps_it_unsent() -> None:
    clock = FakeClock(WEDNESDAY)
    dms = FakeDirectMessages()
    store = await team_store(clock)
    b = Lukas(store, clock, dms, instances=FakeInstances("b", alive=["a"]))

    async def admin_pauses_and_b_looks() -> None:
        await b.switch.pause(by="UADMIN")
        await b.check_ins.tick()

    model = InterruptedModel(admin_pauses_and_b_looks)
    a = Lukas(store, clock, dms, model=model, instances=FakeInstances("a", alive=["b"]))
    await a.check_ins.tick()
    clock.advance(3601)
    await a.check_ins.tick()
    assert dms.sent == []
    events = await a.log()
    assert CheckInPostponed(due=None, reason="paused until resumed") in events
    assert not any(isinstance(e, CheckInWritten) for e in events)


async def write_claim(store: InMemoryEventStore, instance: str, version: int) -> None:
    written = CheckInWritten(
        member_id="U0ADA", member_name="Ada", text="Hi!", written_by="fake:scripted", reason="x"
    )
    event_id = derive_event_id("test-claim", instance)
    metadata = EventMetadata(event_id, None, instance)
    await store.append(CHECK_IN_STREAM, [NewEvent(event_id, written, metadata)], version)


async def test_a_claim_left_by_a_dead_instance_is_marked_failed_not_resent() -> None:
    clock = FakeClock(WEDNESDAY)
    dms = FakeDirectMessages()
    store = await team_store(clock)
    lukas = Lukas(store, clock, dms, instances=FakeInstances("a"))
    await lukas.check_ins.tick()
    await write_claim(store, "dead-one", version=1)
    await lukas.check_ins.tick()
    events = await lukas.log()
    assert isinstance(events[-2], CheckInFailed)
    assert "not sent again" in events[-2].reason
    assert isinstance(events[-1], CheckInScheduled)
    assert dms.sent == []


async def test_a_claim_held_by_a_live_instance_is_left_to_it() -> None:
    clock = FakeClock(WEDNESDAY)
    dms = FakeDirectMessages()
    store = await team_store(clock)
    lukas = Lukas(store, clock, dms, instances=FakeInstances("a", alive=["busy"]))
    await lukas.check_ins.tick()
    await write_claim(store, "busy", version=1)
    assert await lukas.check_ins.tick() == clock.now() + dt.timedelta(seconds=60)
    assert isinstance((await lukas.log())[-1], CheckInWritten)


async def test_a_refused_dm_is_a_failed_turn_and_the_rotation_moves_on() -> None:
    clock = FakeClock(WEDNESDAY)
    dms = FakeDirectMessages()
    dms.refuse_next = 1
    lukas = Lukas(await team_store(clock), clock, dms, model=chatty_model())
    await lukas.run_until(WEDNESDAY + dt.timedelta(hours=2, minutes=30))
    failed = [e for e in await lukas.log() if isinstance(e, CheckInFailed)]
    assert [f.member_id for f in failed] == ["U0ADA"]
    assert [person for person, _ in dms.sent] == ["U0BOB"]


async def test_nobody_to_write_to_is_recorded_and_rescheduled() -> None:
    clock = FakeClock(WEDNESDAY)
    dms = FakeDirectMessages()
    store = await team_store(clock, [Member("B1", "Bot", "Bot", is_bot=True)])
    lukas = Lukas(store, clock, dms)
    await lukas.run_until(WEDNESDAY + dt.timedelta(minutes=61))
    events = await lukas.log()
    assert any(isinstance(e, CheckInSkipped) for e in events)
    assert isinstance(events[-1], CheckInScheduled)
    assert dms.sent == []


async def test_no_message_received_is_invented_for_lukas_s_opening() -> None:
    clock = FakeClock(WEDNESDAY)
    store = await team_store(clock)
    lukas = Lukas(store, clock, FakeDirectMessages(), model=chatty_model())
    await lukas.run_until(WEDNESDAY + dt.timedelta(minutes=61))
    everything = await store.read_all()
    assert not any(isinstance(r.event, MessageReceived) for r in everything)


async def test_a_shortened_interval_draws_the_due_time_again() -> None:
    clock = FakeClock(WEDNESDAY)
    dms = FakeDirectMessages()
    lukas = Lukas(await team_store(clock), clock, dms, model=chatty_model(), interval="24h-48h")
    await lukas.check_ins.tick()
    await lukas.settings.change("dm_interval", "30m", by="UADMIN")
    await lukas.run_until(WEDNESDAY + dt.timedelta(minutes=31))
    assert [person for person, _ in dms.sent] == ["U0ADA"]
    scheduled = [e for e in await lukas.log() if isinstance(e, CheckInScheduled)]
    assert [s.interval for s in scheduled] == ["24h-48h", "30m", "30m"]


async def test_a_lengthened_interval_keeps_the_due_time_drawn_before() -> None:
    clock = FakeClock(WEDNESDAY)
    dms = FakeDirectMessages()
    lukas = Lukas(await team_store(clock), clock, dms, model=chatty_model(), interval="1h")
    await lukas.check_ins.tick()
    await lukas.settings.change("dm_interval", "24h", by="UADMIN")
    await lukas.run_until(WEDNESDAY + dt.timedelta(minutes=61))
    assert [person for person, _ in dms.sent] == ["U0ADA"]


async def test_quotes_the_model_wraps_the_message_in_are_taken_off() -> None:
    clock = FakeClock(WEDNESDAY)
    dms = FakeDirectMessages()
    model = FakeChatModel("\u201cHi Ada! How are the experiments going?\u201d")
    lukas = Lukas(await team_store(clock), clock, dms, model=model)
    await lukas.run_until(WEDNESDAY + dt.timedelta(minutes=61))
    assert dms.sent == [("U0ADA", "Hi Ada! How are the experiments going?")]


class CountedReads(InMemoryEventStore):
    """Notes every check-in event read, to see that none is read twice."""

    def __init__(self, clock: FakeClock) -> None:
        super().__init__(clock)
        self.versions_read: list[int] = []

    async def read_stream(self, stream_id: str, from_version: int = 1) -> list[RecordedEvent]:
        recorded = await super().read_stream(stream_id, from_version)
        if stream_id == CHECK_IN_STREAM:
            self.versions_read.extend(r.version for r in recorded)
        return recorded


async def test_each_tick_reads_only_what_was_appended_since_the_last() -> None:
    clock = FakeClock(WEDNESDAY)
    dms = FakeDirectMessages()
    store = CountedReads(clock)
    await RosterSync(store, FakeRoster(TEAM)).sync()
    lukas = Lukas(store, clock, dms, model=chatty_model())
    await lukas.run_until(WEDNESDAY + dt.timedelta(hours=4, minutes=30))
    read = list(store.versions_read)
    assert len(dms.sent) == 4
    assert read == list(range(1, len(await lukas.log()) + 1))
