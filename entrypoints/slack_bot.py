"""`lukas slack`: Lukas in a Slack workspace over Socket Mode.

Routes each Slack event to a conversation (a DM session, or the thread of a mention) and
hands it to the same use cases as the console. Envelopes are acknowledged on arrival;
answers run concurrently across conversations, in order within one.
"""

from __future__ import annotations

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

from lukas.adapters.slack.events import BotIdentity, Ignored, read_event
from lukas.adapters.slack.socket import Envelope, socket_mode_envelopes
from lukas.adapters.slack.text import to_plain
from lukas.adapters.slack.web import SlackWeb, slack_target
from lukas.application.dm_sessions import DmSessions
from lukas.application.handle_message import IncomingMessage, MessageHandler
from lukas.application.people import PeopleDirectory
from lukas.application.picture_requests import PictureRequests
from lukas.application.picture_schedule import run_schedule
from lukas.application.ports.event_store import EventStore
from lukas.application.proactive import ThreadJudge
from lukas.domain.conversation_key import ConversationKey
from lukas.domain.images import picture_ask_in
from lukas.entrypoints.config import Config, ConfigError
from lukas.entrypoints.pictures import image_key, pictures_for_chat, weekly_schedule
from lukas.entrypoints.proactivity import thread_judge
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


class SlackRouter:
    """Decides which conversation a Slack message belongs to, if any Lukas should answer."""

    def __init__(
        self,
        me: BotIdentity,
        store: EventStore,
        people: PeopleDirectory,
        sessions: DmSessions,
        *,
        judge: ThreadJudge | None = None,
        monitored: frozenset[str] = frozenset(),
        web: SlackWeb | None = None,
    ) -> None:
        self._me = me
        self._store = store
        self._people = people
        self._sessions = sessions
        self._judge = judge
        self._monitored = monitored
        self._web = web

    async def incoming(self, event: Any) -> IncomingMessage | None:
        message = read_event(event, self._me)
        if isinstance(message, Ignored):
            # Malformed input is worth a look; edits, bots and joins are everyday noise.
            level = logging.WARNING if message.reason.startswith("malformed") else logging.DEBUG
            log.log(level, "ignored a Slack event: %s", message.reason)
            return None
        if message.is_direct:
            key = await self._sessions.conversation_for(message.channel, message.ts)
        elif message.mentions_me:
            key = ConversationKey.slack_thread(message.channel, message.thread_ts or message.ts)
        elif message.thread_ts and await self._has_history(
            key := ConversationKey.slack_thread(message.channel, message.thread_ts)
        ):
            pass  # a reply in a thread Lukas is part of
        elif message.thread_ts is None and await self._joins_new_thread(
            message.channel, message.ts
        ):
            key = ConversationKey.slack_thread(message.channel, message.ts)
        else:
            return None
        text = await to_plain(message.text, self._me.user_id, self._people.name_of)
        return IncomingMessage(
            conversation=key,
            author_id=message.user,
            author_name=await self._people.name_of(message.user),
            text=text or "(waves)",
            platform_message_id=message.ts,
        )

    async def _joins_new_thread(self, channel: str, ts: str) -> bool:
        """Judge a new top-level message in a monitored channel: reply, react, or neither."""
        if self._judge is None or channel not in self._monitored:
            return False
        decision = await self._judge.judge(channel, ts)
        if decision is None:
            return False
        if decision.reaction and self._web is not None:
            await self._web.add_reaction(channel, ts, decision.reaction)
        return decision.reply

    async def _has_history(self, key: ConversationKey) -> bool:
        return bool(await self._store.read_stream_tail(key.stream_id, 1))


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
        people = PeopleDirectory(store=chat.store, lookup=channel, clock=chat.clock)
        sessions = DmSessions(chat.store, chat.clock, timedelta(hours=config.dm_idle_hours))
        monitored = await channel.resolve_channels(config.monitored_channels)
        router = SlackRouter(
            me,
            chat.store,
            people,
            sessions,
            judge=thread_judge(config, chat),
            monitored=frozenset(monitored.values()),
            web=channel,
        )
        await chat.recover()
        log.warning("Lukas is on Slack as %s", me.user_id)
        async with _pictures(config, db, environ, chat, channel) as pictures:
            await _serve(chat, router, app_token, web, pictures)
    return 0


@attrs.frozen
class _Pictures:
    schedule: Callable[[], Coroutine[Any, Any, None]] | None  # the weekly task, if a channel is set
    requests: PictureRequests | None  # admins asking in chat


@asynccontextmanager
async def _pictures(
    config: Config, db: Path, environ: Mapping[str, str], chat: Chat, channel: SlackWeb
) -> AsyncIterator[_Pictures]:
    """Pictures on schedule and on request, or neither when no image key is configured."""
    try:
        image_key(config, environ)
        schedule = weekly_schedule(config) if config.image.channel else None
    except ConfigError as error:
        log.warning("no pictures: %s", error)
        yield _Pictures(None, None)
        return
    async with pictures_for_chat(config, environ, chat, db, poster=channel) as maker:
        requests = PictureRequests(handler=chat.handler, maker=maker, admins=config.admin_users)
        target = config.image.channel
        if schedule is None or not target:
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


async def _serve(
    chat: Chat,
    router: SlackRouter,
    app_token: str,
    web: AsyncWebClient,
    pictures: _Pictures,
) -> None:
    async with anyio.create_task_group() as background:
        background.start_soon(_recover_periodically, chat)
        if pictures.schedule is not None:
            background.start_soon(pictures.schedule)
        async with anyio.create_task_group() as answering:
            async with socket_mode_envelopes(app_token, web) as envelopes:
                with anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
                    stop = anyio.Event()
                    background.start_soon(_wait_for_signal, signals, stop)
                    async with anyio.create_task_group() as receiving:
                        bot = _Bot(router, chat.handler, pictures)
                        receiving.start_soon(_receive, envelopes, bot, answering, stop)
                        await stop.wait()
                        receiving.cancel_scope.cancel()
            # No new events now; in-flight replies get a grace period to finish.
            answering.cancel_scope.deadline = anyio.current_time() + SHUTDOWN_GRACE
        background.cancel_scope.cancel()


async def _wait_for_signal(signals: Any, stop: anyio.Event) -> None:
    async for received in signals:
        log.warning("received %s: finishing replies in flight, then stopping", received.name)
        stop.set()
        return


@attrs.frozen
class _Bot:
    router: SlackRouter
    handler: MessageHandler
    pictures: _Pictures


async def _receive(
    envelopes: Any, bot: _Bot, answering: anyio.abc.TaskGroup, stop: anyio.Event
) -> None:
    router, handler, pictures = bot.router, bot.handler, bot.pictures
    async for envelope in envelopes:
        assert isinstance(envelope, Envelope)
        if envelope.type != "events_api" or not isinstance(envelope.payload, dict):
            log.debug("ignored a %s envelope", envelope.type)
            continue
        try:
            incoming = await router.incoming(envelope.payload.get("event"))
            if incoming is None:
                continue
            if pictures.requests is not None and picture_ask_in(incoming.text):
                channel, _ = slack_target(incoming.conversation)
                answering.start_soon(pictures.requests.take, incoming, channel)
                continue
            # Recorded here, in arrival order; answered concurrently with other conversations.
            message_id, is_new = await handler.receive(incoming)
        except Exception:
            log.warning(
                "could not take a Slack event (envelope %s)", envelope.envelope_id, exc_info=True
            )
            continue
        if is_new:
            answering.start_soon(
                handler.answer, incoming.conversation, message_id, incoming.platform_message_id
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
