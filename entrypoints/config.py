"""Configuration: defaults, then `lukas.toml`, then the environment, which wins.

Every setting has one environment variable and one place in the TOML file. Values are
structured into frozen attrs classes by cattrs; a bad value is reported with the name the
user typed it under and where it came from. Provider keys are not settings: they stay in
the environment, under each provider's usual name, and are read only by the wiring.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Literal

import attrs
import cattrs

from lukas.domain.check_ins import CheckInInterval
from lukas.domain.engagement import ActiveHours

ReasoningEffort = Literal["minimal", "low", "medium", "high"]
ReasoningMode = Literal["auto", "yes", "no"]


class SettingValueError(ValueError):
    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"{name} {reason}")
        self.name = name
        self.reason = reason


def _at_least(minimum: float) -> Callable[[Any, attrs.Attribute[Any], float], None]:
    def check(_instance: Any, attribute: attrs.Attribute[Any], value: float) -> None:
        if value < minimum:
            raise SettingValueError(attribute.name, f"must be at least {minimum:g}")

    return check


def _between(low: float, high: float) -> Callable[[Any, attrs.Attribute[Any], float], None]:
    def check(_instance: Any, attribute: attrs.Attribute[Any], value: float) -> None:
        if not low <= value <= high:
            raise SettingValueError(attribute.name, f"must be between {low:g} and {high:g}")

    return check


def _parsed_by(parse: Callable[[str], object]) -> Callable[[Any, attrs.Attribute[Any], str], None]:
    """Checks a setting with the domain's own parser, so a bad value stops the start."""

    def check(_instance: Any, attribute: attrs.Attribute[Any], value: str) -> None:
        try:
            parse(value)
        except ValueError as error:
            raise SettingValueError(attribute.name, f"is not valid: {error}") from None

    return check


@attrs.frozen
class LLMConfig:
    model: str = "openai:gpt-5.4-mini"
    api_base: str | None = None
    temperature: float = attrs.field(default=0.7, validator=_between(0, 2))
    max_tokens: int = attrs.field(default=150, validator=_at_least(1))
    reasoning_effort: ReasoningEffort = "low"
    reasoning: ReasoningMode = "auto"
    reasoning_headroom: int = attrs.field(default=2000, validator=_at_least(0))
    timeout: float = attrs.field(default=30.0, validator=_at_least(0.1))
    attempts: int = attrs.field(default=3, validator=_at_least(1))
    deadline: float = attrs.field(default=60.0, validator=_at_least(1))
    breaker_failures: int = attrs.field(default=5, validator=_at_least(1))
    breaker_reset: float = attrs.field(default=60.0, validator=_at_least(1))


@attrs.frozen
class ImageConfig:
    model: str = "gpt-image-2.5-flare"
    api_base: str | None = None
    size: str = "1024x1024"
    quality: str | None = None
    channel: str | None = None
    schedule: str = "fri 10:00"
    hemisphere: Literal["north", "south"] = "north"
    price_usd: float | None = None


@attrs.frozen
class Config:
    db: str = "lukas.db"
    llm: LLMConfig = attrs.field(factory=LLMConfig)
    history_pairs: int = attrs.field(default=10, validator=_at_least(1))
    context_tokens: int = attrs.field(default=4000, validator=_at_least(100))
    admin_users: tuple[str, ...] = ()
    ollama_url: str = "http://localhost:11434"
    recovery_max_age: float = attrs.field(default=600.0, validator=_at_least(0))
    slack_api_url: str = "https://slack.com/api/"
    dm_idle_hours: float = attrs.field(default=24.0, validator=_at_least(0.01))
    timezone: str = "UTC"
    image: ImageConfig = attrs.field(factory=ImageConfig)
    monitored_channels: tuple[str, ...] = ("general",)
    thread_probability: float = attrs.field(default=0.20, validator=_between(0, 1))
    reaction_probability: float = attrs.field(default=0.15, validator=_between(0, 1))
    busy_thread_messages: int = attrs.field(default=10, validator=_at_least(1))
    active_hours: str = attrs.field(default="08:00-18:00", validator=_parsed_by(ActiveHours.parse))
    dm_interval: str = attrs.field(default="24h-48h", validator=_parsed_by(CheckInInterval.parse))
    roster_sync_hours: float = attrs.field(default=24.0, validator=_at_least(0.01))


@attrs.frozen
class Setting:
    env: str
    path: tuple[str, ...]
    is_list: bool = False

    @property
    def toml_key(self) -> str:
        return ".".join(self.path)


SETTINGS: tuple[Setting, ...] = (
    Setting("LUKAS_DB", ("db",)),
    Setting("LUKAS_LLM_MODEL", ("llm", "model")),
    Setting("LUKAS_LLM_API_BASE", ("llm", "api_base")),
    Setting("LUKAS_LLM_TEMPERATURE", ("llm", "temperature")),
    Setting("LUKAS_LLM_MAX_TOKENS", ("llm", "max_tokens")),
    Setting("LUKAS_LLM_REASONING_EFFORT", ("llm", "reasoning_effort")),
    Setting("LUKAS_LLM_REASONING", ("llm", "reasoning")),
    Setting("LUKAS_LLM_REASONING_HEADROOM", ("llm", "reasoning_headroom")),
    Setting("LUKAS_LLM_TIMEOUT", ("llm", "timeout")),
    Setting("LUKAS_LLM_ATTEMPTS", ("llm", "attempts")),
    Setting("LUKAS_LLM_DEADLINE", ("llm", "deadline")),
    Setting("LUKAS_BREAKER_FAILURES", ("llm", "breaker_failures")),
    Setting("LUKAS_BREAKER_RESET", ("llm", "breaker_reset")),
    Setting("LUKAS_HISTORY_PAIRS", ("history_pairs",)),
    Setting("LUKAS_CONTEXT_TOKENS", ("context_tokens",)),
    Setting("LUKAS_ADMIN_USERS", ("admin_users",), is_list=True),
    Setting("LUKAS_OLLAMA_URL", ("ollama_url",)),
    Setting("LUKAS_RECOVERY_MAX_AGE", ("recovery_max_age",)),
    Setting("LUKAS_SLACK_API_URL", ("slack_api_url",)),
    Setting("LUKAS_DM_IDLE_HOURS", ("dm_idle_hours",)),
    Setting("LUKAS_TIMEZONE", ("timezone",)),
    Setting("LUKAS_MONITORED_CHANNELS", ("monitored_channels",), is_list=True),
    Setting("LUKAS_THREAD_PROBABILITY", ("thread_probability",)),
    Setting("LUKAS_REACTION_PROBABILITY", ("reaction_probability",)),
    Setting("LUKAS_BUSY_THREAD_MESSAGES", ("busy_thread_messages",)),
    Setting("LUKAS_ACTIVE_HOURS", ("active_hours",)),
    Setting("LUKAS_DM_INTERVAL", ("dm_interval",)),
    Setting("LUKAS_ROSTER_SYNC_HOURS", ("roster_sync_hours",)),
    Setting("LUKAS_IMAGE_MODEL", ("image", "model")),
    Setting("LUKAS_IMAGE_API_BASE", ("image", "api_base")),
    Setting("LUKAS_IMAGE_SIZE", ("image", "size")),
    Setting("LUKAS_IMAGE_QUALITY", ("image", "quality")),
    Setting("LUKAS_IMAGE_CHANNEL", ("image", "channel")),
    Setting("LUKAS_IMAGE_SCHEDULE", ("image", "schedule")),
    Setting("LUKAS_IMAGE_HEMISPHERE", ("image", "hemisphere")),
    Setting("LUKAS_IMAGE_PRICE_USD", ("image", "price_usd")),
)
_BY_PATH = {s.path: s for s in SETTINGS}

Source = Literal["default", "lukas.toml", "environment"]


class ConfigError(ValueError):
    pass


@attrs.frozen
class LoadedConfig:
    config: Config
    sources: Mapping[str, Source]  # by environment variable name
    toml_path: Path | None


def load_config(
    environ: Mapping[str, str] | None = None, toml_path: Path | None = None
) -> LoadedConfig:
    """`toml_path` None means `LUKAS_CONFIG`, else ./lukas.toml if there is one."""
    environ = os.environ if environ is None else environ
    path = toml_path or _default_toml_path(environ)
    raw: dict[str, Any] = {}
    sources: dict[str, Source] = {s.env: "default" for s in SETTINGS}
    origins: dict[str, str] = {}
    if path is not None:
        for setting, value in _read_toml(path).items():
            _put(raw, setting.path, value)
            sources[setting.env] = "lukas.toml"
            origins[setting.env] = f"{setting.toml_key} in {path}"
    for setting in SETTINGS:
        value = environ.get(setting.env)
        if value is None or value == "":
            continue
        _put(raw, setting.path, _split(value) if setting.is_list else value)
        sources[setting.env] = "environment"
        origins[setting.env] = "the environment"
    return LoadedConfig(_structure(raw, origins), sources, path)


def _default_toml_path(environ: Mapping[str, str]) -> Path | None:
    if environ.get("LUKAS_CONFIG"):
        return Path(environ["LUKAS_CONFIG"])
    local = Path("lukas.toml")
    return local if local.is_file() else None


def _read_toml(path: Path) -> dict[Setting, Any]:
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ConfigError(f"cannot read {path}: {error.strerror}") from error
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path} is not valid TOML: {error}") from error
    found: dict[Setting, Any] = {}
    _collect(document, (), found, path)
    return found


def _collect(
    table: Mapping[str, Any], prefix: tuple[str, ...], found: dict[Setting, Any], path: Path
) -> None:
    for key, value in table.items():
        at = (*prefix, key)
        if at in _BY_PATH:
            found[_BY_PATH[at]] = value
        elif isinstance(value, Mapping) and any(p[: len(at)] == at for p in _BY_PATH):
            _collect(value, at, found, path)
        else:
            raise ConfigError(f"{path}: unknown setting {'.'.join(at)!r}")


def _put(raw: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    for part in path[:-1]:
        raw = raw.setdefault(part, {})
    raw[path[-1]] = value


def _split(value: str) -> list[str]:
    return [item.strip() for item in value.replace(";", ",").split(",") if item.strip()]


_converter = cattrs.Converter(forbid_extra_keys=True)
_converter.register_structure_hook_func(
    lambda t: t == tuple[str, ...], lambda v, _t: tuple(_strings(v))
)


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return _split(value)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return value
    raise ValueError("must be a list of names")


def _structure(raw: dict[str, Any], origins: Mapping[str, str]) -> Config:
    try:
        return _converter.structure(raw, Config)
    except cattrs.ClassValidationError as error:
        raise ConfigError(_first_problem(error, raw, origins)) from None


def _first_problem(
    error: cattrs.ClassValidationError, raw: dict[str, Any], origins: Mapping[str, str]
) -> str:
    for exception, path in _leaves(error, ()):
        setting = _BY_PATH.get(path)
        if setting is None:
            continue
        value: Any = raw
        for part in path:
            value = value.get(part) if isinstance(value, dict) else None
        where = origins.get(setting.env, "the default")
        return f"{setting.env}={value!r} {_reason(exception)} (from {where})"
    return f"invalid configuration: {error}"


def _leaves(
    error: BaseException, path: tuple[str, ...]
) -> list[tuple[BaseException, tuple[str, ...]]]:
    """Each innermost error with the path of settings that leads to it."""
    if isinstance(error, SettingValueError):
        return [(error, (*path, error.name))]
    if not isinstance(error, cattrs.ClassValidationError):
        return [(error, path)]
    noted, others = error.group_exceptions()
    found: list[tuple[BaseException, tuple[str, ...]]] = []
    for inner, note in noted:
        found += _leaves(inner, (*path, note.name))
    for inner in others:
        found += _leaves(inner, path)
    return found


def _reason(error: BaseException) -> str:
    if isinstance(error, SettingValueError):
        return error.reason
    text = str(error)
    if "could not convert" in text or "invalid literal" in text:
        return "is not a number"
    if "not in literal" in text or "Literal" in text:
        return "is not one of the allowed values"
    return f"is not valid ({text})"
