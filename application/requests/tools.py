"""The requests as tools the model may call, and its calls turned back into requests.

The model only chooses; it never acts. A tool call becomes the same Request the parser
makes, and runs through the same desk: permission checks, validation, use cases.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from lukas.application.ports.chat_model import Tool, ToolCall
from lukas.domain.requests import (
    HELP_TOPICS,
    SETTING_NAMES,
    CancelReminder,
    ChangeSetting,
    ChannelRef,
    ListReminders,
    Me,
    PauseProactive,
    PersonRef,
    PostAnnouncement,
    ReminderTarget,
    Request,
    ResumeProactive,
    SetReminder,
    ShowHelp,
    ShowStats,
    ShowStatus,
    ShowTeam,
    Unclear,
    is_channel_id,
    reminder_target,
    setting_key,
)
from lukas.domain.when import WhenError, parse_when


def _tool(name: str, description: str, **properties: Mapping[str, Any]) -> Tool:
    required = [key for key, spec in properties.items() if not spec.get("optional")]
    cleaned = {
        k: {f: v for f, v in spec.items() if f != "optional"} for k, spec in properties.items()
    }
    return Tool(
        name=name,
        description=description,
        parameters={
            "type": "object",
            "properties": cleaned,
            "required": required,
            "additionalProperties": False,
        },
    )


_TEXT = {"type": "string"}
REQUEST_TOOLS: tuple[Tool, ...] = (
    _tool(
        "post_announcement",
        "Post an announcement in a Slack channel on the person's behalf.",
        channel={"type": "string", "description": "the channel, e.g. #general"},
        text={"type": "string", "description": "the announcement, in the person's words"},
    ),
    _tool(
        "set_reminder",
        "Remind the person, a teammate or a channel of something at a later time.",
        who={"type": "string", "description": "me, @name, or #channel"},
        when={
            "type": "string",
            "description": "e.g. 'in 30 minutes', '3pm', 'tomorrow at 9am', 'friday'",
        },
        what={"type": "string", "description": "what to remind of"},
    ),
    _tool("list_reminders", "List the person's reminders that have not fired yet."),
    _tool(
        "cancel_reminder",
        "Cancel one of the person's reminders by its number.",
        number={"type": "integer", "description": "the reminder's number"},
    ),
    _tool("show_team", "Who is on the team; admins are marked."),
    _tool("show_status", "Lukas's settings, whether he is paused, and his AI provider's health."),
    _tool("show_stats", "How Lukas has engaged: check-ins, threads joined, reactions."),
    _tool(
        "show_help",
        "What Lukas can do, with examples.",
        topic={"type": "string", "enum": list(HELP_TOPICS), "optional": True},
    ),
    _tool(
        "change_setting",
        "Change one of Lukas's settings (admins only; Lukas checks).",
        setting={"type": "string", "enum": sorted(SETTING_NAMES.values())},
        value={"type": "string"},
    ),
    _tool(
        "pause",
        "Stop Lukas speaking unasked (admins only), until a time or until resumed.",
        until={"type": "string", "description": "e.g. 'tomorrow 9am'", "optional": True},
    ),
    _tool("resume", "Let Lukas speak unasked again (admins only)."),
)

_SIMPLE: dict[str, Request] = {
    "list_reminders": ListReminders(),
    "show_team": ShowTeam(),
    "show_status": ShowStatus(),
    "show_stats": ShowStats(),
    "resume": ResumeProactive(),
}


def request_from_tool_call(call: ToolCall, now: dt.datetime) -> Request:
    """The request the model chose, or Unclear when its arguments do not make one."""
    if call.name in _SIMPLE:
        return _SIMPLE[call.name]
    args = call.arguments
    match call.name:
        case "post_announcement":
            return _announcement(args)
        case "set_reminder":
            return _reminder(args, now)
        case "cancel_reminder":
            number = args.get("number")
            if isinstance(number, int) and not isinstance(number, bool) and number > 0:
                return CancelReminder(number)
            return Unclear(topic="remind", problem="Which reminder? Say e.g. 'cancel reminder 2'.")
        case "show_help":
            topic = _string(args, "topic")
            return ShowHelp(topic if topic in HELP_TOPICS else None)
        case "change_setting":
            key = setting_key(_string(args, "setting"))
            if key is None:
                name = args.get("setting")
                return Unclear(topic="settings", problem=f"I don't know a setting called {name!r}.")
            return ChangeSetting(setting=key, value=_string(args, "value"))
        case "pause":
            until = _string(args, "until")
            if not until:
                return PauseProactive(None)
            try:
                return PauseProactive(parse_when(until, now))
            except WhenError as error:
                return Unclear(topic="pause", problem=str(error))
    return ShowHelp(None)  # a tool this code does not know: what Lukas can do instead


def _announcement(args: Mapping[str, Any]) -> Request:
    channel, text = _string(args, "channel"), _string(args, "text")
    if not channel or not text:
        return Unclear(topic="post", problem="I need both a channel and the words to post.")
    target = _target(channel)
    if not isinstance(target, ChannelRef):
        return Unclear(topic="post", problem=f"{channel!r} is not a channel; try #general.")
    return PostAnnouncement(channel=target, text=text)


def _reminder(args: Mapping[str, Any], now: dt.datetime) -> Request:
    what = _string(args, "what")
    if not what:
        return Unclear(topic="remind", problem="What should I remind of?")
    try:
        due = parse_when(_string(args, "when"), now)
    except WhenError as error:
        return Unclear(topic="remind", problem=str(error))
    return SetReminder(target=_target(_string(args, "who") or "me"), due=due, text=what)


def _target(who: str) -> ReminderTarget:
    """As the parser reads a target, and what a model writes besides: "myself", a bare
    channel id, a name without "@"."""
    text = who.strip()
    if text.lower() in {"myself", "i"}:
        return Me()
    if (target := reminder_target(text)) is not None:
        return target
    if is_channel_id(text):
        return ChannelRef(text)
    return PersonRef(text.removeprefix("@"))


def _string(args: Mapping[str, Any], name: str) -> str:
    value = args.get(name)
    return value.strip() if isinstance(value, str) else ""
