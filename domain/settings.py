"""Every setting Lukas has, in one table, and how each one is read from text.

The rest is derived from `SETTINGS`: loading the configuration (defaults, `lukas.toml`,
the environment), `lukas config show`, the settings admins may change while Lukas runs
and the names people call them in chat, the status answer, the help text, and the
README's Configuration table (a test holds the README to this table).

Each setting's `parse` is pure: text in, the typed value out, or `SettingError` with the
reason in words. `show` gives the text that `parse` reads back as the same value. Two
checks need more than the text and so live where the configuration is loaded: whether a
time zone exists (zoneinfo reads the installed tzdata) and whether any-llm knows a model's
provider (importing any-llm takes seconds). Here a time zone is checked for its shape and a
model for `provider:model`.

Secrets (provider keys, Slack tokens) are not settings: every setting's value may be
shown, and a secret's never is.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from typing import Any, Generic, Literal, TypeVar

import attrs

from lukas.domain.channels import channel_ref, is_channel_id
from lukas.domain.check_ins import CheckInInterval, IntervalError
from lukas.domain.engagement import ActiveHours, ActiveHoursError
from lukas.domain.images import ScheduleError, WeeklyTime

T = TypeVar("T")
Word = TypeVar("Word", bound=str)

ReasoningEffort = Literal["minimal", "low", "medium", "high"]
ReasoningMode = Literal["auto", "yes", "no"]
HemisphereName = Literal["north", "south"]
LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]


class SettingError(ValueError):
    """A value a setting cannot take; `reason` says why, in words people understand."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def said_of(subject: str, reason: str) -> str:
    """`subject` (a setting and its value) with why it was refused. A reason that goes on
    from the value ("is not a number") follows it; a sentence of its own follows a colon."""
    if reason.startswith(("is ", "must ", "has ")):
        return f"{subject} {reason}"
    return f"{subject}: {reason}"


@attrs.frozen(kw_only=True)
class Setting(Generic[T]):
    key: str  # the environment variable without LUKAS_, in lower case
    path: tuple[str, ...]  # where it sits in lukas.toml and in the configuration
    label: str  # the words people read, in status and in chat
    default: T
    parse: Callable[[str], T]  # the typed value, or SettingError saying why not
    show: Callable[[T], str]  # text that `parse` reads back as the same value
    aliases: tuple[str, ...] = ()  # other words people type for it in chat
    live: bool = False  # admins may change it while Lukas runs (ConfigurationChanged)
    in_toml: bool = True  # False: only the environment sets it
    is_list: bool = False  # lukas.toml takes a list of strings
    hint: str = ""  # the values it takes, with examples, for the help text

    @property
    def env(self) -> str:
        return f"LUKAS_{self.key.upper()}"

    @property
    def toml_key(self) -> str | None:
        return ".".join(self.path) if self.in_toml else None


# Text


def _text(what: str, *, spaces: bool = False) -> Callable[[str], str]:
    def parse(text: str) -> str:
        value = text.strip()
        if not value:
            raise SettingError(f"is empty; it needs {what}")
        if not spaces and any(c.isspace() for c in value):
            raise SettingError(f"has a space in it; it needs {what}")
        return value

    return parse


def _optional(parse: Callable[[str], T]) -> Callable[[str], T | None]:
    """Empty text means "not set": the provider's own endpoint, the model's own quality."""

    def parse_optional(text: str) -> T | None:
        return parse(text) if text.strip() else None

    return parse_optional


def _show_optional(show: Callable[[T], str]) -> Callable[[T | None], str]:
    def show_optional(value: T | None) -> str:
        return "" if value is None else show(value)

    return show_optional


def _one_of(options: tuple[Word, ...], *, upper: bool = False) -> Callable[[str], Word]:
    def parse(text: str) -> Word:
        said = text.strip().upper() if upper else text.strip().lower()
        for option in options:
            if said == option:
                return option
        raise SettingError(f"is not one of the allowed values ({', '.join(options)})")

    return parse


def _show_text(value: str) -> str:
    return value


# Numbers


def _float(text: str) -> float:
    try:
        number = float(text.strip())
    except ValueError:
        raise SettingError("is not a number") from None
    if not math.isfinite(number):
        raise SettingError("is not a number")
    return number


def _number(*, at_least: float, at_most: float | None = None) -> Callable[[str], float]:
    def parse(text: str) -> float:
        number = _float(text)
        if at_most is not None and not at_least <= number <= at_most:
            raise SettingError(f"must be between {at_least:g} and {at_most:g}")
        if number < at_least:
            raise SettingError(f"must be at least {at_least:g}")
        return number

    return parse


def _whole(*, at_least: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            number = int(text.strip())
        except ValueError:
            _float(text)  # not a number at all, or a number with a fraction?
            raise SettingError("must be a whole number") from None
        if number < at_least:
            raise SettingError(f"must be at least {at_least}")
        return number

    return parse


def _show_number(value: float) -> str:
    """The shortest text that reads back as exactly this number: 0.2, 30, 1e-05."""
    return repr(float(value)).removesuffix(".0")


def _show_whole(value: int) -> str:
    return str(value)


def _probability(text: str) -> float:
    """0.25 or 25%: the words admins type in chat, so the reasons are sentences."""
    value = text.strip()
    said = value.removesuffix("%").strip()
    try:
        number = float(said) / (100 if value.endswith("%") else 1)
    except ValueError:
        raise SettingError(f"{value!r} is not a number; use e.g. 0.25 or 25%") from None
    if not 0.0 <= number <= 1.0:
        raise SettingError(f"a probability must be between 0 and 1, and {value} is not")
    return number


# Lukas's own kinds of value, read by the domain's parsers


def _chat_model(text: str) -> str:
    value = text.strip()
    example = "(e.g. openai:gpt-5.4-mini)"
    provider, colon, model = value.partition(":")
    if not colon:
        raise SettingError(f"is not provider:model {example}")
    if not provider:
        raise SettingError(f"has no provider before the ':' {example}")
    if not model:
        raise SettingError(f"has no model name after {provider + ':'!r} {example}")
    if any(c.isspace() for c in value):
        raise SettingError(f"has a space in it; it needs provider:model {example}")
    return value


def _url(text: str) -> str:
    value = text.strip()
    if any(c.isspace() or not c.isprintable() for c in value):
        raise SettingError("is not an http:// or https:// address (it has a space in it)")
    # A regular expression, not urllib: the domain imports no networking module, even
    # one whose parser does no I/O (the import-linter contract forbids urllib whole).
    found = _HTTP_URL.fullmatch(value)
    if found is None or (found["port"] is not None and int(found["port"]) > 65535):
        raise SettingError("is not an http:// or https:// address")
    return value


_HTTP_URL = re.compile(
    r"https?://(?:[^@/?#\s]+@)?(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._~%-]+)"
    r"(?::(?P<port>[0-9]{1,5}))?(?:[/?#].*)?",
    re.IGNORECASE,
)


_ZONE_NAME = re.compile(r"[A-Za-z0-9_+\-]+(?:/[A-Za-z0-9_+\-]+)*")


def _time_zone_name(text: str) -> str:
    """Only the shape of a name: which zones exist is in the installed tzdata, which is
    looked up where the configuration is loaded."""
    value = text.strip()
    if not _ZONE_NAME.fullmatch(value):
        raise SettingError("is not a time zone name (e.g. Europe/Berlin, or UTC)")
    return value


def _interval(text: str) -> str:
    try:
        return CheckInInterval.parse(text).text
    except IntervalError as error:
        raise SettingError(str(error)) from None


def _active_hours(text: str) -> str:
    value = text.strip()
    try:
        ActiveHours.parse(value)
    except ActiveHoursError as error:
        raise SettingError(str(error)) from None
    return "always" if value.lower() == "always" else value


def _weekly(text: str) -> str:
    try:
        WeeklyTime.parse(text)
    except ScheduleError as error:
        raise SettingError(str(error)) from None
    return " ".join(text.lower().split())


_ENTRIES = re.compile(r"[,;\s]+")


def _entries(text: str) -> list[str]:
    return [entry for entry in _ENTRIES.split(text) if entry]


def _channels(text: str) -> tuple[str, ...]:
    """Channel ids as they are, names as "#name"; each once, in the order given."""
    found: list[str] = []
    for entry in _entries(text):
        reference = channel_ref(entry, bare=True)
        if reference is None:
            raise SettingError(f"{entry!r} is not a channel name or id")
        found.append(reference if is_channel_id(reference) else f"#{reference}")
    if not found:
        raise SettingError("name at least one channel, e.g. #general")
    return tuple(dict.fromkeys(found))


def _channel_id(text: str) -> str:
    reference = channel_ref(text.strip(), bare=True)
    if reference is None or not is_channel_id(reference):
        raise SettingError("is not a channel id (e.g. C0123ABCD: a channel's details show it)")
    return reference


_MEMBER_ID = re.compile(r"[UW][A-Z0-9]+")


def _member_ids(text: str) -> tuple[str, ...]:
    ids = _entries(text)
    for entry in ids:
        if not _MEMBER_ID.fullmatch(entry):
            raise SettingError(
                f"{entry!r} is not a Slack member id (e.g. U012ABCDEF: a profile's menu copies it)"
            )
    return tuple(dict.fromkeys(ids))


def _show_list(values: tuple[str, ...]) -> str:
    return ", ".join(values)


_SIZE = re.compile(r"[0-9]{2,5}x[0-9]{2,5}|auto")


def _image_size(text: str) -> str:
    value = text.strip().lower()
    if not _SIZE.fullmatch(value):
        raise SettingError("is not a picture size such as 1024x1024 (or auto)")
    return value


# The table. Its order is the order of `lukas config show`, the README, and (among the
# settings admins change) status and help.

DB = Setting[str](
    key="db",
    path=("db",),
    label="event store",
    default="lukas.db",
    parse=_text("a file name", spaces=True),
    show=_show_text,
)
LLM_MODEL = Setting[str](
    key="llm_model",
    path=("llm", "model"),
    label="chat model",
    default="openai:gpt-5.4-mini",
    parse=_chat_model,
    show=_show_text,
)
LLM_API_BASE = Setting[str | None](
    key="llm_api_base",
    path=("llm", "api_base"),
    label="chat model endpoint",
    default=None,
    parse=_optional(_url),
    show=_show_optional(_show_text),
)
LLM_TEMPERATURE = Setting[float](
    key="llm_temperature",
    path=("llm", "temperature"),
    label="temperature",
    default=0.7,
    parse=_number(at_least=0, at_most=2),
    show=_show_number,
)
LLM_MAX_TOKENS = Setting[int](
    key="llm_max_tokens",
    path=("llm", "max_tokens"),
    label="reply token budget",
    default=150,
    parse=_whole(at_least=1),
    show=_show_whole,
)
LLM_REASONING_EFFORT = Setting[ReasoningEffort](
    key="llm_reasoning_effort",
    path=("llm", "reasoning_effort"),
    label="reasoning effort",
    default="low",
    parse=_one_of(("minimal", "low", "medium", "high")),
    show=_show_text,
)
LLM_REASONING = Setting[ReasoningMode](
    key="llm_reasoning",
    path=("llm", "reasoning"),
    label="reasoning",
    default="auto",
    parse=_one_of(("auto", "yes", "no")),
    show=_show_text,
)
LLM_REASONING_HEADROOM = Setting[int](
    key="llm_reasoning_headroom",
    path=("llm", "reasoning_headroom"),
    label="reasoning headroom",
    default=2000,
    parse=_whole(at_least=0),
    show=_show_whole,
)
LLM_TIMEOUT = Setting[float](
    key="llm_timeout",
    path=("llm", "timeout"),
    label="model timeout",
    default=30.0,
    parse=_number(at_least=0.1),
    show=_show_number,
)
LLM_ATTEMPTS = Setting[int](
    key="llm_attempts",
    path=("llm", "attempts"),
    label="model attempts",
    default=3,
    parse=_whole(at_least=1),
    show=_show_whole,
)
LLM_DEADLINE = Setting[float](
    key="llm_deadline",
    path=("llm", "deadline"),
    label="reply deadline",
    default=60.0,
    parse=_number(at_least=1),
    show=_show_number,
)
BREAKER_FAILURES = Setting[int](
    key="breaker_failures",
    path=("llm", "breaker_failures"),
    label="failures that open the circuit",
    default=5,
    parse=_whole(at_least=1),
    show=_show_whole,
)
BREAKER_RESET = Setting[float](
    key="breaker_reset",
    path=("llm", "breaker_reset"),
    label="circuit reset time",
    default=60.0,
    parse=_number(at_least=1),
    show=_show_number,
)
HISTORY_PAIRS = Setting[int](
    key="history_pairs",
    path=("history_pairs",),
    label="history pairs",
    default=10,
    parse=_whole(at_least=1),
    show=_show_whole,
)
CONTEXT_TOKENS = Setting[int](
    key="context_tokens",
    path=("context_tokens",),
    label="context tokens",
    default=4000,
    parse=_whole(at_least=100),
    show=_show_whole,
)
ADMIN_USERS = Setting[tuple[str, ...]](
    key="admin_users",
    path=("admin_users",),
    label="admins",
    default=(),
    parse=_member_ids,
    show=_show_list,
    is_list=True,
)
OLLAMA_URL = Setting[str](
    key="ollama_url",
    path=("ollama_url",),
    label="local Ollama address",
    default="http://localhost:11434",
    parse=_url,
    show=_show_text,
)
RECOVERY_MAX_AGE = Setting[float](
    key="recovery_max_age",
    path=("recovery_max_age",),
    label="recovery age limit",
    default=600.0,
    parse=_number(at_least=0),
    show=_show_number,
)
SLACK_API_URL = Setting[str](
    key="slack_api_url",
    path=("slack_api_url",),
    label="Slack API address",
    default="https://slack.com/api/",
    parse=_url,
    show=_show_text,
)
DM_IDLE_HOURS = Setting[float](
    key="dm_idle_hours",
    path=("dm_idle_hours",),
    label="DM idle hours",
    default=24.0,
    parse=_number(at_least=0.01),
    show=_show_number,
)
TIMEZONE = Setting[str](
    key="timezone",
    path=("timezone",),
    label="time zone",
    default="UTC",
    parse=_time_zone_name,
    show=_show_text,
)
DM_INTERVAL = Setting[str](
    key="dm_interval",
    path=("dm_interval",),
    label="check-in interval",
    aliases=("checkin interval", "dm interval"),
    default="24h-48h",
    parse=_interval,
    show=_show_text,
    live=True,
    hint="24h-48h, 90m, 2h",
)
THREAD_PROBABILITY = Setting[float](
    key="thread_probability",
    path=("thread_probability",),
    label="thread probability",
    aliases=("thread chance",),
    default=0.2,
    parse=_probability,
    show=_show_number,
    live=True,
    hint="a number from 0 to 1, e.g. 0.2 or 20%",
)
REACTION_PROBABILITY = Setting[float](
    key="reaction_probability",
    path=("reaction_probability",),
    label="reaction probability",
    aliases=("reaction chance",),
    default=0.15,
    parse=_probability,
    show=_show_number,
    live=True,
    hint="a number from 0 to 1, e.g. 0.15 or 15%",
)
BUSY_THREAD_MESSAGES = Setting[int](
    key="busy_thread_messages",
    path=("busy_thread_messages",),
    label="busy thread messages",
    default=10,
    parse=_whole(at_least=1),
    show=_show_whole,
)
ACTIVE_HOURS = Setting[str](
    key="active_hours",
    path=("active_hours",),
    label="active hours",
    aliases=("working hours",),
    default="08:00-18:00",
    parse=_active_hours,
    show=_show_text,
    live=True,
    hint="08:00-18:00, or always",
)
MONITORED_CHANNELS = Setting[tuple[str, ...]](
    key="monitored_channels",
    path=("monitored_channels",),
    label="monitored channels",
    aliases=("channels",),
    default=("#general",),
    parse=_channels,
    show=_show_list,
    is_list=True,
    live=True,
    hint="#general, #random",
)
ROSTER_SYNC_HOURS = Setting[float](
    key="roster_sync_hours",
    path=("roster_sync_hours",),
    label="roster sync hours",
    default=24.0,
    parse=_number(at_least=0.01),
    show=_show_number,
)
IMAGE_MODEL = Setting[str](
    key="image_model",
    path=("image", "model"),
    label="image model",
    default="gpt-image-2.5-flare",
    parse=_text("a model name"),
    show=_show_text,
)
IMAGE_API_BASE = Setting[str | None](
    key="image_api_base",
    path=("image", "api_base"),
    label="image endpoint",
    default=None,
    parse=_optional(_url),
    show=_show_optional(_show_text),
)
IMAGE_SIZE = Setting[str](
    key="image_size",
    path=("image", "size"),
    label="picture size",
    default="1024x1024",
    parse=_image_size,
    show=_show_text,
)
IMAGE_QUALITY = Setting[str | None](
    key="image_quality",
    path=("image", "quality"),
    label="picture quality",
    default=None,
    parse=_optional(_text("a quality such as medium")),
    show=_show_optional(_show_text),
)
IMAGE_CHANNEL = Setting[str | None](
    key="image_channel",
    path=("image", "channel"),
    label="picture channel",
    default=None,
    parse=_optional(_channel_id),
    show=_show_optional(_show_text),
)
IMAGE_SCHEDULE = Setting[str](
    key="image_schedule",
    path=("image", "schedule"),
    label="image schedule",
    aliases=("picture schedule",),
    default="fri 10:00",
    parse=_weekly,
    show=_show_text,
    live=True,
    hint="fri 10:00",
)
IMAGE_HEMISPHERE = Setting[HemisphereName](
    key="image_hemisphere",
    path=("image", "hemisphere"),
    label="hemisphere",
    default="north",
    parse=_one_of(("north", "south")),
    show=_show_text,
)
IMAGE_PRICE_USD = Setting[float | None](
    key="image_price_usd",
    path=("image", "price_usd"),
    label="picture price",
    default=None,
    parse=_optional(_number(at_least=0)),
    show=_show_optional(_show_number),
)
LOG_LEVEL = Setting[LogLevel](
    key="log_level",
    path=("log_level",),
    label="log level",
    default="WARNING",
    parse=_one_of(("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"), upper=True),
    show=_show_text,
    # Logging starts before lukas.toml is read, so that reading it can be logged.
    in_toml=False,
)

SETTINGS: tuple[Setting[Any], ...] = (
    DB,
    LLM_MODEL,
    LLM_API_BASE,
    LLM_TEMPERATURE,
    LLM_MAX_TOKENS,
    LLM_REASONING_EFFORT,
    LLM_REASONING,
    LLM_REASONING_HEADROOM,
    LLM_TIMEOUT,
    LLM_ATTEMPTS,
    LLM_DEADLINE,
    BREAKER_FAILURES,
    BREAKER_RESET,
    HISTORY_PAIRS,
    CONTEXT_TOKENS,
    ADMIN_USERS,
    OLLAMA_URL,
    RECOVERY_MAX_AGE,
    SLACK_API_URL,
    DM_IDLE_HOURS,
    TIMEZONE,
    DM_INTERVAL,
    THREAD_PROBABILITY,
    REACTION_PROBABILITY,
    BUSY_THREAD_MESSAGES,
    ACTIVE_HOURS,
    MONITORED_CHANNELS,
    ROSTER_SYNC_HOURS,
    IMAGE_MODEL,
    IMAGE_API_BASE,
    IMAGE_SIZE,
    IMAGE_QUALITY,
    IMAGE_CHANNEL,
    IMAGE_SCHEDULE,
    IMAGE_HEMISPHERE,
    IMAGE_PRICE_USD,
    LOG_LEVEL,
)
BY_KEY: Mapping[str, Setting[Any]] = {s.key: s for s in SETTINGS}
# The settings admins may change while Lukas runs, in the order status and help show them.
LIVE_SETTINGS: tuple[Setting[Any], ...] = tuple(s for s in SETTINGS if s.live)
