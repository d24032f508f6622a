"""`lukas slack`: Lukas in a Slack workspace over Socket Mode.

Routes each Slack event to a conversation (a DM session, or the thread of a mention) and
hands it to the same use cases as the console. Envelopes are acknowledged on arrival;
answers run concurrently across conversations, in order within one.
"""

from __future__ import annotations

import functools
import logging
import re
import signal
from collections.abc import AsyncIterator, Callable, Coroutine, Mapping
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import anyio
import attrs
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from lukas.adapters.slack.events import BotIdentity
from lukas.adapters.slack.socket import Envelope, socket_mode_envelopes
from lukas.adapters.slack.web import SlackWeb, slack_target
from lukas.application.check_ins import CheckIns, run_check_ins
from lukas.application.dm_sessions import DmSessions
from lukas.application.handle_message import MessageHandler
from lukas.application.live_settings import LiveSettings
from lukas.application.people import PeopleDirectory
from lukas.application.picture_requests import PictureRequests
from lukas.application.picture_schedule import WeeklySchedule, run_schedule
from lukas.application.ports.roster import RosterUnavailable
from lukas.application.requests.intake import RequestIntake
from lukas.application.roster import RosterSync, run_roster_sync
from lukas.domain.images import picture_ask_in
from lukas.entrypoints.config import Config, ConfigError
from lukas.entrypoints.pictures import image_key, pictures_for_chat, timezone_of, weekly_schedule
from lukas.entrypoints.proactivity import check_ins, live_settings, thread_judge
from lukas.entrypoints.request_desk import requests_for_chat
from lukas.entrypoints.slack_router import MonitoredChannels, SlackRouter
from lukas.entrypoints.wiring import Chat, open_chat

log = logging.getLogger(__name__)

_TOKEN_SHAPES = {
    "SLACK_BOT_TOKEN": re.compile(r"^xoxb-[A-Za-z0-9-]{10,}$"),
    "SLACK_APP_TOKEN": re.compile(r"^xapp-[A-Za-z0-9-]{10,}$"),
}
RECOVERY_INTERVAL = 60.0
SHUTDOWN_GRACE = 30.0


class TokenError(ConfigError):
    """A missing or malformed Slack token: the bot cannot start."""


def _token(environ: Mapping[str, str], name: str) -> str:
    value = environ.get(name, "").strip()
    if not value:
        raise TokenError(f"{name} is not set (see README: Slack setup)")
    shape = _TOKEN_SHAPES[name]
    if not shape.match(value):
        prefix = shape.pattern[1:6]
        raise TokenError(f"{name} does not look like a Slack token (it should start {prefix})")
    return value


def slack_bot_token(environ: Mapping[str, str]) -> str:
    return _token(environ, "SLACK_BOT_TOKEN")


def slack_tokens(environ: Mapping[str, str]) -> tuple[str, str]:
    return _token(environ, "SLACK_BOT_TOKEN"), _token(environ, "SLACK_APP_TOKEN")


async def run_slack(config: Config, db: Path, environ: Mapping[str, str]) -> int:
    bot_token, app_token = slack_tokens(environ)
    web = AsyncWebClient(token=bot_token, base_url=config.slack_api_url)
    web.retry_handlers.append(AsyncRateLimitErrorRetryHandler(max_retry_count=2))
    try:
        auth = await web.auth_test()
    except SlackApiError as error:
        raise TokenError(f"Slack refused SLACK_BOT_TOKEN: {error.response.get('error')}") from None
    me = BotIdentity(user_id=str(auth["user_id"]), bot_id=str(auth.get("bot_id") or ""))
    channel = SlackWeb(web)
    async with open_chat(config, db, environ, channel) as chat:
        if chat.notice:
            log.warning("%s", chat.notice)
        settings = live_settings(config, chat)
        people = PeopleDirectory(store=chat.store, lookup=channel, clock=chat.clock)
        sessions = DmSessions(
            chat.store, chat.clock, timedelta(hours=config.dm_idle_hours), chat.instances.me
        )
        router = SlackRouter(
            me,
            chat.store,
            people,
            sessions,
            judge=thread_judge(config, chat, settings),
            monitored=MonitoredChannels(settings, channel),
            web=channel,
        )
        requests = requests_for_chat(
            config,
            chat,
            settings=settings,
            channels=channel,
            dms=channel,
            lukas_id=me.user_id,
            admins=config.admin_users,
        )
        await chat.recover()
        log.warning("Lukas is on Slack as %s", me.user_id)
        engage = _engagement(
            RosterSync(chat.store, channel, chat.instances.me),
            check_ins(
                config,
                chat,
                messages=channel,
                sessions=sessions,
                lukas_id=me.user_id,
                settings=settings,
            ),
            timedelta(hours=config.roster_sync_hours),
            chat,
        )
        async with _pictures(config, db, environ, chat, channel, settings=settings) as pictures:
            bot = _Bot(router, chat.handler, pictures, requests.intake)
            tasks = [engage, requests.reminders.run]
            await _serve(chat, bot, app_token, web, background=tasks)
    return 0


def _engagement(
    roster: RosterSync, check_ins: CheckIns, every: timedelta, chat: Chat
) -> Callable[[], Coroutine[Any, Any, None]]:
    """The roster synced now and daily, and check-ins on schedule once it is known."""

    async def run() -> None:
        try:
            await roster.sync()
        except RosterUnavailable as error:
            log.warning("could not sync the roster: %s", error)
        except Exception:
            log.warning(
                "the roster sync failed; check-ins use the roster known so far", exc_info=True
            )
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(run_roster_sync, roster, every, anyio.sleep, every.total_seconds())
            tasks.start_soon(run_check_ins, check_ins, chat.clock, anyio.sleep)

    return run


@attrs.frozen
class _Pictures:
    schedule: Callable[[], Coroutine[Any, Any, None]] | None  # the weekly task, if a channel is set
    requests: PictureRequests | None  # admins asking in chat


@asynccontextmanager
async def _pictures(
    config: Config,
    db: Path,
    environ: Mapping[str, str],
    chat: Chat,
    channel: SlackWeb,
    *,
    settings: LiveSettings,
) -> AsyncIterator[_Pictures]:
    """Pictures on schedule and on request, or neither when no image key is configured."""
    try:
        image_key(config, environ)
        weekly_schedule(config)
    except ConfigError as error:
        log.warning("no pictures: %s", error)
        yield _Pictures(None, None)
        return
    timezone = timezone_of(config)

    async def schedule() -> WeeklySchedule:
        current = (await settings.current()).image_schedule
        return WeeklySchedule.parse(current, timezone)

    async with pictures_for_chat(config, environ, chat, db, poster=channel) as maker:
        requests = PictureRequests(
            handler=chat.handler,
            maker=maker,
            admins=config.admin_users,
            store=chat.store,
            instance_id=chat.instances.me,
        )
        target = config.image.channel
        if not target:
            yield _Pictures(None, requests)
            return

        async def run() -> None:
            await run_schedule(
                schedule=schedule,
                maker=maker,
                store=chat.store,
                clock=chat.clock,
                channel=target,
                sleep=anyio.sleep,
            )

        yield _Pictures(run, requests)


@attrs.frozen
class _Bot:
    router: SlackRouter
    handler: MessageHandler
    pictures: _Pictures
    intake: RequestIntake


async def _serve(
    chat: Chat,
    bot: _Bot,
    app_token: str,
    web: AsyncWebClient,
    *,
    background: list[Callable[[], Coroutine[Any, Any, None]]],
) -> None:
    async with anyio.create_task_group() as tasks:
        tasks.start_soon(_recover_periodically, chat)
        for task in background:
            tasks.start_soon(task)
        if bot.pictures.schedule is not None:
            tasks.start_soon(bot.pictures.schedule)
        async with anyio.create_task_group() as answering:
            async with socket_mode_envelopes(app_token, web) as envelopes:
                with anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
                    stop = anyio.Event()
                    tasks.start_soon(_wait_for_signal, signals, stop)
                    async with anyio.create_task_group() as receiving:
                        receiving.start_soon(_receive, envelopes, bot, answering, stop)
                        await stop.wait()
                        receiving.cancel_scope.cancel()
            # No new events now; in-flight replies get a grace period to finish.
            answering.cancel_scope.deadline = anyio.current_time() + SHUTDOWN_GRACE
        tasks.cancel_scope.cancel()


async def _wait_for_signal(signals: Any, stop: anyio.Event) -> None:
    async for received in signals:
        log.warning("received %s: finishing replies in flight, then stopping", received.name)
        stop.set()
        return


async def _receive(
    envelopes: Any, bot: _Bot, answering: anyio.abc.TaskGroup, stop: anyio.Event
) -> None:
    async for envelope in envelopes:
        assert isinstance(envelope, Envelope)
        if envelope.type != "events_api" or not isinstance(envelope.payload, dict):
            log.debug("ignored a %s envelope", envelope.type)
            continue
        try:
            incoming = await bot.router.incoming(envelope.payload.get("event"))
            if incoming is None:
                continue
            # Only what is said to Lukas can ask him for something; a thread he joined
            # unasked is conversation.
            asking = not incoming.unasked
            if asking and bot.pictures.requests is not None and picture_ask_in(incoming.text):
                channel, _ = slack_target(incoming.conversation)
                answering.start_soon(bot.pictures.requests.take, incoming, channel)
                continue
            request = bot.intake.recognise(incoming) if asking else None
            if request is not None:
                answering.start_soon(bot.intake.carry_out, incoming, request)
                continue
            # Recorded here, in arrival order; answered concurrently with other conversations.
            message_id, is_new = await bot.handler.receive(incoming)
        except Exception:
            log.warning(
                "could not take a Slack event (envelope %s)", envelope.envelope_id, exc_info=True
            )
            continue
        if is_new:
            answer = functools.partial(bot.handler.answer, with_tools=not incoming.unasked)
            answering.start_soon(
                answer, incoming.conversation, message_id, incoming.platform_message_id
            )
    stop.set()


async def _recover_periodically(chat: Chat) -> None:
    """Delivers what could not be delivered (Slack was down) once it can be."""
    while True:
        await anyio.sleep(RECOVERY_INTERVAL)
        try:
            await chat.recover()
        except Exception:
            log.warning("periodic recovery failed", exc_info=True)
