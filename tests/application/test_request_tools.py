"""The model's tool calls become the same requests the parser makes, or Unclear."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from lukas.application.ports.chat_model import ToolCall
from lukas.application.requests.tools import REQUEST_TOOLS, request_from_tool_call
from lukas.domain.requests import (
    CancelReminder,
    ChangeSetting,
    ChannelRef,
    ListReminders,
    Me,
    PauseProactive,
    PersonRef,
    PostAnnouncement,
    Request,
    ResumeProactive,
    SetReminder,
    ShowHelp,
    ShowStats,
    ShowStatus,
    ShowTeam,
    Unclear,
)

BERLIN = ZoneInfo("Europe/Berlin")
NOW = dt.datetime(2026, 11, 25, 14, 0, tzinfo=BERLIN)


@pytest.mark.parametrize(
    ("name", "arguments", "expected"),
    [
        (
            "post_announcement",
            {"channel": "#General", "text": "Cake!"},
            PostAnnouncement(channel=ChannelRef("general"), text="Cake!"),
        ),
        (
            "post_announcement",
            {"channel": "<#C0123|random>", "text": "Hi"},
            PostAnnouncement(channel=ChannelRef("C0123"), text="Hi"),
        ),
        (
            "set_reminder",
            {"who": "me", "when": "in 30 minutes", "what": "stretch"},
            SetReminder(target=Me(), due=NOW + dt.timedelta(minutes=30), text="stretch"),
        ),
        (
            "set_reminder",
            {"who": "@ada", "when": "tomorrow at 9am", "what": "slides"},
            SetReminder(
                target=PersonRef("ada"),
                due=dt.datetime(2026, 11, 26, 9, 0, tzinfo=BERLIN),
                text="slides",
            ),
        ),
        (
            "set_reminder",
            {"who": "#general", "when": "3pm", "what": "standup"},
            SetReminder(
                target=ChannelRef("general"),
                due=dt.datetime(2026, 11, 25, 15, 0, tzinfo=BERLIN),
                text="standup",
            ),
        ),
        ("list_reminders", {}, ListReminders()),
        ("cancel_reminder", {"number": 2}, CancelReminder(2)),
        ("show_team", {}, ShowTeam()),
        ("show_status", {}, ShowStatus()),
        ("show_stats", {}, ShowStats()),
        ("show_help", {"topic": "remind"}, ShowHelp("remind")),
        ("show_help", {"topic": "nonsense"}, ShowHelp(None)),
        (
            "change_setting",
            {"setting": "thread probability", "value": "0.5"},
            ChangeSetting(setting="thread_probability", value="0.5"),
        ),
        ("pause", {}, PauseProactive(None)),
        ("pause", {"until": "tomorrow 9am"}, PauseProactive(NOW.replace(day=26, hour=9))),
        ("resume", {}, ResumeProactive()),
        ("a_tool_from_the_future", {}, ShowHelp(None)),
    ],
)
def test_tool_calls_map_onto_requests(
    name: str, arguments: dict[str, Any], expected: Request
) -> None:
    assert request_from_tool_call(ToolCall(name, arguments), NOW) == expected


@pytest.mark.parametrize(
    ("name", "arguments", "topic"),
    [
        ("post_announcement", {"channel": "#general"}, "post"),
        ("post_announcement", {"channel": "@ada", "text": "hi"}, "post"),
        ("post_announcement", {"channel": 7, "text": "hi"}, "post"),
        ("set_reminder", {"who": "me", "when": "someday", "what": "x"}, "remind"),
        ("set_reminder", {"who": "me", "when": "in 5 minutes"}, "remind"),
        ("set_reminder", {"who": "me", "when": "yesterday", "what": "x"}, "remind"),
        ("cancel_reminder", {"number": "two"}, "remind"),
        ("cancel_reminder", {"number": 0}, "remind"),
        ("cancel_reminder", {"number": True}, "remind"),
        ("change_setting", {"setting": "volume", "value": "11"}, "settings"),
        ("pause", {"until": "the heat death of the universe"}, "pause"),
    ],
)
def test_arguments_that_make_no_request_are_unclear(
    name: str, arguments: dict[str, Any], topic: str
) -> None:
    request = request_from_tool_call(ToolCall(name, arguments), NOW)
    assert isinstance(request, Unclear)
    assert request.topic == topic
    assert request.problem


def test_every_tool_offered_is_understood_and_schemas_are_objects() -> None:
    for tool in REQUEST_TOOLS:
        assert tool.parameters["type"] == "object"
        assert set(tool.parameters["required"]) <= set(tool.parameters["properties"])
        # An offered tool never falls through to the "unknown tool" answer.
        request = request_from_tool_call(ToolCall(tool.name, {}), NOW)
        assert request != ShowHelp(None) or tool.name == "show_help"


def test_no_tool_offers_forgetting() -> None:
    # It cannot be undone: only the documented words, read by the parser, ask for it.
    for tool in REQUEST_TOOLS:
        assert "forget" not in tool.name
        assert "forget" not in tool.description.lower()
