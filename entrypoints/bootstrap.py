"""The composition root: `compose` builds Lukas from configuration and the adapters it is
given, every use case wired once, with no setters and nothing wired at import time.

The console, the Slack bot, the tests' worlds and the benchmarks all call `compose`; the
commands get their real adapters from `open_lukas` (see wiring.py for how each is chosen),
the tests pass fakes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from datetime import timedelta

import attrs

from lukas.adapters.memory.data_keys import InMemoryDataKeys
from lukas.adapters.sealing.sealed_store import SealedEventStore
from lukas.application.admin_alerts import AdminAlerts
from lukas.application.assistant_threads import AssistantThreads
from lukas.application.check_ins import CheckIns, CheckInSettings
from lukas.application.compose_reply import ReplyComposer
from lukas.application.context import ContextBuilder
from lukas.application.dm_sessions import DmSessions
from lukas.application.feedback import FeedbackBox
from lukas.application.forgetting import Forgetting, HeldWords
from lukas.application.handle_message import MessageHandler
from lukas.application.inbound import Inbound
from lukas.application.inbox import Inbox, MonitoredChannels, Unasked
from lukas.application.live_settings import LiveSettings
from lukas.application.make_picture import PictureMaker
from lukas.application.people import PeopleDirectory
from lukas.application.picture_caption import Captioner
from lukas.application.ports.announcements import ChannelPoster
from lukas.application.ports.assistant import AssistantSurface
from lukas.application.ports.channels import ChannelDirectory, Reactions
from lukas.application.ports.chat_channel import ChatChannel
from lukas.application.ports.chat_model import ChatModel
from lukas.application.ports.checkpoints import Checkpoints
from lukas.application.ports.clock import Clock
from lukas.application.ports.data_keys import DataKeys
from lukas.application.ports.direct_messages import DirectMessages
from lukas.application.ports.event_store import EventStore
from lukas.application.ports.images import ImageFiles, ImageGenerator, ImagePoster
from lukas.application.ports.instances import Instances
from lukas.application.ports.people import PeopleLookup
from lukas.application.ports.platform_text import PlatformText
from lukas.application.ports.roster import RosterSource
from lukas.application.ports.token_counter import TokenCounter
from lukas.application.proactive import ProactiveSwitch, ThreadJudge
from lukas.application.projections.statistics import statistics
from lukas.application.recovery import Recovery
from lukas.application.requests.desk import RequestDesk
from lukas.application.requests.model_requests import ModelRequests
from lukas.application.requests.reminders import Reminders
from lukas.application.retention import Retention
from lukas.application.roster import RosterSync
from lukas.domain.context_window import ContextLimits
from lukas.domain.images import Hemisphere
from lukas.domain.persona import PERSONA_SYSTEM_PROMPT
from lukas.domain.roster import Member
from lukas.entrypoints.config import Config
from lukas.entrypoints.tunables import tunables


@attrs.frozen
class Images:
    """Where pictures come from, where they are kept, and where they may be posted."""

    generator: ImageGenerator
    files: ImageFiles
    poster: ImagePoster | None


@attrs.frozen
class Reading:
    """What a platform that delivers raw messages (Slack) gives for reading them into
    conversations, and for speaking up unasked in its channels."""

    text: PlatformText
    people: PeopleLookup
    channels: ChannelDirectory
    reactions: Reactions
    roster: RosterSource


@attrs.frozen
class Adapters:
    """The outside world as Lukas sees it: real adapters from `open_lukas`, fakes in tests."""

    store: EventStore
    checkpoints: Checkpoints  # projections' folded states, so a start need not fold the log
    clock: Clock
    instances: Instances
    model: ChatModel  # as the use cases call it: with retries and the circuit breaker
    counter: TokenCounter
    draw: Callable[[], float]  # the random source of every recorded draw
    channel: ChatChannel
    announcements: ChannelPoster
    dms: DirectMessages
    timezone: dt.tzinfo
    lukas_id: str  # who Lukas is on the platform
    # Admins beyond LUKAS_ADMIN_USERS: in a terminal, the person at the keyboard.
    extra_admins: tuple[str, ...] = ()
    credentials_hint: str = "the provider's API key"
    images: Images | None = None  # None: no image model configured
    reading: Reading | None = None  # None: messages arrive already in their conversation
    assistant: AssistantSurface | None = None  # None: no assistant pane (the console)
    zone_of: Callable[[Member], dt.tzinfo | None] = lambda _member: None
    # The keys `store` seals personal words with (ADR 27); tests that do not forget
    # anyone leave the default.
    keys: DataKeys = attrs.field(factory=InMemoryDataKeys)


@attrs.frozen
class Lukas:
    """Lukas, wired: the use cases the front ends drive, and what they share."""

    store: EventStore
    clock: Clock
    instances: Instances
    model: ChatModel
    settings: LiveSettings
    switch: ProactiveSwitch
    alerts: AdminAlerts
    handler: MessageHandler
    desk: RequestDesk
    inbound: Inbound
    reminders: Reminders
    sessions: DmSessions
    recovery: Recovery
    feedback: FeedbackBox
    assistant_threads: AssistantThreads | None  # with `Adapters.assistant`
    pictures: PictureMaker | None
    inbox: Inbox | None  # with `Adapters.reading`
    check_ins: CheckIns | None  # with `Adapters.reading` (the roster)
    roster: RosterSync | None
    forgetting: Forgetting
    retention: Retention


def compose(config: Config, adapters: Adapters) -> Lukas:
    a = adapters
    me = a.instances.me
    admins = (*config.admin_users, *a.extra_admins)
    settings = LiveSettings(a.store, tunables(config), me)
    switch = ProactiveSwitch(a.store, a.clock, me)
    # Alerts go to the configured admins; the console's user reads stderr anyway.
    alerts = AdminAlerts(
        store=a.store, channel=a.channel, clock=a.clock, admins=config.admin_users, instance_id=me
    )
    pictures = _pictures(config, a, alerts) if a.images is not None else None
    sealed = a.store if isinstance(a.store, SealedEventStore) else None
    forgetting = Forgetting(
        store=a.store,
        keys=a.keys,
        checkpoints=a.checkpoints,
        clock=a.clock,
        plain_before=sealed is not None and sealed.plain_before,
    )
    reminders = Reminders(
        store=a.store,
        clock=a.clock,
        dms=a.dms,
        channels=a.announcements,
        instances=a.instances,
        checkpoints=a.checkpoints,
    )
    stats = statistics(a.store, a.checkpoints)
    desk = RequestDesk(
        store=a.store,
        statistics=stats,
        clock=a.clock,
        admins=frozenset(admins),
        settings=settings,
        switch=switch,
        reminders=reminders,
        forgetting=forgetting,
        channels=a.announcements,
        timezone=a.timezone,
        lukas_id=a.lukas_id,
        instance_id=me,
        pictures=pictures,
        provider=a.model.name,
    )
    limits = ContextLimits(max_pairs=config.history_pairs, max_tokens=config.context_tokens)
    context = ContextBuilder.counted_by(PERSONA_SYSTEM_PROMPT, a.counter, limits)
    composer = ReplyComposer(
        model=a.model,
        counter=a.counter,
        clock=a.clock,
        context=context,
        random=a.draw,
        alerts=alerts,
        credentials_hint=a.credentials_hint,
        actions=ModelRequests(desk=desk, clock=a.clock, timezone=a.timezone),
    )
    handler = MessageHandler(
        store=a.store,
        composer=composer,
        channel=a.channel,
        counter=a.counter,
        context=context,
        instance_id=me,
    )
    inbound = Inbound(
        handler=handler, desk=desk, channel=a.channel, clock=a.clock, timezone=a.timezone
    )
    sessions = DmSessions(a.store, a.clock, timedelta(hours=config.dm_idle_hours), me)
    inbox = check_ins = roster = people = None
    if a.reading is not None:
        people = PeopleDirectory(
            store=a.store, lookup=a.reading.people, clock=a.clock, instance_id=a.instances.me
        )
        inbox = _inbox(
            config,
            a,
            a.reading,
            inbound=inbound,
            sessions=sessions,
            settings=settings,
            switch=switch,
            people=people,
        )
        check_ins = _check_ins(a, sessions, settings, switch)
        roster = RosterSync(a.store, a.reading.roster, me)
    recovery = Recovery(
        store=a.store,
        checkpoints=a.checkpoints,
        handler=handler,
        inbound=inbound,
        instances=a.instances,
        clock=a.clock,
        max_age=timedelta(seconds=config.recovery_max_age),
        inbox=inbox,
    )
    held: list[HeldWords] = [
        h for h in (handler, recovery, stats, reminders, check_ins, people) if h is not None
    ]
    if sealed is not None:
        forgetting.also_drop(sealed)
        # Keys another process deleted: what this one holds is let go of, too.
        sealed.when_keys_deleted(lambda: _drop_all(held))
    for holder in held:
        forgetting.also_drop(holder)
    return Lukas(
        store=a.store,
        clock=a.clock,
        instances=a.instances,
        model=a.model,
        settings=settings,
        switch=switch,
        alerts=alerts,
        handler=handler,
        desk=desk,
        inbound=inbound,
        reminders=reminders,
        sessions=sessions,
        recovery=recovery,
        feedback=FeedbackBox(a.store, instance_id=me),
        assistant_threads=AssistantThreads(
            store=a.store,
            surface=a.assistant,
            prompts=config.assistant_prompts,
            instance_id=me,
        )
        if a.assistant is not None
        else None,
        pictures=pictures,
        inbox=inbox,
        check_ins=check_ins,
        roster=roster,
        forgetting=forgetting,
        retention=Retention(forgetting, config.retention_days),
    )


def _drop_all(held: list[HeldWords]) -> None:
    for holder in held:
        holder.drop_held()


def _pictures(config: Config, a: Adapters, alerts: AdminAlerts) -> PictureMaker:
    assert a.images is not None
    return PictureMaker(
        store=a.store,
        generator=a.images.generator,
        files=a.images.files,
        poster=a.images.poster,
        captioner=Captioner(a.model),
        clock=a.clock,
        timezone=a.timezone,
        hemisphere=Hemisphere(config.image.hemisphere),
        price_override=config.image.price_usd,
        alerts=alerts,
        instance_id=a.instances.me,
    )


def _inbox(
    config: Config,
    a: Adapters,
    reading: Reading,
    *,
    inbound: Inbound,
    sessions: DmSessions,
    settings: LiveSettings,
    switch: ProactiveSwitch,
    people: PeopleDirectory,
) -> Inbox:
    judge = ThreadJudge(
        store=a.store,
        clock=a.clock,
        random=a.draw,
        settings=settings,
        timezone=a.timezone,
        busy_thread_messages=config.busy_thread_messages,
        switch=switch,
        instance_id=a.instances.me,
    )
    return Inbox(
        store=a.store,
        clock=a.clock,
        inbound=inbound,
        sessions=sessions,
        people=people,
        text=reading.text,
        unasked=Unasked(
            judge=judge,
            monitored=MonitoredChannels(settings, reading.channels),
            reactions=reading.reactions,
        ),
        instance_id=a.instances.me,
    )


def _check_ins(
    a: Adapters, sessions: DmSessions, settings: LiveSettings, switch: ProactiveSwitch
) -> CheckIns:
    return CheckIns(
        store=a.store,
        checkpoints=a.checkpoints,
        clock=a.clock,
        random=a.draw,
        settings=CheckInSettings(
            timezone=a.timezone, lukas_id=a.lukas_id, persona=PERSONA_SYSTEM_PROMPT
        ),
        tunables=settings,
        switch=switch,
        model=a.model,
        counter=a.counter,
        messages=a.dms,
        sessions=sessions,
        instances=a.instances,
        zone_of=a.zone_of,
    )
