"""Configuration: defaults, then `lukas.toml`, then the environment, which wins.

Which settings there are, their defaults, names and parsers are the domain's table
(`lukas.domain.settings`); this module reads the text for each one from where it was
given, parses it, and reports a bad value with the name the user typed it under and where
it came from. Provider keys are not settings: they stay in the environment, under each
provider's usual name, and are read only by the wiring.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import attrs

from lukas.domain import settings as table
from lukas.domain.setting_values import (
    HemisphereName,
    ReasoningEffort,
    ReasoningMode,
    SettingError,
    said_of,
)
from lukas.domain.settings import SETTINGS, Setting

__all__ = [
    "SETTINGS",
    "Config",
    "ConfigError",
    "ImageConfig",
    "LLMConfig",
    "LoadedConfig",
    "ReasoningEffort",
    "ReasoningMode",
    "Setting",
    "Source",
    "load_config",
    "value_of",
]


# The configuration as the rest of Lukas reads it: one typed field per setting in the
# table, at the setting's path, with the table's default (tests hold the two together).
@attrs.frozen
class LLMConfig:
    model: str = table.LLM_MODEL.default
    api_base: str | None = table.LLM_API_BASE.default
    temperature: float = table.LLM_TEMPERATURE.default
    max_tokens: int = table.LLM_MAX_TOKENS.default
    reasoning_effort: ReasoningEffort = table.LLM_REASONING_EFFORT.default
    reasoning: ReasoningMode = table.LLM_REASONING.default
    reasoning_headroom: int = table.LLM_REASONING_HEADROOM.default
    timeout: float = table.LLM_TIMEOUT.default
    attempts: int = table.LLM_ATTEMPTS.default
    deadline: float = table.LLM_DEADLINE.default
    breaker_failures: int = table.BREAKER_FAILURES.default
    breaker_reset: float = table.BREAKER_RESET.default


@attrs.frozen
class ImageConfig:
    model: str = table.IMAGE_MODEL.default
    api_base: str | None = table.IMAGE_API_BASE.default
    size: str = table.IMAGE_SIZE.default
    quality: str | None = table.IMAGE_QUALITY.default
    channel: str | None = table.IMAGE_CHANNEL.default
    schedule: str = table.IMAGE_SCHEDULE.default
    hemisphere: HemisphereName = table.IMAGE_HEMISPHERE.default
    price_usd: float | None = table.IMAGE_PRICE_USD.default


@attrs.frozen
class Config:
    db: str = table.DB.default
    llm: LLMConfig = attrs.field(factory=LLMConfig)
    history_pairs: int = table.HISTORY_PAIRS.default
    context_tokens: int = table.CONTEXT_TOKENS.default
    admin_users: tuple[str, ...] = table.ADMIN_USERS.default
    ollama_url: str = table.OLLAMA_URL.default
    recovery_max_age: float = table.RECOVERY_MAX_AGE.default
    retention_days: int = table.RETENTION_DAYS.default
    slack_api_url: str = table.SLACK_API_URL.default
    dm_idle_hours: float = table.DM_IDLE_HOURS.default
    timezone: str = table.TIMEZONE.default
    image: ImageConfig = attrs.field(factory=ImageConfig)
    monitored_channels: tuple[str, ...] = table.MONITORED_CHANNELS.default
    assistant_prompts: tuple[str, ...] = table.ASSISTANT_PROMPTS.default
    thread_probability: float = table.THREAD_PROBABILITY.default
    reaction_probability: float = table.REACTION_PROBABILITY.default
    busy_thread_messages: int = table.BUSY_THREAD_MESSAGES.default
    active_hours: str = table.ACTIVE_HOURS.default
    dm_interval: str = table.DM_INTERVAL.default
    roster_sync_hours: float = table.ROSTER_SYNC_HOURS.default
    log_level: str = table.LOG_LEVEL.default


def value_of(config: Config, setting: Setting[Any]) -> Any:
    """The value of `setting` in `config`."""
    value: Any = config
    for part in setting.path:
        value = getattr(value, part)
    return value


def _known_time_zone(name: str) -> None:
    """Whether the installed tzdata has the zone. It is here, not in the domain's table,
    because zoneinfo reads files: the table's parser is a function of the text alone and
    checks only the shape of the name; this check runs where the configuration is read,
    so a zone that does not exist stops every command at start, `lukas config show` too."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # "America" is a folder
        raise SettingError("is not a time zone this system knows (e.g. Europe/Berlin)") from None


# Checks that need this machine, by setting key, run after the table's parser. The
# provider of LUKAS_LLM_MODEL is one too, but importing any-llm takes seconds, so the
# wiring checks it when a command needs the model (and `lukas config show`).
_MACHINE_CHECKS: Mapping[str, Callable[[Any], None]] = {
    table.TIMEZONE.key: _known_time_zone,
}

_BY_PATH = {s.path: s for s in SETTINGS if s.in_toml}

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
    given: dict[str, tuple[object, str]] = {}  # by key: the value as given, and where
    sources: dict[str, Source] = {s.env: "default" for s in SETTINGS}
    if path is not None:
        for setting, value in _read_toml(path).items():
            given[setting.key] = (value, f"{setting.toml_key} in {path}")
            sources[setting.env] = "lukas.toml"
    for setting in SETTINGS:
        value = environ.get(setting.env)
        if value is None or value == "":
            continue
        given[setting.key] = (value, "the environment")
        sources[setting.env] = "environment"
    values = {s.key: _parsed(s, *given[s.key]) if s.key in given else s.default for s in SETTINGS}
    return LoadedConfig(_config_from(values), sources, path)


def _parsed(setting: Setting[Any], value: object, where: str) -> Any:
    try:
        parsed = setting.parse(_text_of(setting, value))
        check = _MACHINE_CHECKS.get(setting.key)
        if check is not None:
            check(parsed)
    except SettingError as error:
        said = said_of(f"{setting.env}={value!r}", error.reason)
        raise ConfigError(f"{said} (from {where})") from None
    return parsed


def _text_of(setting: Setting[Any], value: object) -> str:
    """A TOML value as the text the setting's parser reads; the environment's is text."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):  # before int: True is an int too
        raise SettingError("must be a number or text, not true or false")
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, list) and setting.is_list:
        if all(isinstance(item, str) for item in value):
            return ", ".join(value)
        raise SettingError("must be a list of names")
    if isinstance(value, list):
        raise SettingError("must be one value, not a list")
    raise SettingError("must be a number or text")


def _config_from(values: Mapping[str, Any]) -> Config:
    nested: dict[str, Any] = {}
    for setting in SETTINGS:
        _put(nested, setting.path, values[setting.key])
    return Config(
        llm=LLMConfig(**nested.pop("llm")),
        image=ImageConfig(**nested.pop("image")),
        **nested,
    )


def _default_toml_path(environ: Mapping[str, str]) -> Path | None:
    if environ.get("LUKAS_CONFIG"):
        return Path(environ["LUKAS_CONFIG"])
    local = Path("lukas.toml")
    return local if local.is_file() else None


def _read_toml(path: Path) -> dict[Setting[Any], Any]:
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ConfigError(f"cannot read {path}: {error.strerror}") from error
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path} is not valid TOML: {error}") from error
    found: dict[Setting[Any], Any] = {}
    _collect(document, (), found, path)
    return found


def _collect(
    table_: Mapping[str, Any], prefix: tuple[str, ...], found: dict[Setting[Any], Any], path: Path
) -> None:
    for key, value in table_.items():
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
