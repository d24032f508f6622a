"""`lukas slack`: Lukas in a Slack workspace over Socket Mode.

Each envelope is recorded in the log before it is acknowledged (Inbox.record); then, in
arrival order, it is read into its conversation (Inbox.settle), and the recorded route is
carried out (Inbound.carry_out), concurrently across conversations, in order within one.
A stop (SIGINT, SIGTERM) stops taking envelopes, gives replies in flight a few seconds,
and leaves the rest recorded for the next start to finish.
"""

from __future__ import annotations

import logging
import re
import signal
from collections.abc import Callable, Coroutine, Mapping
from datetime import timedelta
from typing import Any

import aiohttp
import anyio
from anyio.abc import TaskGroup
from anyio.streams.memory import MemoryObjectReceiveStream
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from lukas.adapters.slack.assistant import assistant_thread
from lukas.adapters.slack.events import (
    AssistantThreadEvent,
    BotIdentity,
    Ignored,
    read_assistant_event,
    read_event,
    read_interaction,
)
from lukas.adapters.slack.reading import SlackText
from lukas.adapters.slack.socket import Envelope, socket_mode_connection
from lukas.adapters.slack.web import SlackWeb
from lukas.application.check_ins import run_check_ins
from lukas.application.inbox import Inbox
from lukas.application.picture_schedule import WeeklySchedule, run_schedule
from lukas.application.ports.roster import RosterUnavailable
from lukas.application.projections.pending_work import Delivery
from lukas.application.roster import run_roster_sync
from lukas.domain.events import InboundReceived
from lukas.entrypoints.bootstrap import Lukas, Reading
from lukas.entrypoints.config import Config, ConfigError
from lukas.entrypoints.db_location import Location
from lukas.entrypoints.pictures import timezone_of, weekly_schedule
from lukas.entrypoints.wiring import Platform, open_lukas

log = logging.getLogger(__name__)

_TOKEN_PREFIXES = {"SLACK_BOT_TOKEN": "xoxb-", "SLACK_APP_TOKEN": "xapp-"}
_TOKEN_BODY = re.compile(r"[A-Za-z0-9-]*")
# Real tokens are far longer; this only catches a placeholder or a cut-off paste.
_TOKEN_MIN_BODY = 10
RECOVERY_INTERVAL = 60.0
# Replies in flight when a stop comes get this long; what is left is recorded and is
# finished by the next start.
SHUTDOWN_GRACE = 5.0
# Deliveries recorded and waiting to be read; beyond this, recovery reads them.
_WAITING = 10_000

Task = Callable[[], Coroutine[Any, Any, None]]


class TokenError(ConfigError):
    """A missing or malformed Slack token: the bot cannot start."""


class SlackUnreachableError(ConfigError):
    """Slack did not answer at all: the network, a proxy, or LUKAS_SLACK_API_URL."""


def _reason(error: BaseException) -> str:
    if isinstance(error, aiohttp.ClientConnectorError):
        if isinstance(error.os_error, ConnectionRefusedError):
            return "connection refused"
        return error.os_error.strerror or str(error.os_error)
    return str(error) or type(error).__name__


def _token(environ: Mapping[str, str], name: str) -> str:
    value = environ.get(name, "").strip()
    if not value:
        raise TokenError(f"{name} is not set (see README: Slack setup)")
    prefix = _TOKEN_PREFIXES[name]
    # What is wrong is named; the value never is: it is a secret.
    if not value.startswith(prefix):
        raise TokenError(f"{name} does not look like a Slack token (it should start {prefix})")
    body = value.removeprefix(prefix)
    if not _TOKEN_BODY.fullmatch(body):
        raise TokenError(
            f"{name} has characters a Slack token does not (only letters, digits and -);"
            " copy it again from the app's settings"
        )
    if len(body) < _TOKEN_MIN_BODY:
        raise TokenError(
            f"{name} is too short for a Slack token ({len(value)} characters);"
            " copy the whole token from the app's settings"
        )
    return value


def slack_bot_token(environ: Mapping[str, str]) -> str:
    return _token(environ, "SLACK_BOT_TOKEN")


def slack_tokens(environ: Mapping[str, str]) -> tuple[str, str]:
    return _token(environ, "SLACK_BOT_TOKEN"), _token(environ, "SLACK_APP_TOKEN")


async def run_slack(config: Config, db: Location, environ: Mapping[str, str]) -> int:
    bot_token, app_token = slack_tokens(environ)
    web = AsyncWebClient(token=bot_token, base_url=config.slack_api_url)
    web.retry_handlers.append(AsyncRateLimitErrorRetryHandler(max_retry_count=2))
    try:
        auth = await web.auth_test()
    except SlackApiError as error:
        raise TokenError(f"Slack refused SLACK_BOT_TOKEN: {error.response.get('error')}") from None
    except (aiohttp.ClientError, TimeoutError) as error:
        raise SlackUnreachableError(
            f"cannot reach Slack at {config.slack_api_url}: {_reason(error)}"
            " (check the network, or LUKAS_SLACK_API_URL)"
        ) from None
    me = BotIdentity(user_id=str(auth["user_id"]), bot_id=str(auth.get("bot_id") or ""))
    team = auth.get("team_id")
    slack = SlackWeb(web, team_id=team if isinstance(team, str) and team else None)
    platform = Platform(
        channel=slack,
        announcements=slack,
        dms=slack,
        lukas_id=me.user_id,
        image_poster=slack,
        assistant=slack.assistant,
        reading=Reading(
            text=SlackText(me.user_id),
            people=slack,
            channels=slack,
            reactions=slack,
            roster=slack,
        ),
    )
    async with open_lukas(config, db, environ, platform) as opened:
        lukas = opened.lukas
        opened.prepare()  # the provider's SDK loads while recovery and Socket Mode start
        if opened.notice:
            log.warning("%s", opened.notice)
        if opened.no_pictures:
            log.warning("no pictures: %s", opened.no_pictures)
        if opened.log_notice:
            log.warning("%s", opened.log_notice)
        assert lukas.inbox is not None  # composed with a Reading
        # Forgetting comes first: nothing is read that should be forgotten by now.
        await lukas.forgetting.finish_unfinished()
        await lukas.retention.apply()
        await lukas.recovery.run()
        log.warning("Lukas is on Slack as %s", me.user_id)
        # Every process recovers what dead ones left; the schedulers run in one at a time.
        schedulers = [
            lukas.reminders.run,
            lukas.retention.run,
            *_engagement(lukas, timedelta(hours=config.roster_sync_hours)),
            *_picture_schedule(config, lukas),
        ]
        background = [
            lambda: _recover_periodically(lukas),
            lambda: opened.leadership.lead(lambda: _all(schedulers)),
            opened.watch_lease,  # raises, ending the bot, when this replica's lease is lost
        ]
        try:
            await _serve(_Bot(me, lukas, lukas.inbox), app_token, web, background)
        finally:
            # The next start folds the pending work from here, not from the log's start.
            with anyio.CancelScope(shield=True):
                await lukas.recovery.keep_checkpoint()
    return 0


class _Bot:
    """Takes Slack's envelopes: records each, reads it into its conversation, answers."""

    def __init__(self, me: BotIdentity, lukas: Lukas, inbox: Inbox) -> None:
        self.me = me
        self.lukas = lukas
        self.inbox = inbox
        self._waiting, self.deliveries = anyio.create_memory_object_stream[Delivery](_WAITING)

    async def accept(self, envelope: Envelope) -> bool:
        """Record what needs recording; True once it is safe to acknowledge."""
        if envelope.type == "interactive":
            return await self._accept_click(envelope.payload)
        if envelope.type != "events_api" or not isinstance(envelope.payload, dict):
            log.debug("ignored a %s envelope", envelope.type)
            return True
        thread = read_assistant_event(envelope.payload.get("event"))
        if thread is not None:
            return await self._accept_assistant_thread(thread)
        message = read_event(envelope.payload.get("event"), self.me)
        if isinstance(message, Ignored):
            # Malformed input is worth a look; edits, bots and joins are everyday noise.
            level = logging.WARNING if message.reason.startswith("malformed") else logging.DEBUG
            log.log(level, "ignored a Slack event: %s", message.reason)
            return True
        received = InboundReceived(
            platform="slack",
            channel=message.channel,
            ts=message.ts,
            thread_ts=message.thread_ts,
            author_id=message.user,
            text=message.text,
            is_direct=message.is_direct,
            mentions_me=message.mentions_me,
        )
        # Raises if the log cannot be written: then Slack must send the envelope again.
        delivery = await self.inbox.record(received)
        if delivery is not None:
            try:
                self._waiting.send_nowait(delivery)
            except anyio.WouldBlock:
                log.warning("many messages waiting; recovery reads %s", delivery.event_id)
        return True

    async def _accept_assistant_thread(self, thread: AssistantThreadEvent) -> bool:
        threads = self.lukas.assistant_threads
        if threads is None:
            return True
        # Raises if the log cannot be written: then Slack must send the event again.
        if thread.started:
            await threads.started(
                thread.channel, thread.thread_ts, thread.user, thread.context_channel
            )
        else:
            await threads.context_changed(
                thread.channel, thread.thread_ts, thread.context_channel, thread.event_ts
            )
        return True

    async def _accept_click(self, payload: object) -> bool:
        click = read_interaction(payload)
        if isinstance(click, Ignored):
            level = logging.WARNING if click.reason.startswith("malformed") else logging.DEBUG
            log.log(level, "ignored a Slack interaction: %s", click.reason)
            return True
        # Raises if the log cannot be written: then Slack must send the click again.
        await self.lukas.feedback.give(
            click.platform_message_id, click.reply, click.user, good=click.good
        )
        return True

    def stop_taking(self) -> None:
        self._waiting.close()


async def _read_and_answer(
    bot: _Bot, deliveries: MemoryObjectReceiveStream[Delivery], answering: TaskGroup
) -> None:
    """Deliveries read in the order they came; each route carried out concurrently."""
    async for delivery in deliveries:
        try:
            message = await bot.inbox.settle(delivery)
        except Exception:
            # Recorded as InboundFailed: recovery tries again within a minute.
            log.warning("could not read Slack message %s", delivery.event_id, exc_info=True)
            continue
        if message is not None:
            answering.start_soon(bot.lukas.inbound.carry_out, message)
            threads = bot.lukas.assistant_threads
            if threads is not None and assistant_thread(message.conversation) is not None:
                answering.start_soon(
                    threads.title_after, message.conversation, delivery.received.text
                )


async def _serve(bot: _Bot, app_token: str, web: AsyncWebClient, background: list[Task]) -> None:
    async with anyio.create_task_group() as tasks:
        for task in background:
            tasks.start_soon(task)
        with anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
            async with anyio.create_task_group() as answering:
                reading = anyio.CancelScope()

                async def read() -> None:
                    with reading:
                        await _read_and_answer(bot, bot.deliveries, answering)

                answering.start_soon(read)
                async with socket_mode_connection(app_token, web, bot.accept):
                    await _first_signal(signals)
                # No new envelopes now. What is recorded but not read, or not answered
                # within the grace, is finished by the next start (Recovery).
                bot.stop_taking()
                reading.cancel()
                answering.cancel_scope.deadline = anyio.current_time() + SHUTDOWN_GRACE
        tasks.cancel_scope.cancel()


async def _first_signal(signals: Any) -> None:
    async for received in signals:
        log.warning(
            "received %s: replies in flight get %g s; the rest is recorded for the next start",
            received.name,
            SHUTDOWN_GRACE,
        )
        return


def _engagement(lukas: Lukas, every: timedelta) -> list[Task]:
    """The roster synced now and every `every`; check-ins on schedule once it is known."""
    roster, check_ins = lukas.roster, lukas.check_ins
    if roster is None or check_ins is None:
        return []

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
            tasks.start_soon(run_check_ins, check_ins, lukas.clock, anyio.sleep)

    return [run]


def _picture_schedule(config: Config, lukas: Lukas) -> list[Task]:
    """The weekly picture, when there are pictures and a channel for them."""
    maker, target = lukas.pictures, config.image.channel
    if maker is None or not target:
        return []
    weekly_schedule(config)  # a bad schedule stops the start, with the reason
    timezone = timezone_of(config)

    async def schedule() -> WeeklySchedule:
        current = (await lukas.settings.current()).image_schedule
        return WeeklySchedule.parse(current, timezone)

    async def run() -> None:
        await run_schedule(
            schedule=schedule,
            maker=maker,
            store=lukas.store,
            clock=lukas.clock,
            channel=target,
            sleep=anyio.sleep,
        )

    return [run]


async def _all(tasks: list[Task]) -> None:
    async with anyio.create_task_group() as group:
        for task in tasks:
            group.start_soon(task)


async def _recover_periodically(lukas: Lukas) -> None:
    """Reads and answers what was left (a failed read, Slack down), once it can be."""
    while True:
        await anyio.sleep(RECOVERY_INTERVAL)
        try:
            # A forgetting left half done (its scrub failed) is not left until a restart.
            # Replicas may both finish one: deleting keys and scrubbing again is harmless,
            # and a second PersonForgotten for the person says nothing new.
            await lukas.forgetting.finish_unfinished()
        except Exception:
            log.warning("could not finish forgetting; trying again in a minute", exc_info=True)
        try:
            await lukas.recovery.run()
        except Exception:
            log.warning("periodic recovery failed", exc_info=True)
