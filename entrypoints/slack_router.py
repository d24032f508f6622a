"""Which Slack messages Lukas answers, and in which conversation.

A DM belongs to the DM's current session, a mention to its thread, a reply to a thread
Lukas is part of; a new top-level message in a monitored channel is judged once.
"""

from __future__ import annotations

import logging
from typing import Any

from lukas.adapters.slack.events import BotIdentity, Ignored, read_event
from lukas.adapters.slack.text import to_plain, to_request_text
from lukas.adapters.slack.web import SlackWeb
from lukas.application.dm_sessions import DmSessions
from lukas.application.handle_message import IncomingMessage
from lukas.application.live_settings import SettingsSource
from lukas.application.people import PeopleDirectory
from lukas.application.ports.event_store import EventStore
from lukas.application.proactive import ThreadJudge
from lukas.domain.conversation_key import ConversationKey

log = logging.getLogger(__name__)


class MonitoredChannels:
    """The ids of the channels in force, looked up again only when an admin changes them."""

    def __init__(self, settings: SettingsSource, web: SlackWeb) -> None:
        self._settings = settings
        self._web = web
        self._names: tuple[str, ...] | None = None
        self._ids: frozenset[str] = frozenset()

    async def ids(self) -> frozenset[str]:
        names = (await self._settings.current()).monitored_channels
        if names != self._names:
            found = await self._web.resolve_channels(names)
            self._names, self._ids = names, frozenset(found.values())
        return self._ids


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
        monitored: MonitoredChannels | None = None,
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
        unasked = False
        if message.is_direct:
            key = await self._sessions.conversation_for(message.channel, message.ts)
        elif message.mentions_me:
            key = ConversationKey.slack_thread(message.channel, message.thread_ts or message.ts)
        elif message.thread_ts and await self._has_history(
            key := ConversationKey.slack_thread(message.channel, message.thread_ts)
        ):
            # A reply in a thread Lukas is part of; one he joined unasked, until it is busy.
            if self._judge and not await self._judge.keeps_following(
                message.channel, message.thread_ts, key
            ):
                log.debug("left a busy thread alone: %s", key)
                return None
        elif message.thread_ts is None and await self._joins_new_thread(
            message.channel, message.ts
        ):
            key = ConversationKey.slack_thread(message.channel, message.ts)
            unasked = True
        else:
            return None
        text = await to_plain(message.text, self._me.user_id, self._people.name_of)
        return IncomingMessage(
            conversation=key,
            author_id=message.user,
            author_name=await self._people.name_of(message.user),
            text=text or "(waves)",
            platform_message_id=message.ts,
            unasked=unasked,
            request_text=to_request_text(message.text, self._me.user_id),
        )

    async def _joins_new_thread(self, channel: str, ts: str) -> bool:
        """Judge a new top-level message in a monitored channel: reply, react, or neither."""
        if self._judge is None or self._monitored is None:
            return False
        if channel not in await self._monitored.ids():
            return False
        decision = await self._judge.judge(channel, ts)
        if decision is None:
            return False
        if decision.reaction and self._web is not None:
            await self._web.add_reaction(channel, ts, decision.reaction)
        return decision.reply

    async def _has_history(self, key: ConversationKey) -> bool:
        return bool(await self._store.read_stream_tail(key.stream_id, 1))
