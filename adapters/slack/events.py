"""Slack Events API payloads, read into the few facts Lukas acts on, or a reason to ignore.

Slack sends far more than people's messages: edits, deletions, joins, bots, Lukas's own
posts. Everything but a person's new message is ignored here, with the reason logged.
"""

from __future__ import annotations

from typing import Any

import attrs

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
