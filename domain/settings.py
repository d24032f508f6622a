"""Every setting Lukas has, in one table, and how each one is read from text.

The rest is derived from `SETTINGS`: loading the configuration (defaults, `lukas.toml`,
the environment), `lukas config show`, the settings admins may change while Lukas runs
and the names people call them in chat, the status answer, the help text, and the
README's Configuration table (a test holds the README to this table).

Each setting's `parse` is pure: text in, the typed value out, or `SettingError` with the
reason in words (the readers are in domain/setting_values.py). `show` gives the text that
`parse` reads back as the same value. Two checks need more than the text and so live where
the configuration is loaded: whether a time zone exists (zoneinfo reads the installed
tzdata) and whether any-llm knows a model's provider (importing any-llm takes seconds).
Here a time zone is checked for its shape and a model for `provider:model`.

Secrets (provider keys, Slack tokens) are not settings: every setting's value may be
shown, and a secret's never is.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Generic

import attrs

from lukas.domain.setting_values import (
    HemisphereName,
    LogLevel,
    ReasoningEffort,
    ReasoningMode,
    T,
    active_hours,
    channel_id,
    channel_list,
    chat_model,
    check_in_interval,
    http_url,
    image_size,
    member_ids,
    number,
    one_of,
    optional,
    plain_text,
    probability,
    prompt_list,
    show_database,
    show_list,
    show_number,
    show_optional,
    show_prompts,
    show_text,
    show_whole,
    time_zone_name,
    weekly_time,
    whole_number,
)


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


# The table. Its order is the order of `lukas config show`, the README, and (among the
# settings admins change) status and help.

DB = Setting[str](
    key="db",
    path=("db",),
    label="event store",
    default="lukas.db",
    parse=plain_text("a file name or a postgresql:// URL", spaces=True),
    show=show_database,
)
LLM_MODEL = Setting[str](
    key="llm_model",
    path=("llm", "model"),
    label="chat model",
    default="openai:gpt-5.4-mini",
    parse=chat_model,
    show=show_text,
)
LLM_API_BASE = Setting[str | None](
    key="llm_api_base",
    path=("llm", "api_base"),
    label="chat model endpoint",
    default=None,
    parse=optional(http_url),
    show=show_optional(show_text),
)
LLM_TEMPERATURE = Setting[float](
    key="llm_temperature",
    path=("llm", "temperature"),
    label="temperature",
    default=0.7,
    parse=number(at_least=0, at_most=2),
    show=show_number,
)
LLM_MAX_TOKENS = Setting[int](
    key="llm_max_tokens",
    path=("llm", "max_tokens"),
    label="reply token budget",
    default=150,
    parse=whole_number(at_least=1),
    show=show_whole,
)
LLM_REASONING_EFFORT = Setting[ReasoningEffort](
    key="llm_reasoning_effort",
    path=("llm", "reasoning_effort"),
    label="reasoning effort",
    default="low",
    parse=one_of(("minimal", "low", "medium", "high")),
    show=show_text,
)
LLM_REASONING = Setting[ReasoningMode](
    key="llm_reasoning",
    path=("llm", "reasoning"),
    label="reasoning",
    default="auto",
    parse=one_of(("auto", "yes", "no")),
    show=show_text,
)
LLM_REASONING_HEADROOM = Setting[int](
    key="llm_reasoning_headroom",
    path=("llm", "reasoning_headroom"),
    label="reasoning headroom",
    default=2000,
    parse=whole_number(at_least=0),
    show=show_whole,
)
LLM_TIMEOUT = Setting[float](
    key="llm_timeout",
    path=("llm", "timeout"),
    label="model timeout",
    default=30.0,
    parse=number(at_least=0.1),
    show=show_number,
)
LLM_ATTEMPTS = Setting[int](
    key="llm_attempts",
    path=("llm", "attempts"),
    label="model attempts",
    default=3,
    parse=whole_number(at_least=1),
    show=show_whole,
)
LLM_DEADLINE = Setting[float](
    key="llm_deadline",
    path=("llm", "deadline"),
    label="reply deadline",
    default=60.0,
    parse=number(at_least=1),
    show=show_number,
)
BREAKER_FAILURES = Setting[int](
    key="breaker_failures",
    path=("llm", "breaker_failures"),
    label="failures that open the circuit",
    default=5,
    parse=whole_number(at_least=1),
    show=show_whole,
)
BREAKER_RESET = Setting[float](
    key="breaker_reset",
    path=("llm", "breaker_reset"),
    label="circuit reset time",
    default=60.0,
    parse=number(at_least=1),
    show=show_number,
)
HISTORY_PAIRS = Setting[int](
    key="history_pairs",
    path=("history_pairs",),
    label="history pairs",
    default=10,
    parse=whole_number(at_least=1),
    show=show_whole,
)
CONTEXT_TOKENS = Setting[int](
    key="context_tokens",
    path=("context_tokens",),
    label="context tokens",
    default=4000,
    parse=whole_number(at_least=100),
    show=show_whole,
)
ADMIN_USERS = Setting[tuple[str, ...]](
    key="admin_users",
    path=("admin_users",),
    label="admins",
    default=(),
    parse=member_ids,
    show=show_list,
    is_list=True,
)
OLLAMA_URL = Setting[str](
    key="ollama_url",
    path=("ollama_url",),
    label="local Ollama address",
    default="http://localhost:11434",
    parse=http_url,
    show=show_text,
)
RECOVERY_MAX_AGE = Setting[float](
    key="recovery_max_age",
    path=("recovery_max_age",),
    label="recovery age limit",
    default=600.0,
    parse=number(at_least=0),
    show=show_number,
)
RETENTION_DAYS = Setting[int](
    key="retention_days",
    path=("retention_days",),
    label="retention days",
    default=90,
    parse=whole_number(at_least=0),
    show=show_whole,
)
SLACK_API_URL = Setting[str](
    key="slack_api_url",
    path=("slack_api_url",),
    label="Slack API address",
    default="https://slack.com/api/",
    parse=http_url,
    show=show_text,
)
DM_IDLE_HOURS = Setting[float](
    key="dm_idle_hours",
    path=("dm_idle_hours",),
    label="DM idle hours",
    default=24.0,
    parse=number(at_least=0.01),
    show=show_number,
)
TIMEZONE = Setting[str](
    key="timezone",
    path=("timezone",),
    label="time zone",
    default="UTC",
    parse=time_zone_name,
    show=show_text,
)
DM_INTERVAL = Setting[str](
    key="dm_interval",
    path=("dm_interval",),
    label="check-in interval",
    aliases=("checkin interval", "dm interval"),
    default="24h-48h",
    parse=check_in_interval,
    show=show_text,
    live=True,
    hint="24h-48h, 90m, 2h",
)
THREAD_PROBABILITY = Setting[float](
    key="thread_probability",
    path=("thread_probability",),
    label="thread probability",
    aliases=("thread chance",),
    default=0.2,
    parse=probability,
    show=show_number,
    live=True,
    hint="a number from 0 to 1, e.g. 0.2 or 20%",
)
REACTION_PROBABILITY = Setting[float](
    key="reaction_probability",
    path=("reaction_probability",),
    label="reaction probability",
    aliases=("reaction chance",),
    default=0.15,
    parse=probability,
    show=show_number,
    live=True,
    hint="a number from 0 to 1, e.g. 0.15 or 15%",
)
BUSY_THREAD_MESSAGES = Setting[int](
    key="busy_thread_messages",
    path=("busy_thread_messages",),
    label="busy thread messages",
    default=10,
    parse=whole_number(at_least=1),
    show=show_whole,
)
ACTIVE_HOURS = Setting[str](
    key="active_hours",
    path=("active_hours",),
    label="active hours",
    aliases=("working hours",),
    default="08:00-18:00",
    parse=active_hours,
    show=show_text,
    live=True,
    hint="08:00-18:00, or always",
)
MONITORED_CHANNELS = Setting[tuple[str, ...]](
    key="monitored_channels",
    path=("monitored_channels",),
    label="monitored channels",
    aliases=("channels",),
    default=("#general",),
    parse=channel_list,
    show=show_list,
    is_list=True,
    live=True,
    hint="#general, #random",
)
ASSISTANT_PROMPTS = Setting[tuple[str, ...]](
    key="assistant_prompts",
    path=("assistant_prompts",),
    label="assistant prompts",
    default=(
        "Tell me a fun fact about bears",
        "Cheer me up, please",
        "What can you do for our team?",
    ),
    parse=prompt_list,
    show=show_prompts,
    hint="prompts separated by ;, at most 4",
)
ROSTER_SYNC_HOURS = Setting[float](
    key="roster_sync_hours",
    path=("roster_sync_hours",),
    label="roster sync hours",
    default=24.0,
    parse=number(at_least=0.01),
    show=show_number,
)
IMAGE_MODEL = Setting[str](
    key="image_model",
    path=("image", "model"),
    label="image model",
    default="gpt-image-2.5-flare",
    parse=plain_text("a model name"),
    show=show_text,
)
IMAGE_API_BASE = Setting[str | None](
    key="image_api_base",
    path=("image", "api_base"),
    label="image endpoint",
    default=None,
    parse=optional(http_url),
    show=show_optional(show_text),
)
IMAGE_SIZE = Setting[str](
    key="image_size",
    path=("image", "size"),
    label="picture size",
    default="1024x1024",
    parse=image_size,
    show=show_text,
)
IMAGE_QUALITY = Setting[str | None](
    key="image_quality",
    path=("image", "quality"),
    label="picture quality",
    default=None,
    parse=optional(plain_text("a quality such as medium")),
    show=show_optional(show_text),
)
IMAGE_CHANNEL = Setting[str | None](
    key="image_channel",
    path=("image", "channel"),
    label="picture channel",
    default=None,
    parse=optional(channel_id),
    show=show_optional(show_text),
)
IMAGE_SCHEDULE = Setting[str](
    key="image_schedule",
    path=("image", "schedule"),
    label="image schedule",
    aliases=("picture schedule",),
    default="fri 10:00",
    parse=weekly_time,
    show=show_text,
    live=True,
    hint="fri 10:00",
)
IMAGE_HEMISPHERE = Setting[HemisphereName](
    key="image_hemisphere",
    path=("image", "hemisphere"),
    label="hemisphere",
    default="north",
    parse=one_of(("north", "south")),
    show=show_text,
)
IMAGE_PRICE_USD = Setting[float | None](
    key="image_price_usd",
    path=("image", "price_usd"),
    label="picture price",
    default=None,
    parse=optional(number(at_least=0)),
    show=show_optional(show_number),
)
LOG_LEVEL = Setting[LogLevel](
    key="log_level",
    path=("log_level",),
    label="log level",
    default="WARNING",
    parse=one_of(("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"), upper=True),
    show=show_text,
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
    RETENTION_DAYS,
    SLACK_API_URL,
    DM_IDLE_HOURS,
    TIMEZONE,
    DM_INTERVAL,
    THREAD_PROBABILITY,
    REACTION_PROBABILITY,
    BUSY_THREAD_MESSAGES,
    ACTIVE_HOURS,
    MONITORED_CHANNELS,
    ASSISTANT_PROMPTS,
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
