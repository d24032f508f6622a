"""Slack's payloads, read into the few facts Lukas acts on, or a reason to ignore them.

Slack sends far more than people's messages: edits, deletions, joins, bots, Lukas's own
posts. Read here: a person's new message, a thread opened or moved in the assistant pane,
and a click on the feedback buttons under a reply; everything else is ignored, with the
reason logged.
"""

from __future__ import annotations

from typing import Any

import attrs

from lukas.adapters.slack.streams import FEEDBACK_ACTION, read_verdict
from lukas.application.ports.chat_channel import Rateable

_HANDLED = frozenset({"message", "app_mention"})


@attrs.frozen
class BotIdentity:
    user_id: str
    bot_id: str


@attrs.frozen
class SlackMessage:
    channel: str
    ts: str
    thread_ts: str | None
    user: str
    text: str
    is_direct: bool
    mentions_me: bool


@attrs.frozen
class FeedbackClick:
    """A click on the good or bad button under one of Lukas's replies."""

    channel: str
    message_ts: str
    user: str
    good: bool
    reply: Rateable

    @property
    def platform_message_id(self) -> str:
        return f"{self.channel}/{self.message_ts}"  # as the reply was recorded delivered


@attrs.frozen
class AssistantThreadEvent:
    """assistant_thread_started or assistant_thread_context_changed."""

    started: bool  # False: the context changed
    channel: str
    thread_ts: str
    user: str
    context_channel: str | None
    event_ts: str


@attrs.frozen
class Ignored:
    reason: str


def read_event(event: Any, me: BotIdentity) -> SlackMessage | Ignored:
    if not isinstance(event, dict):
        return Ignored("malformed: the event is not an object")
    kind = event.get("type")
    if not isinstance(kind, str) or kind not in _HANDLED:
        return Ignored(f"not a message ({kind!r})")
    if event.get("subtype") is not None:
        return Ignored(f"message subtype {event.get('subtype')!r}")
    if event.get("bot_id") or event.get("bot_profile"):
        return Ignored("from a bot")
    fields = {name: event.get(name) for name in ("user", "channel", "ts", "text")}
    missing = [name for name, value in fields.items() if not isinstance(value, str)]
    if missing or not fields["user"] or not fields["channel"] or not fields["ts"]:
        return Ignored(f"malformed: no {', '.join(missing) or 'user, channel or ts'}")
    user, channel, ts, text = (str(fields[n]) for n in ("user", "channel", "ts", "text"))
    if user == me.user_id:
        return Ignored("Lukas's own message")
    thread_ts = event.get("thread_ts")
    return SlackMessage(
        channel=channel,
        ts=ts,
        thread_ts=thread_ts if isinstance(thread_ts, str) and thread_ts != ts else None,
        user=user,
        text=text,
        is_direct=event.get("channel_type") == "im" or channel.startswith("D"),
        mentions_me=kind == "app_mention" or f"<@{me.user_id}>" in text,
    )


def read_assistant_event(event: Any) -> AssistantThreadEvent | None:
    """The assistant pane's thread events; None for any other event, or a malformed one."""
    if not isinstance(event, dict):
        return None
    kind = event.get("type")
    if kind not in {"assistant_thread_started", "assistant_thread_context_changed"}:
        return None
    thread = event.get("assistant_thread")
    if not isinstance(thread, dict):
        return None
    fields = [thread.get(name) for name in ("channel_id", "thread_ts", "user_id")]
    if not all(isinstance(value, str) and value for value in fields):
        return None
    context = thread.get("context")
    context_channel = context.get("channel_id") if isinstance(context, dict) else None
    return AssistantThreadEvent(
        started=kind == "assistant_thread_started",
        channel=str(fields[0]),
        thread_ts=str(fields[1]),
        user=str(fields[2]),
        context_channel=context_channel if isinstance(context_channel, str) else None,
        event_ts=str(event.get("event_ts") or ""),
    )


def read_interaction(payload: Any) -> FeedbackClick | Ignored:
    """An `interactive` envelope's payload: a click on the feedback buttons, or a reason."""
    if not isinstance(payload, dict):
        return Ignored("malformed: the interaction is not an object")
    if payload.get("type") != "block_actions":
        return Ignored(f"not a button ({payload.get('type')!r})")
    actions = payload.get("actions")
    action = actions[0] if isinstance(actions, list) and actions else None
    if not isinstance(action, dict) or action.get("action_id") != FEEDBACK_ACTION:
        return Ignored("not the feedback buttons")
    verdict = read_verdict(action.get("value"))
    user = payload.get("user")
    user_id = user.get("id") if isinstance(user, dict) else None
    channel = _channel_of(payload)
    ts = _message_ts(payload)
    if verdict is None or not isinstance(user_id, str) or not user_id or not channel or not ts:
        return Ignored("malformed: a feedback click without its value, user, channel or message")
    good, reply = verdict
    return FeedbackClick(channel=channel, message_ts=ts, user=user_id, good=good, reply=reply)


def _channel_of(payload: dict[str, Any]) -> str | None:
    for holder in (payload.get("channel"), payload.get("container")):
        if isinstance(holder, dict):
            found = holder.get("id") or holder.get("channel_id")
            if isinstance(found, str) and found:
                return found
    return None


def _message_ts(payload: dict[str, Any]) -> str | None:
    for holder, key in ((payload.get("container"), "message_ts"), (payload.get("message"), "ts")):
        if isinstance(holder, dict) and isinstance(holder.get(key), str) and holder[key]:
            return str(holder[key])
    return None
