"""What people ask Lukas: every command form, what stays conversation, and what is unclear."""

from __future__ import annotations

import datetime as dt
import time
from zoneinfo import ZoneInfo

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lukas.domain.requests import (
    HELP_TOPICS,
    MAX_COMMAND_CHARACTERS,
    SETTING_NAMES,
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
    parse_request,
    setting_key,
)

BERLIN = ZoneInfo("Europe/Berlin")
# A Wednesday afternoon in late November.
NOW = dt.datetime(2026, 11, 25, 14, 0, tzinfo=BERLIN)


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=BERLIN)


def post(channel: str, text: str) -> PostAnnouncement:
    return PostAnnouncement(channel=ChannelRef(channel), text=text)


def remind(target: Me | PersonRef | ChannelRef, due: dt.datetime, text: str) -> SetReminder:
    return SetReminder(target=target, due=due, text=text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("post 'Team meeting at 3pm' to #general", post("general", "Team meeting at 3pm")),
        ('post "x" in #general', post("general", "x")),
        ("announce 'x' to #general", post("general", "x")),
        ("post to #general: x", post("general", "x")),
        ("announce in #random: x", post("random", "x")),
        ("post 'x' to general", post("general", "x")),
        ("post 'x' to General.", post("general", "x")),
        ("post 'x' to <#C0123|general>", post("C0123", "x")),
        ("post 'x' to <#C0123>", post("C0123", "x")),
        ("post 'x' to C0123ABC", post("C0123ABC", "x")),
        ("post 'x' to #General!", post("general", "x")),
        ("POST 'x' TO #general", post("general", "x")),
        ("post to <#C0123|general>: x", post("C0123", "x")),
        ("post to general: x", post("general", "x")),
        ("post to #general hello all", post("general", "hello all")),
        ("post to #general 'hello all'", post("general", "hello all")),
        # The text is taken as typed, with "to", apostrophes and the other kind of quote.
        ("post 'Don't go to the lab' to #general", post("general", "Don't go to the lab")),
        ("post \"Ada's 'quick' demo\" to #general", post("general", "Ada's 'quick' demo")),
        ("post 'Say \"hi\" to Bob' to #general", post("general", 'Say "hi" to Bob')),
        ("post to #general: Lunch is here!", post("general", "Lunch is here!")),
        ("post to #general: any questions?", post("general", "any questions?")),
        ("post to #general: line one\nline two", post("general", "line one\nline two")),
        ("post \u2018Don\u2019t panic\u2019 to #general", post("general", "Don\u2019t panic")),
        ("post \u201chi there\u201d to #general", post("general", "hi there")),
        ("please post 'x' to #general", post("general", "x")),
        ("hey lukas, could you post 'x' to #general please", post("general", "x")),
        ("<@U0BOT> announce 'x' to #general", post("general", "x")),
    ],
)
def test_announcements(text: str, expected: PostAnnouncement) -> None:
    assert parse_request(text, NOW) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "remind me in 30 minutes to check the build",
            remind(Me(), at(25, 14, 30), "check the build"),
        ),
        (
            "remind me to check the build in 30 minutes",
            remind(Me(), at(25, 14, 30), "check the build"),
        ),
        (
            "remind #general tomorrow at 9am about the standup",
            remind(ChannelRef("general"), at(26, 9), "the standup"),
        ),
        (
            "remind <#C0123|general> tomorrow at 9am about the standup",
            remind(ChannelRef("C0123"), at(26, 9), "the standup"),
        ),
        (
            "remind <@U0123> at 3pm to send the slides",
            remind(PersonRef("U0123"), at(25, 15), "send the slides"),
        ),
        (
            "remind <@U0123ABC|ada> at 3pm to send the slides",
            remind(PersonRef("U0123ABC"), at(25, 15), "send the slides"),
        ),
        ("remind @ada on friday to submit", remind(PersonRef("ada"), at(27, 9), "submit")),
        ("set a reminder for 3pm to call Bob", remind(Me(), at(25, 15), "call Bob")),
        ("set a reminder to call Bob at 3pm", remind(Me(), at(25, 15), "call Bob")),
        ("set reminder tomorrow: renew the visa", remind(Me(), at(26, 9), "renew the visa")),
        ("remind me tomorrow that the build is red", remind(Me(), at(26, 9), "the build is red")),
        ("remind me to pay the bill by friday", remind(Me(), at(27, 9), "pay the bill")),
        ("Remind Me In 2h To Stretch", remind(Me(), at(25, 16), "Stretch")),
        (
            "hey lukas, can you please remind me to water the plants by friday, thanks!",
            remind(Me(), at(27, 9), "water the plants"),
        ),
        ("can you remind me in an hour to stretch?", remind(Me(), at(25, 15), "stretch")),
        ("remind me at 9am tomorrow to 'call Ada'", remind(Me(), at(26, 9), "call Ada")),
    ],
)
def test_reminders(text: str, expected: SetReminder) -> None:
    assert parse_request(text, NOW) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("set thread probability to 0.3", ChangeSetting(setting="thread_probability", value="0.3")),
        (
            "change check-in interval to 2 hours",
            ChangeSetting(setting="dm_interval", value="2 hours"),
        ),
        ("set checkin interval = 2h", ChangeSetting(setting="dm_interval", value="2h")),
        ("set the dm_interval to '4h'", ChangeSetting(setting="dm_interval", value="4h")),
        ("set LUKAS_DM_INTERVAL to 4h", ChangeSetting(setting="dm_interval", value="4h")),
        ("set thread chance to 0.1", ChangeSetting(setting="thread_probability", value="0.1")),
        ("set Reaction-Probability to 0", ChangeSetting(setting="reaction_probability", value="0")),
        ("set reaction chance to 1", ChangeSetting(setting="reaction_probability", value="1")),
        (
            "set lukas_reaction_probability = 0.5",
            ChangeSetting(setting="reaction_probability", value="0.5"),
        ),
        (
            "set image schedule to mondays 9:00",
            ChangeSetting(setting="image_schedule", value="mondays 9:00"),
        ),
        ("set picture schedule to off", ChangeSetting(setting="image_schedule", value="off")),
        (
            "set LUKAS_IMAGE_SCHEDULE to \u201cfridays\u201d",
            ChangeSetting(setting="image_schedule", value="fridays"),
        ),
        (
            "set active hours to 08:00-18:00",
            ChangeSetting(setting="active_hours", value="08:00-18:00"),
        ),
        ("set working hours to always", ChangeSetting(setting="active_hours", value="always")),
        (
            "set LUKAS_ACTIVE_HOURS to 09:00-17:00",
            ChangeSetting(setting="active_hours", value="09:00-17:00"),
        ),
        (
            "set monitored channels to #general, #random",
            ChangeSetting(setting="monitored_channels", value="#general, #random"),
        ),
        (
            "change channels to <#C0123|general>",
            ChangeSetting(setting="monitored_channels", value="<#C0123|general>"),
        ),
        (
            "set LUKAS_MONITORED_CHANNELS = general",
            ChangeSetting(setting="monitored_channels", value="general"),
        ),
        # The value runs to the end, "to" and all: the application validates it.
        (
            "set image schedule to monday to friday",
            ChangeSetting(setting="image_schedule", value="monday to friday"),
        ),
        (
            "set thread probability to lots",
            ChangeSetting(setting="thread_probability", value="lots"),
        ),
    ],
)
def test_settings(text: str, expected: ChangeSetting) -> None:
    assert parse_request(text, NOW) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("pause", PauseProactive(None)),
        ("pause!", PauseProactive(None)),
        ("be quiet", PauseProactive(None)),
        ("pause until tomorrow 9am", PauseProactive(at(26, 9))),
        ("pause until 5pm", PauseProactive(at(25, 17))),
        ("pause for 2 hours", PauseProactive(at(25, 16))),
        ("pause for an hour please", PauseProactive(at(25, 15))),
        ("be quiet until monday", PauseProactive(at(30, 9))),
        ("be quiet for 1h30m", PauseProactive(at(25, 15, 30))),
        ("resume", ResumeProactive()),
        ("unpause", ResumeProactive()),
        ("you can talk again", ResumeProactive()),
        ("lukas, you can talk again!", ResumeProactive()),
        ("reminders", ListReminders()),
        ("list reminders", ListReminders()),
        ("show my reminders", ListReminders()),
        ("cancel reminder 3", CancelReminder(3)),
        ("cancel reminder #3", CancelReminder(3)),
        ("delete reminder 3", CancelReminder(3)),
        ("remove my reminder no. 12", CancelReminder(12)),
        ("cancel reminder number 2, please", CancelReminder(2)),
        ("team", ShowTeam()),
        ("who is on the team", ShowTeam()),
        ("who's on the team?", ShowTeam()),
        ("who\u2019s on the team?", ShowTeam()),
        ("team info", ShowTeam()),
        ("members", ShowTeam()),
        ("status", ShowStatus()),
        ("how are you configured?", ShowStatus()),
        ("settings", ShowStatus()),
        ("config", ShowStatus()),
        ("show settings", ShowStatus()),
        ("Status, please.", ShowStatus()),
        ("<@U0BOT> status", ShowStatus()),
        ("stats", ShowStats()),
        ("statistics", ShowStats()),
        ("engagement stats", ShowStats()),
        ("help", ShowHelp(None)),
        ("help!", ShowHelp(None)),
        ("what can you do?", ShowHelp(None)),
        ("commands", ShowHelp(None)),
        ("?", ShowHelp(None)),
        ("help reminders", ShowHelp("remind")),
        ("help with posting", ShowHelp("post")),
        ("help team", ShowHelp("team")),
        ("help settings", ShowHelp("settings")),
        ("help pause", ShowHelp("pause")),
        ("  Hey Lukas,   HELP   Reminders  ", ShowHelp("remind")),
    ],
)
def test_the_other_commands(text: str, expected: Request) -> None:
    assert parse_request(text, NOW) == expected


@pytest.mark.parametrize(
    "text",
    [
        "how are you?",
        "I posted the results to #general yesterday",
        "can you remind me what we said?",
        "remind me what the plan was",
        "remind me, who is presenting?",
        "remind me of the plan tomorrow",
        "remind me when the build finishes",
        "remind him that the deadline moved",
        "please don't remind me about that",
        "we should set up a meeting",
        "set theory is fun",
        "set up the cluster for me",
        "set the table to seat four",
        "change the subject to something fun",
        "change the temperature to 20 degrees",  # a fixed setting's label, but English
        "the status of the experiment is unclear",
        "what's the status?",
        "status update: the run finished",
        "could you help me understand this proof?",
        "help! the cluster is down",
        "post-doc interviews are next week",
        "posting the slides now",
        "post office was closed today, annoying",
        "announcement: lunch is served",
        "the team lunch was great",
        "teams are hard",
        "reminders are useful",
        "stats are tricky",
        "pause the music",
        "resume writing is tedious",
        "we changed the threshold to 0.3",
        "cancel the meeting",
        "thanks lukas!",
        "hey lukas",
        "lukas's birthday is today",
        "",
        "   ",
        "!!!",
    ],
)
def test_conversation_is_not_a_command(text: str) -> None:
    assert parse_request(text, NOW) is None


@pytest.mark.parametrize(
    ("text", "topic", "problem"),
    [
        ("post hello", "post", "in quotes and a channel"),
        ("post", "post", "in quotes and a channel"),
        ("post 'hello'", "post", "which channel"),
        ("post to #general", "post", "what should I post"),
        ("post '' to #general", "post", "what should I post"),
        ("post hello everyone to #general", "post", "in quotes and a channel"),
        ("post 'x' to the general channel", "post", "in quotes and a channel"),
        ("post 'x' to #", "post", "couldn't read '#' as a channel"),
        ("remind me sometime", "remind", "couldn't find when; try 'remind me in 30 minutes"),
        ("remind me to stretch", "remind", "couldn't find when"),
        ("remind", "remind", "who, when and what"),
        ("remind me in 30 minutes", "remind", "what should the reminder say"),
        ("remind me at 25pm to stretch", "remind", "couldn't read '25pm' as a time"),
        ("remind me tomorrow at 25pm to stretch", "remind", "couldn't read '25pm' as a time"),
        ("remind me today at 9am to stretch", "remind", "that time has passed"),
        ("remind me to stretch today", "remind", "say what time today"),
        ("remind me at 3 to stretch", "remind", "whether '3' means 3am or 3pm"),
        ("remind me on 2026-02-30 to stretch", "remind", "isn't a date"),
        ("remind us tomorrow to stretch", "remind", "say a channel, e.g. 'remind #general"),
        ("remind the team at 3pm about lunch", "remind", "say a channel"),
        ("remind everyone at 3pm about lunch", "remind", "say a channel"),
        ("remind <!here> at 3pm about lunch", "remind", "say a channel"),
        ("remind @channel at 3pm about lunch", "remind", "say a channel"),
        ("set a reminder", "remind", "couldn't find when"),
        ("cancel reminder", "remind", "cancel reminder 3"),
        ("cancel reminder 0", "remind", "cancel reminder 3"),
        ("cancel reminder three", "remind", "cancel reminder 3"),
        ("cancel all reminders", "remind", "cancel reminder 3"),
        ("cancel reminder 99999999999", "remind", "cancel reminder 3"),
        ("set foo to 3", "settings", "don't know a setting called 'foo'; I can change: check-in"),
        ("change dm frequency to 2h", "settings", "called 'dm frequency'"),
        (
            "set history pairs to 5",
            "settings",
            "I can't change the history pairs in chat: it is set at start, with"
            " LUKAS_HISTORY_PAIRS or history_pairs in lukas.toml",
        ),
        ("set LUKAS_TIMEZONE to Europe/Berlin", "settings", "can't change the time zone in chat"),
        ("set log_level to debug", "settings", "set at start, with LUKAS_LOG_LEVEL"),
        ("set thread probability", "settings", "what should the thread probability be"),
        ("set thread probability to", "settings", "what should the thread probability be"),
        ("set thread probability to ''", "settings", "what should the thread probability be"),
        ("set thread probability 0.3", "settings", "say 'set thread probability to"),
        ("pause until someday", "pause", "couldn't read 'someday' as a time"),
        ("pause until", "pause", "until when"),
        ("pause for ages", "pause", "couldn't read 'ages' as a length of time"),
        ("pause until 2020-01-01", "pause", "that time has passed"),
        ("be quiet for 0 minutes", "pause", "no time at all"),
    ],
)
def test_unclear_commands_say_what_would_work(text: str, topic: str, problem: str) -> None:
    request = parse_request(text, NOW)
    assert isinstance(request, Unclear), request
    assert request.topic == topic
    assert problem in request.problem


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("check-in interval", "dm_interval"),
        ("Checkin Interval", "dm_interval"),
        ("dm_interval", "dm_interval"),
        ("LUKAS_DM_INTERVAL", "dm_interval"),
        ("thread  probability", "thread_probability"),
        ("thread-chance", "thread_probability"),
        ("reaction probability", "reaction_probability"),
        ("picture_schedule", "image_schedule"),
        ("working hours", "active_hours"),
        ("'active hours'", "active_hours"),
        ("channels", "monitored_channels"),
        ("lukas_monitored_channels", "monitored_channels"),
        ("foo", None),
        ("", None),
    ],
)
def test_setting_names(name: str, key: str | None) -> None:
    assert setting_key(name) == key


def test_every_setting_has_a_name_and_is_known_by_it() -> None:
    assert set(SETTING_NAMES) == {
        "dm_interval",
        "thread_probability",
        "reaction_probability",
        "image_schedule",
        "active_hours",
        "monitored_channels",
    }
    for key, name in SETTING_NAMES.items():
        assert setting_key(name) == key


def test_requests_check_what_they_hold() -> None:
    with pytest.raises(ValueError, match="topic"):
        Unclear(topic="weather", problem="?")
    with pytest.raises(ValueError, match="topic"):
        ShowHelp("weather")
    with pytest.raises(ValueError, match="setting"):
        ChangeSetting(setting="colour", value="blue")
    with pytest.raises(ValueError, match="number"):
        CancelReminder(0)
    assert set(HELP_TOPICS) == {"post", "remind", "team", "settings", "pause", "forget"}


COMMAND_WORDS = st.sampled_from(
    [
        *("post", "announce", "remind", "me", "us", "@ada", "<@U0123|ada>", "<#C0123|general>"),
        *("#general", "general", "to", "in", "about", "that", ":", "'", '"', "\u2018", "\u201d"),
        *("set", "change", "a", "reminder", "thread probability", "=", "cancel", "#3", "3"),
        *("pause", "until", "for", "be quiet", "help", "reminders", "status", "please", "?"),
        *("in 30 minutes", "tomorrow at 9am", "3pm", "25pm", "at 3", "today", "2020-01-01"),
        *("lukas,", "can you", "\u0663", "\x00", "\u202e", "\U0001f43b", "\n"),
    ]
)
texts = st.one_of(
    st.text(max_size=200),
    st.lists(COMMAND_WORDS, max_size=14).map(" ".join),
    st.lists(st.one_of(COMMAND_WORDS, st.text(max_size=6)), max_size=14).map(" ".join),
    st.text(min_size=3000, max_size=6000),
    st.text(min_size=5000, max_size=50_000),  # past MAX_COMMAND_CHARACTERS
)


@settings(max_examples=400, deadline=None)
@given(texts)
def test_any_text_parses_to_a_request_or_none_and_never_raises(text: str) -> None:
    request = parse_request(text, NOW)
    if request is None:
        return
    attrs.validate(request)
    if isinstance(request, SetReminder):
        assert request.due > NOW
        assert request.text
    if isinstance(request, PauseProactive) and request.until is not None:
        assert request.until > NOW
    if isinstance(request, PostAnnouncement):
        assert request.text
        assert request.channel.ref
    if isinstance(request, Unclear):
        assert request.problem


@pytest.mark.parametrize(
    ("head", "filler", "tail"),
    [
        ("set ", " ", "x"),  # once cubic: a lazy name before "\\s*=" over a run of spaces
        ("change ", " ", "= 3"),
        ("post '", "' to ", "#general"),
        ("post '", "'", ""),
        ("post to ", " ", "#general"),
        ("remind me ", "in 30 ", ""),
        ("remind me to ", "x ", "tomorrow"),
        ("cancel reminder ", " ", "3"),
        ("please ", "please ", "status"),
        ("status", " !", ""),
        ("can you ", "an ", ""),
    ],
)
def test_long_repetitive_text_takes_linear_time(head: str, filler: str, tail: str) -> None:
    text = head + filler * ((MAX_COMMAND_CHARACTERS - len(head) - len(tail)) // len(filler)) + tail
    started = time.perf_counter()
    parse_request(text, NOW)
    # Linear work here is a few milliseconds; backtracking blow-ups take minutes.
    assert time.perf_counter() - started < 1.0
