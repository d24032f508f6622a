"""What people ask Lukas to do, read from what they type, deterministically.

A command starts with its verb or keyword, after nothing but politeness ("hey lukas,",
"please", "can you"), so ordinary conversation that mentions posting or reminding stays
conversation (None). Text that starts like a command but can't be read is `Unclear`,
naming the help topic and the problem, so Lukas can say what would work instead of
guessing. Values are extracted, not validated: the application knows what fits.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from typing import TypeAlias

import attrs

from lukas.domain import channels
from lukas.domain import request_forms as forms
from lukas.domain.images import picture_ask_in
from lukas.domain.when import WhenError, find_when, parse_when

HELP_TOPICS = ("post", "remind", "team", "settings", "pause", "forget")
# Commands are short; past this, text is conversation (or an accident) and isn't scanned.
MAX_COMMAND_CHARACTERS = 4000

# Canonical key -> the name Lukas uses for it; `setting_key` reads the names people type.
SETTING_NAMES: Mapping[str, str] = forms.SETTING_NAMES
setting_key = forms.setting_key


@attrs.frozen
class Me:
    """The person asking."""


@attrs.frozen
class PersonRef:
    ref: str  # a member id ("U0123ABC") from a mention, or a name as typed after "@"


@attrs.frozen
class ChannelRef:
    ref: str  # a channel id ("C0123"), or a lower-case name without "#"


ReminderTarget: TypeAlias = Me | PersonRef | ChannelRef
ForgetTarget: TypeAlias = Me | PersonRef


@attrs.frozen(kw_only=True)
class PostAnnouncement:
    channel: ChannelRef
    text: str


@attrs.frozen(kw_only=True)
class SetReminder:
    target: ReminderTarget
    due: dt.datetime
    text: str


@attrs.frozen
class ListReminders:
    pass


@attrs.frozen
class CancelReminder:
    number: int = attrs.field(validator=attrs.validators.ge(1))  # as ListReminders shows


@attrs.frozen
class ShowTeam:
    pass


@attrs.frozen
class ShowStatus:
    pass


@attrs.frozen
class ShowStats:
    pass


@attrs.frozen
class ShowHelp:
    topic: str | None = attrs.field(
        default=None, validator=attrs.validators.optional(attrs.validators.in_(HELP_TOPICS))
    )


@attrs.frozen(kw_only=True)
class ChangeSetting:
    setting: str = attrs.field(validator=attrs.validators.in_(SETTING_NAMES))
    value: str  # as typed: the application validates it


@attrs.frozen
class PauseProactive:
    until: dt.datetime | None = None  # None: until resumed


@attrs.frozen
class ResumeProactive:
    pass


@attrs.frozen
class DrawPicture:
    """A bear picture, now: "draw a picture for the milestone". Admins only (it costs)."""

    theme: str | None = None
    occasion: str | None = None


@attrs.frozen
class ForgetPerson:
    """Forget everything the person said to Lukas and he said to them: "forget me", or an
    admin's "forget @ada". Only the parser makes it: no model tool offers it, since it
    cannot be undone."""

    target: ForgetTarget


@attrs.frozen
class ConfirmForgetting:
    """ "yes, forget me": carries out the asker's forget request still waiting."""


@attrs.frozen(kw_only=True)
class Unclear:
    """Looked like a command but could not be read; `problem` says what would work."""

    topic: str = attrs.field(validator=attrs.validators.in_(HELP_TOPICS))
    problem: str


Request: TypeAlias = (
    PostAnnouncement
    | SetReminder
    | ListReminders
    | CancelReminder
    | ShowTeam
    | ShowStatus
    | ShowStats
    | ShowHelp
    | ChangeSetting
    | PauseProactive
    | ResumeProactive
    | DrawPicture
    | ForgetPerson
    | ConfirmForgetting
    | Unclear
)


def parse_request(text: str, now: dt.datetime) -> Request | None:
    """The command `text` asks for, or None for ordinary conversation."""
    if len(text) > MAX_COMMAND_CHARACTERS:
        return None
    # Before the other forms: "post a picture" is a picture, not an announcement.
    if (ask := picture_ask_in(text)) is not None:
        return DrawPicture(ask.theme, ask.occasion)
    said = _Said.of(text)
    if not said.core:
        only_question_marks = bool(said.lead) and not said.lead.strip("?")
        return ShowHelp() if only_question_marks else None
    if said.key in _FIXED:
        return _FIXED[said.key]
    for parse in _FORMS:
        request = parse(said, now)
        if request is not None:
            return request
    return None


@attrs.frozen
class _Said:
    lead: str  # after the politeness at the start: trailing words kept for announcements
    core: str  # ...and without the politeness and punctuation at the end
    key: str  # the core lower-cased, in single spaces, with straight apostrophes

    @classmethod
    def of(cls, text: str) -> _Said:
        lead = forms.strip_openers(text)
        core = forms.strip_closers(lead)
        return cls(lead, core, " ".join(core.lower().replace("\u2019", "'").split()))


_FIXED: dict[str, Request] = {
    **dict.fromkeys(
        ("team", "who is on the team", "who's on the team", "team info", "members", "show team"),
        ShowTeam(),
    ),
    **dict.fromkeys(
        ("status", "how are you configured", "settings", "config", "show settings", "show status"),
        ShowStatus(),
    ),
    **dict.fromkeys(("stats", "statistics", "engagement stats", "show stats"), ShowStats()),
    **dict.fromkeys(("help", "help me", "what can you do", "commands"), ShowHelp()),
    **dict.fromkeys(("reminders", "list reminders", "show reminders"), ListReminders()),
    **dict.fromkeys(("my reminders", "list my reminders", "show my reminders"), ListReminders()),
    **dict.fromkeys(("resume", "unpause", "un-pause", "you can talk again"), ResumeProactive()),
}
_HELP_TOPIC_WORDS = {
    **dict.fromkeys(("post", "posts", "posting", "announce", "announcements"), "post"),
    **dict.fromkeys(("remind", "reminder", "reminders", "reminding"), "remind"),
    **dict.fromkeys(("team", "members"), "team"),
    **dict.fromkeys(("settings", "setting", "set", "config", "status"), "settings"),
    **dict.fromkeys(("pause", "pausing", "resume", "quiet"), "pause"),
    **dict.fromkeys(("forget", "forgetting", "privacy"), "forget"),
}
# "help reminders", "help with posting": one topic word, else it's a plea, not a command.
_HELP = re.compile(r"help\s+(?:(?:with|on|about|for)\s+)?(?P<topic>\S+)")


def _help(said: _Said, now: dt.datetime) -> Request | None:
    match = _HELP.fullmatch(said.key)
    topic = _HELP_TOPIC_WORDS.get(match["topic"]) if match else None
    return ShowHelp(topic) if topic else None


def _post(said: _Said, now: dt.datetime) -> Request | None:
    parts = forms.post_parts(said.lead)
    if parts is None or isinstance(parts, forms.Problem):
        return _unclear("post", parts)
    channel, text = parts
    return PostAnnouncement(channel=ChannelRef(channel), text=text)


def _reminder(said: _Said, now: dt.datetime) -> Request | None:
    parts = forms.reminder_parts(said.core)
    if parts is None or isinstance(parts, forms.Problem):
        return _unclear("remind", parts)
    whom, body = parts
    target = reminder_target(whom)
    if target is None:
        return None  # "remind him that ...": said about someone, not asked of Lukas
    try:
        found = find_when(body, now)
    except WhenError as error:
        return Unclear(topic="remind", problem=str(error))
    if found is None:
        return Unclear(topic="remind", problem=f"I couldn't find when; {forms.REMIND_EXAMPLE}")
    due, text = found
    text = forms.unquote(text)
    if not text:
        problem = f"what should the reminder say? {forms.REMIND_EXAMPLE}"
        return Unclear(topic="remind", problem=problem)
    return SetReminder(target=target, due=due, text=text)


def is_channel_id(text: str) -> bool:
    """Slack's channel ids are upper case with digits; "CAMPFIRE" is a name in capitals."""
    return channels.is_channel_id(text)


def channel_reference(token: str) -> str | None:
    """A channel id (from Slack's markup, or bare), or a lower-case name with or without "#"."""
    return channels.channel_ref(token, bare=True)


def reminder_target(whom: str) -> ReminderTarget | None:
    """Who a reminder is for: "me", a mention or "@name", or a channel link or "#name"."""
    if whom.rstrip(",.;:!?").lower() == "me":
        return Me()
    if (person := forms.person_ref(whom)) is not None:
        return PersonRef(person)
    if (channel := channels.channel_ref(whom, bare=False)) is not None:
        return ChannelRef(channel)
    return None


def _cancel(said: _Said, now: dt.datetime) -> Request | None:
    number = forms.reminder_number(said.core)
    if number is None or isinstance(number, forms.Problem):
        return _unclear("remind", number)
    return CancelReminder(number)


def _setting(said: _Said, now: dt.datetime) -> Request | None:
    parts = forms.setting_parts(said.core)
    if parts is None or isinstance(parts, forms.Problem):
        return _unclear("settings", parts)
    key, value = parts
    return ChangeSetting(setting=key, value=value)


PAUSE_EXAMPLE = "try 'pause until tomorrow 9am', 'pause for 2 hours' or just 'pause'"
# "pause", "pause until monday", "be quiet for 2 hours".
_PAUSE = re.compile(
    r"(?:pause|be quiet)(?:\s+(?P<how>until|till|til|for)\b\s*(?P<when>.*))?",
    re.IGNORECASE | re.DOTALL,
)


def _pause(said: _Said, now: dt.datetime) -> Request | None:
    asked = _PAUSE.fullmatch(said.core)
    if asked is None:
        return None
    if asked["how"] is None:
        return PauseProactive()
    when = asked["when"].strip()
    if not when:
        return Unclear(topic="pause", problem=f"until when? {PAUSE_EXAMPLE}")
    try:  # "for 2 hours" is "in 2 hours": elapsed time
        until = parse_when(f"in {when}" if asked["how"].lower() == "for" else when, now)
    except WhenError as error:
        return Unclear(topic="pause", problem=str(error))
    return PauseProactive(until)


def _forget(said: _Said, now: dt.datetime) -> Request | None:
    if forms.confirms_forgetting(said.key):
        return ConfirmForgetting()
    if forms.forgets_the_asker(said.key):
        return ForgetPerson(Me())
    whom = forms.forget_whom(said.core)
    return None if whom is None else ForgetPerson(PersonRef(whom))


def _unclear(topic: str, problem: forms.Problem | None) -> Unclear | None:
    return None if problem is None else Unclear(topic=topic, problem=problem.text)


_FORMS: tuple[Callable[[_Said, dt.datetime], Request | None], ...] = (
    _help,
    _post,
    _reminder,  # before _setting: "set a reminder ..." is a reminder
    _cancel,
    _setting,
    _pause,
    _forget,
)
