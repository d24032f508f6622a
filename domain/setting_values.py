"""How each setting's value is read from text: pure parsers that give the typed value or
`SettingError` with the reason in words, and the `show` functions whose text they read
back as the same value. The table of settings (domain/settings.py) is built from these."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Literal, TypeVar

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


# Text


def plain_text(what: str, *, spaces: bool = False) -> Callable[[str], str]:
    def parse(text: str) -> str:
        value = text.strip()
        if not value:
            raise SettingError(f"is empty; it needs {what}")
        if not spaces and any(c.isspace() for c in value):
            raise SettingError(f"has a space in it; it needs {what}")
        return value

    return parse


def optional(parse: Callable[[str], T]) -> Callable[[str], T | None]:
    """Empty text means "not set": the provider's own endpoint, the model's own quality."""

    def parse_optional(text: str) -> T | None:
        return parse(text) if text.strip() else None

    return parse_optional


def show_optional(show: Callable[[T], str]) -> Callable[[T | None], str]:
    def show_optional(value: T | None) -> str:
        return "" if value is None else show(value)

    return show_optional


def one_of(options: tuple[Word, ...], *, upper: bool = False) -> Callable[[str], Word]:
    def parse(text: str) -> Word:
        said = text.strip().upper() if upper else text.strip().lower()
        for option in options:
            if said == option:
                return option
        raise SettingError(f"is not one of the allowed values ({', '.join(options)})")

    return parse


def show_text(value: str) -> str:
    return value


_URL_PASSWORD = re.compile(r"^(?P<head>[a-z]+://[^:/?#@]*:)(?P<password>[^@/?#]*)(?=@)")
_QUERY_PASSWORD = re.compile(r"(?P<head>[?&]password=)(?P<password>[^&#]*)")


def database_passwords(value: str) -> list[str]:
    """The passwords a database URL holds (in its user part or as ?password=)."""
    found = [m["password"] for m in (_URL_PASSWORD.search(value),) if m]
    found += [m["password"] for m in _QUERY_PASSWORD.finditer(value)]
    return [password for password in found if password]


def show_database(value: str) -> str:
    """A file name as it is; a database URL with any password hidden."""
    hidden = _URL_PASSWORD.sub(lambda m: m["head"] + "***" if m["password"] else m[0], value)
    return _QUERY_PASSWORD.sub(lambda m: m["head"] + "***", hidden)


# Numbers


def _float(text: str) -> float:
    try:
        number = float(text.strip())
    except ValueError:
        raise SettingError("is not a number") from None
    if not math.isfinite(number):
        raise SettingError("is not a number")
    return number


def number(*, at_least: float, at_most: float | None = None) -> Callable[[str], float]:
    def parse(text: str) -> float:
        number = _float(text)
        if at_most is not None and not at_least <= number <= at_most:
            raise SettingError(f"must be between {at_least:g} and {at_most:g}")
        if number < at_least:
            raise SettingError(f"must be at least {at_least:g}")
        return number

    return parse


def whole_number(*, at_least: int) -> Callable[[str], int]:
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


def show_number(value: float) -> str:
    """The shortest text that reads back as exactly this number: 0.2, 30, 1e-05."""
    return repr(float(value)).removesuffix(".0")


def show_whole(value: int) -> str:
    return str(value)


def probability(text: str) -> float:
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


def chat_model(text: str) -> str:
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


def http_url(text: str) -> str:
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


def time_zone_name(text: str) -> str:
    """Only the shape of a name: which zones exist is in the installed tzdata, which is
    looked up where the configuration is loaded."""
    value = text.strip()
    if not _ZONE_NAME.fullmatch(value):
        raise SettingError("is not a time zone name (e.g. Europe/Berlin, or UTC)")
    return value


def check_in_interval(text: str) -> str:
    try:
        return CheckInInterval.parse(text).text
    except IntervalError as error:
        raise SettingError(str(error)) from None


def active_hours(text: str) -> str:
    value = text.strip()
    try:
        ActiveHours.parse(value)
    except ActiveHoursError as error:
        raise SettingError(str(error)) from None
    return "always" if value.lower() == "always" else value


def weekly_time(text: str) -> str:
    try:
        WeeklyTime.parse(text)
    except ScheduleError as error:
        raise SettingError(str(error)) from None
    return " ".join(text.lower().split())


_ENTRIES = re.compile(r"[,;\s]+")


def _entries(text: str) -> list[str]:
    return [entry for entry in _ENTRIES.split(text) if entry]


def channel_list(text: str) -> tuple[str, ...]:
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


def channel_id(text: str) -> str:
    reference = channel_ref(text.strip(), bare=True)
    if reference is None or not is_channel_id(reference):
        raise SettingError("is not a channel id (e.g. C0123ABCD: a channel's details show it)")
    return reference


_MEMBER_ID = re.compile(r"[UW][A-Z0-9]+")


def member_ids(text: str) -> tuple[str, ...]:
    ids = _entries(text)
    for entry in ids:
        if not _MEMBER_ID.fullmatch(entry):
            raise SettingError(
                f"{entry!r} is not a Slack member id (e.g. U012ABCDEF: a profile's menu copies it)"
            )
    return tuple(dict.fromkeys(ids))


# Slack shows at most four suggested prompts in an assistant thread.
MAX_PROMPTS = 4
_PROMPT_CHARS = 200


def prompt_list(text: str) -> tuple[str, ...]:
    """Suggested prompts separated by ";": each is what a click on it says to Lukas."""
    prompts = tuple(dict.fromkeys(p.strip() for p in text.split(";") if p.strip()))
    if len(prompts) > MAX_PROMPTS:
        raise SettingError(f"has {len(prompts)} prompts; Slack shows at most {MAX_PROMPTS}")
    if any(len(prompt) > _PROMPT_CHARS for prompt in prompts):
        raise SettingError(f"has a prompt longer than {_PROMPT_CHARS} characters")
    return prompts


def show_prompts(prompts: tuple[str, ...]) -> str:
    return "; ".join(prompts)


def show_list(values: tuple[str, ...]) -> str:
    return ", ".join(values)


_SIZE = re.compile(r"[0-9]{2,5}x[0-9]{2,5}|auto")


def image_size(text: str) -> str:
    value = text.strip().lower()
    if not _SIZE.fullmatch(value):
        raise SettingError("is not a picture size such as 1024x1024 (or auto)")
    return value
