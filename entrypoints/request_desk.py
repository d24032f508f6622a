"""Wires what people can ask Lukas for: the desk, its intake, and the reminder loop."""

from __future__ import annotations

import attrs

from lukas.application.live_settings import LiveSettings
from lukas.application.ports.announcements import ChannelPoster
from lukas.application.ports.direct_messages import DirectMessages
from lukas.application.proactive import ProactiveSwitch
from lukas.application.requests.desk import RequestDesk
from lukas.application.requests.intake import RequestIntake
from lukas.application.requests.reminders import Reminders
from lukas.entrypoints.config import Config
from lukas.entrypoints.pictures import timezone_of
from lukas.entrypoints.wiring import Chat


@attrs.frozen
class Requests:
    intake: RequestIntake
    reminders: Reminders


def requests_for_chat(
    config: Config,
    chat: Chat,
    *,
    settings: LiveSettings,
    channels: ChannelPoster,
    dms: DirectMessages,
    lukas_id: str,
    admins: tuple[str, ...],
) -> Requests:
    """The desk for `chat`; from now on the model may also choose a request as a tool."""
    timezone = timezone_of(config)
    reminders = Reminders(
        store=chat.store,
        clock=chat.clock,
        dms=dms,
        channels=channels,
        instances=chat.instances,
    )
    desk = RequestDesk(
        store=chat.store,
        clock=chat.clock,
        admins=frozenset(admins),
        settings=settings,
        switch=ProactiveSwitch(chat.store, chat.clock, chat.instances.me),
        reminders=reminders,
        channels=channels,
        timezone=timezone,
        lukas_id=lukas_id,
        instance_id=chat.instances.me,
    )
    intake = RequestIntake(desk=desk, handler=chat.handler, clock=chat.clock, timezone=timezone)
    chat.handler.offer_tools(intake)
    return Requests(intake, reminders)
