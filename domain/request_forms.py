"""The words and shapes of Lukas's commands in Slack text. Private to `requests`.

Politeness, quotes, mentions, channel links, setting names, and the grammar of each
command that has one. Everything here hands back plain pieces of text (or a `Problem` to
say to the person); `requests` turns the pieces into requests and owns the time phrases.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import attrs

from lukas.domain.channels import CLINGING_MARKS as _CLINGING_MARKS
from lukas.domain.channels import channel_ref
from lukas.domain.settings import LIVE_SETTINGS, SETTINGS, Setting

# Openers that carry no command, one after another: "hey lukas, can you please ...". A
# leading mention is tolerated whoever it names: the caller removes the bot's own.
_OPENER = re.compile(
    r"(?:(?:hey|hi|hello|ok|okay)\s+)?(?:lukas\b|<@[UW][A-Z0-9]+(?:\|[^>]*)?>)[\s,:;!.]*"
    r"|(?:please|pls|plz|kindly)\b[\s,]*"
    r"|(?:can|could|would|will)\s+you\b\s*",
    re.IGNORECASE,
)
_CLOSING_WORDS = ("please", "pls", "plz", "thanks", "thank you")
_CLOSING_MARKS = "!?.,"
# Straight and curly quotes, and the closers each pairs with: phones turn ' into a curly
# pair, and not always both ends.
QUOTE_PAIRS = {"'": "'\u2019", "\u2018": "'\u2019", '"': '"\u201d', "\u201c": '"\u201d'}
# A member as Slack sends a mention, "<@U0123>" or "<@U0123|ada>" (W: Enterprise Grid).
_MENTION = re.compile(r"<@(?P<id>[UW][A-Z0-9]+)(?:\|[^>]*)?>")
_AT_NAME = re.compile(r"@(?P<name>[\w.-]+)")

# The settings admins may change in chat, by key, and the name Lukas calls each one.
SETTING_NAMES: Mapping[str, str] = {s.key: s.label for s in LIVE_SETTINGS}


@attrs.frozen
class Problem:
    """Why text that starts like a command can't be read, said to the person."""

    text: str


def strip_openers(text: str) -> str:
    """The text after any greeting, mention, "please" or "can you" at its start."""
    text = text.strip()
    while (opener := _OPENER.match(text)) is not None and opener.end() > 0:
        text = text[opener.end() :].lstrip()
    return text


def strip_closers(text: str) -> str:
    """The text without "please", "thanks", "!", "?" or "." at its end."""
    while True:
        before = text
        end = len(text)
        while end and (text[end - 1].isspace() or text[end - 1] in _CLOSING_MARKS):
            end -= 1
        text = text[:end]
        for word in _CLOSING_WORDS:
            edge = text[-len(word) - 1 : -len(word)]  # a whole word: "please", not "apls"
            if text[-len(word) :].lower() == word and not edge.isalnum():
                text = text[: -len(word)]
                break
        if text == before:
            return text


def unquote(text: str) -> str:
    """`text` trimmed, without one pair of surrounding quotes."""
    text = text.strip()
    if len(text) >= 2 and text[0] in QUOTE_PAIRS and text[-1] in QUOTE_PAIRS[text[0]]:
        return text[1:-1].strip()
    return text


def person_ref(token: str) -> str | None:
    """A member id from a mention, or a name as typed after "@"."""
    token = token.rstrip(_CLINGING_MARKS)
    if mention := _MENTION.fullmatch(token):
        return mention["id"]
    if named := _AT_NAME.fullmatch(token):
        return named["name"]
    return None


def _setting_form(name: str) -> str:
    """Hyphens, underscores and spaces are one separator; case doesn't count."""
    return " ".join(re.split(r"[\s_-]+", name.lower())).strip()


def _names_of(setting: Setting[Any]) -> tuple[str, ...]:
    """What people may call a setting: its label, the other words for it, its key and its
    environment variable."""
    return (setting.label, *setting.aliases, setting.key, setting.env)


_SETTING_KEYS = {_setting_form(name): s.key for s in LIVE_SETTINGS for name in _names_of(s)}
# Settings that are read only at start: named in chat, they get a pointer, not a shrug.
_FIXED_SETTINGS = {_setting_form(name): s for s in SETTINGS if not s.live for name in _names_of(s)}


def setting_key(name: str) -> str | None:
    """The canonical key for a setting's name as typed, or its env var; None if unknown."""
    return _SETTING_KEYS.get(_setting_form(unquote(name)))


POST_EXAMPLE = "post 'Team meeting at 3pm' to #general, or post to #general: Team meeting at 3pm"
_POST = re.compile(r"(?:post|announce)(?:\s+(?P<rest>.*))?", re.IGNORECASE | re.DOTALL)
# Where, then what: "to #general: text", "in <#C0123|general> text", "to general: text".
_WHERE_FIRST = re.compile(
    r"(?:to|in)\s+(?P<channel><#[^>\s]+>|#[^\s:]+|[^\s:'\"\u2018\u201c]+)\s*(?P<colon>:)?\s*"
    r"(?P<text>.*)",
    re.IGNORECASE | re.DOTALL,
)
# Quoted text, then perhaps where. The text runs to the last closer before "to #channel",
# so it may hold apostrophes, the word "to" and quotes of the other kind.
_QUOTED = re.compile(
    r"(?:'(?P<a>.*)['\u2019]|\u2018(?P<b>.*)['\u2019]|\"(?P<c>.*)[\"\u201d]|\u201c(?P<d>.*)[\"\u201d])"
    r"(?:\s+(?:to|in)\s+(?P<channel>\S+))?",
    re.IGNORECASE | re.DOTALL,
)
_CHANNEL_CUE = re.compile(r"<#|(?:^|\s)#\w")


def post_parts(lead: str) -> tuple[str, str] | Problem | None:
    """An announcement's channel ref and text; None if `lead` doesn't start with the verb.

    `lead` keeps its end as typed: an announcement after "to #general:" is taken whole,
    "!" and all.
    """
    verb = _POST.fullmatch(lead)
    if verb is None:
        return None
    rest = (verb["rest"] or "").strip()
    where = _WHERE_FIRST.fullmatch(rest)
    if where is not None:
        # Without a colon, only an unmistakable channel ("#general", a link) starts the text.
        channel = channel_ref(where["channel"], bare=where["colon"] is not None)
        if channel is not None:
            return _announcement(channel, unquote(where["text"]))
    quoted = _QUOTED.fullmatch(strip_closers(rest))
    if quoted is None:
        if len(rest.split()) <= 3 or _CHANNEL_CUE.search(rest) or rest[:1] in QUOTE_PAIRS:
            return Problem(f"I need the text in quotes and a channel: {POST_EXAMPLE}")
        return None  # "post office was closed today": a sentence, not a command
    if quoted["channel"] is None:
        return Problem(f"which channel should I post it in? {POST_EXAMPLE}")
    channel = channel_ref(quoted["channel"], bare=True)
    if channel is None:
        return Problem(f"I couldn't read '{quoted['channel']}' as a channel; {POST_EXAMPLE}")
    text = next(group for group in quoted.group("a", "b", "c", "d") if group is not None)
    return _announcement(channel, text.strip())


def _announcement(channel: str, text: str) -> tuple[str, str] | Problem:
    if not text:
        return Problem(f"what should I post? {POST_EXAMPLE}")
    return channel, text


REMIND_EXAMPLE = (
    "try 'remind me in 30 minutes to stretch' or 'remind #general tomorrow at 9am about the"
    " standup'"
)
_REMIND = re.compile(r"remind(?:\s+(?P<rest>.*))?", re.IGNORECASE | re.DOTALL)
# "set a reminder for 3pm to call Bob": for the person asking, whatever follows.
_SET_REMINDER = re.compile(
    r"(?:set|add|create|make)\s+(?:me\s+)?(?:a\s+)?(?:new\s+)?reminder(?:\s+(?P<rest>.*))?",
    re.IGNORECASE | re.DOTALL,
)
# Everyone at once, whom a reminder can only reach through a channel.
_EVERYONE = re.compile(
    r"(?:us|everyone|everybody|all|(?:the\s+)?team"
    r"|<!(?:here|channel|everyone)(?:\|[^>]*)?>|@(?:here|channel|everyone))(?=\s|$)",
    re.IGNORECASE,
)
# After "remind me", these ask about the past ("remind me what we said"): conversation.
_RECALLING = frozenset(
    ("what", "who", "whom", "whose", "how", "why", "where", "when", "which", "whether", "if")
) | {"of", "again"}


def reminder_parts(core: str) -> tuple[str, str] | Problem | None:
    """Whom a reminder is for, as typed ("me" when setting one), and the words after."""
    if asked := _SET_REMINDER.fullmatch(core):
        return "me", (asked["rest"] or "").strip()
    asked = _REMIND.fullmatch(core)
    if asked is None:
        return None
    rest = (asked["rest"] or "").strip()
    if not rest:
        return Problem(f"who, when and what? {REMIND_EXAMPLE}")
    everyone = _EVERYONE.match(rest)
    if everyone is not None:
        whom, body = everyone.group(), rest[everyone.end() :].strip()
    else:
        whom, body = _first_word(rest)
    if _first_word(body)[0].rstrip(_CLINGING_MARKS).lower() in _RECALLING:
        return None
    if everyone is not None:
        return Problem(
            "I can't remind everyone at once; say a channel, e.g. 'remind #general tomorrow at"
            " 9am about the standup'"
        )
    return whom, body


def _first_word(text: str) -> tuple[str, str]:
    parts = text.split(None, 1)
    if not parts:
        return "", ""
    return parts[0], parts[1].strip() if len(parts) > 1 else ""


# "cancel reminder 3", "delete reminder #3", "remove my reminder no. 3": whatever follows
# "reminder" must be the number, which is checked after.
_CANCEL = re.compile(
    r"(?:cancel|delete|remove)\s+(?:(?:my|the|all(?:\s+(?:my|the))?)\s+)?reminders?\b"
    r"\s*(?:number\s+|no\.?\s*)?#?\s*(?P<number>.*)",
    re.IGNORECASE | re.DOTALL,
)


def reminder_number(core: str) -> int | Problem | None:
    """The number of the reminder to cancel, as the list of reminders shows it."""
    asked = _CANCEL.fullmatch(core)
    if asked is None:
        return None
    number = asked["number"]
    if number.isascii() and number.isdigit() and len(number) <= 6 and int(number) >= 1:
        return int(number)
    return Problem("which one? say 'cancel reminder 3', with a number from 'list reminders'")


# "set thread probability to 0.3", "change the check-in interval = 2h": the verb here, then
# the first "=" or "to" splits name from value. Two steps, not one lazy regex, so a long
# run of spaces costs linear time rather than cubic.
_SET = re.compile(r"(?:set|change)\s+", re.IGNORECASE)
_NAME_ENDS = re.compile(r"=|(?<=\s)to(?=\s|$)", re.IGNORECASE)
# An article before an unknown name reads as English ("change the subject to ..."), not
# as a mistyped setting, so that stays conversation.
_ARTICLE = re.compile(r"(?:the|my|your|our|this|that|a|an)\s+", re.IGNORECASE)


def setting_parts(core: str) -> tuple[str, str] | Problem | None:
    """A setting's canonical key and its value as typed, unquoted."""
    verb = _SET.match(core)
    if verb is None:
        return None
    rest = core[verb.end() :]
    name_end = _NAME_ENDS.search(rest)
    typed = rest[: name_end.start()].strip() if name_end else ""
    if name_end is None or not typed:
        return _setting_without_value(rest)
    article = _ARTICLE.match(typed)
    name = typed[article.end() :] if article else typed
    key = setting_key(name)
    fixed = None if article else _FIXED_SETTINGS.get(_setting_form(unquote(name)))
    if key is None and fixed is not None:
        where = f"{fixed.env} or {fixed.toml_key} in lukas.toml" if fixed.toml_key else fixed.env
        said = f"I can't change the {fixed.label} in chat: it is set at start, with {where}"
        return Problem(said)
    if key is None:
        if article or len(name.split()) > 3:
            return None
        known = ", ".join(SETTING_NAMES.values())
        return Problem(f"I don't know a setting called '{name}'; I can change: {known}")
    value = unquote(rest[name_end.end() :])
    return (key, value) if value else Problem(_say_the_value(key))


def _setting_without_value(rest: str) -> Problem | None:
    """ "set thread probability 0.3": a known setting, but no "to" before the value."""
    words = rest.split(None, 5)[:5]
    if words and _ARTICLE.fullmatch(words[0] + " "):
        words = words[1:]
    for count in range(min(4, len(words)), 0, -1):
        key = setting_key(" ".join(words[:count]))
        if key is not None:
            return Problem(_say_the_value(key))
    return None


def _say_the_value(key: str) -> str:
    name = SETTING_NAMES[key]
    return f"what should the {name} be? say 'set {name} to ...'"


# Forgetting cannot be undone, so only these exact shapes ask for it: a sentence that
# merely says "forget" ("don't forget the meeting") stays conversation. They are matched
# against the lower-cased key, in single spaces with straight apostrophes.
_FORGET_ME = re.compile(
    r"forget (?:about )?me"
    r"|forget (?:everything|all) (?:about me"
    r"|(?:that )?i(?:'ve| have)? (?:ever )?(?:said|told you|wrote)(?: to you)?)"
)
_CONFIRM_FORGETTING = re.compile(
    r"yes,? (?:please )?forget(?: (?:me|them|him|her|everything))?"
    r"|yes,? (?:please )?go ahead and forget(?: (?:me|them|him|her|everything))?"
)
# "forget @ada", "forget about <@U0ADA>", "forget everything @ada said": matched against
# the core as typed, since a member id in a mention is upper case.
_FORGET_SOMEONE = re.compile(
    r"forget\s+(?:about\s+|(?:everything|all)\s+about\s+)?(?P<who>\S+)"
    r"|forget\s+(?:everything|all)\s+(?:that\s+)?(?P<whose>\S+)\s+(?:has\s+|ever\s+)?said",
    re.IGNORECASE,
)
# Everyone at once is not a person: "forget @channel" asks for nobody in particular.
_NOT_A_PERSON = frozenset(("here", "channel", "everyone"))


def forgets_the_asker(key: str) -> bool:
    return _FORGET_ME.fullmatch(key) is not None


def confirms_forgetting(key: str) -> bool:
    return _CONFIRM_FORGETTING.fullmatch(key) is not None


def forget_whom(core: str) -> str | None:
    """The member id or "@name" an admin asks Lukas to forget; None if `core` is not
    such a request."""
    asked = _FORGET_SOMEONE.fullmatch(core)
    if asked is None:
        return None
    person = person_ref(asked["who"] or asked["whose"])
    return None if person is None or person.lower() in _NOT_A_PERSON else person
