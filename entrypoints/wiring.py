"""The real adapters, chosen from configuration, and handed to the composition root
(bootstrap.compose). Nothing is wired at import time; tests compose the same use cases
with fakes."""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import anyio
import anyio.to_thread
import attrs

from lukas.adapters.memory.leadership import SoleLeader
from lukas.adapters.system_clock import SystemClock
from lukas.application.circuit_events import CircuitRecorder
from lukas.application.offline_model import OfflineChatModel
from lukas.application.ports.announcements import ChannelPoster
from lukas.application.ports.assistant import AssistantSurface
from lukas.application.ports.chat_channel import ChatChannel
from lukas.application.ports.chat_model import ChatModel
from lukas.application.ports.clock import Clock
from lukas.application.ports.direct_messages import DirectMessages
from lukas.application.ports.images import ImagePoster
from lukas.application.ports.leadership import Leadership
from lukas.domain.roster import Member
from lukas.entrypoints.bootstrap import Adapters, Images, Lukas, Reading, compose
from lukas.entrypoints.config import Config, ConfigError
from lukas.entrypoints.db_location import Location, beside
from lukas.entrypoints.log_setup import secret_values
from lukas.entrypoints.provider_keys import provider_key_variable
from lukas.entrypoints.store_and_tokens import (
    deferred_token_counter,
    open_checkpoints,
    open_log,
    open_store,
    token_counter,
)

if TYPE_CHECKING:
    from lukas.adapters.locks.instance_locks import FileLockInstances
    from lukas.adapters.postgres.instances import PostgresInstances

# How often a replica makes sure its lease in PostgreSQL still stands (ADR 26).
_LEASE_CHECK_SECONDS = 5.0

# open_store and token_counter live apart, for the commands that only read the log; the
# benchmarks still take them from here, with what chat wires.
__all__ = [
    "ModelChoice",
    "Opened",
    "Platform",
    "choose_chat_model",
    "member_zone",
    "open_lukas",
    "open_store",
    "provider_key_variable",
    "resilient",
    "system_random",
    "token_counter",
]


@attrs.frozen
class ModelChoice:
    model: ChatModel
    notice: str | None  # one line for stderr when Lukas is not using the configured model
    credentials_hint: str = "the provider's API key"  # what an admin should check
    # Starts loading the model's SDK in the background, for a front end to call once it is
    # ready for people: their first message then need not wait for the import.
    prepare: Callable[[], None] = lambda: None


async def choose_chat_model(config: Config, environ: Mapping[str, str]) -> ModelChoice:
    from lukas.adapters.anyllm.chat_model import AnyLLMChatModel, AnyLLMSettings
    from lukas.adapters.anyllm.model_profiles import GenerationSettings
    from lukas.adapters.anyllm.ollama_probe import local_ollama_models

    llm = config.llm
    if ":" not in llm.model:
        raise ConfigError(
            f"LUKAS_LLM_MODEL={llm.model!r} is not provider:model (e.g. openai:gpt-5.4-mini)"
        )
    variable = provider_key_variable(llm.model)
    key = environ.get(variable) if variable else None
    generation = GenerationSettings(
        temperature=llm.temperature,
        max_tokens=llm.max_tokens,
        reasoning_effort=llm.reasoning_effort,
        reasoning=llm.reasoning,
        reasoning_headroom=llm.reasoning_headroom,
    )
    if key or variable is None or llm.api_base:
        settings = AnyLLMSettings(
            model=llm.model,
            # A self-hosted OpenAI-compatible server usually wants no key, but the SDK
            # insists on one; it is never checked there.
            api_key=key or ("unused" if variable else None),
            api_base=llm.api_base,
            generation=generation,
            timeout_seconds=llm.timeout,
        )
        hint = variable or "the server's credentials"
        if llm.api_base:
            hint = f"{hint} and LUKAS_LLM_API_BASE ({llm.api_base})"
        model = AnyLLMChatModel(settings, secrets=secret_values(environ))
        return ModelChoice(model, None, hint, model.prepare)
    how = f"set {variable} (or LUKAS_LLM_MODEL=provider:model with that provider's key)"
    local = await local_ollama_models(config.ollama_url)
    if local:
        settings = AnyLLMSettings(
            model=f"ollama:{local[0]}",
            api_key="ollama",
            api_base=f"{config.ollama_url.rstrip('/')}/v1",
            generation=generation,
            timeout_seconds=llm.timeout,
            compatible_name="ollama",
        )
        notice = (
            f"No {variable} set: using the local Ollama model {local[0]}; "
            f"to use {llm.model}, {how}."
        )
        model = AnyLLMChatModel(settings, secrets=secret_values(environ))
        return ModelChoice(model, notice, "the local Ollama", model.prepare)
    notice = (
        f"No {variable} set and no local Ollama: Lukas is offline and answers with "
        f"fallback phrases; to chat with a model, {how}."
    )
    return ModelChoice(OfflineChatModel(f"{variable} is not set"), notice)


def resilient(
    model: ChatModel, config: Config, clock: Clock, recorder: CircuitRecorder
) -> ChatModel:
    """Retries outside, the circuit breaker inside: every attempt counts toward the breaker."""
    from lukas.adapters.resilience.circuit_breaker import CircuitBreakerChatModel, StateChange
    from lukas.adapters.resilience.retrying_chat_model import RetryingChatModel, RetryPolicy

    async def record(change: StateChange) -> None:
        await recorder.record(change.dependency, change.previous, change.current, change.detail)

    llm = config.llm
    breaker = CircuitBreakerChatModel(
        model,
        clock=clock,
        fail_max=llm.breaker_failures,
        reset_timeout=llm.breaker_reset,
        on_change=record,
    )
    return RetryingChatModel(
        breaker, RetryPolicy(attempts=llm.attempts, deadline_seconds=llm.deadline)
    )


@attrs.frozen
class Platform:
    """What a front end brings: where Lukas speaks, and who he is there."""

    channel: ChatChannel
    announcements: ChannelPoster
    dms: DirectMessages
    lukas_id: str
    extra_admins: tuple[str, ...] = ()
    image_poster: ImagePoster | None = None
    reading: Reading | None = None
    assistant: AssistantSurface | None = None  # a platform with an assistant pane


@attrs.frozen
class Opened:
    lukas: Lukas
    notice: str | None  # one line for stderr when Lukas is not using the configured model
    no_pictures: str | None  # why there are no pictures, when there are none
    # Starts loading the token encoding, then the model's SDK, in the background.
    prepare: Callable[[], None]
    # Who runs the schedulers when several processes share the log (ADR 26).
    leadership: Leadership
    # Returns never; raises when this process's lease is lost (then it must stop).
    watch_lease: Callable[[], Coroutine[Any, Any, None]]
    # One line for stderr when the log holds words from before they were sealed.
    log_notice: str | None = None


@asynccontextmanager
async def open_lukas(
    config: Config, db: Location, environ: Mapping[str, str], platform: Platform
) -> AsyncIterator[Opened]:
    """The real adapters, chosen from configuration, composed into Lukas. Opens the store
    first: a wrong --db should be the only complaint."""
    from lukas.entrypoints.pictures import timezone_of

    clock = SystemClock()
    instance_id = uuid.uuid4().hex[:12]
    timezone = timezone_of(config)
    async with (
        open_log(db, create=True, check="before_writing") as log,
        open_checkpoints(db) as checkpoints,
    ):
        store = log.store
        with _instances(db, instance_id) as instances:
            choice = await choose_chat_model(config, environ)
            counter = deferred_token_counter(config)
            recorder = CircuitRecorder(store, clock, instance_id)
            async with _images(config, db, environ, platform.image_poster) as images:
                adapters = Adapters(
                    store=store,
                    checkpoints=checkpoints,
                    clock=clock,
                    instances=instances,
                    model=resilient(choice.model, config, clock, recorder),
                    counter=counter,
                    draw=system_random(),
                    channel=platform.channel,
                    announcements=platform.announcements,
                    dms=platform.dms,
                    timezone=timezone,
                    lukas_id=platform.lukas_id,
                    extra_admins=platform.extra_admins,
                    credentials_hint=choice.credentials_hint,
                    images=None if isinstance(images, str) else images,
                    reading=platform.reading,
                    assistant=platform.assistant,
                    zone_of=member_zone,
                    keys=log.keys,
                )
                try:
                    yield Opened(
                        compose(config, adapters),
                        choice.notice,
                        images if isinstance(images, str) else None,
                        _both(counter.prepare, choice.prepare),
                        _leadership(db),
                        _lease_watch(instances),
                        _plain_log_notice(db) if store.plain_before else None,
                    )
                finally:
                    aclose = getattr(choice.model, "aclose", None)
                    if aclose is not None:
                        await aclose()


def _plain_log_notice(db: Location) -> str:
    return (
        f"{db} holds words written before Lukas sealed them (ADR 27): new words are sealed, "
        "but `lukas forget` and retention cannot reach the old ones until the log is "
        f"rewritten with `lukas migrate --from {db} --to NEW`"
    )


def _instances(db: Location, instance_id: str) -> FileLockInstances | PostgresInstances:
    """This process's lease: a lock file beside a SQLite file (one host, ADR 8); in the
    database itself for PostgreSQL, so processes on any host see each other (ADR 26)."""
    if isinstance(db, Path):
        from lukas.adapters.locks.instance_locks import FileLockInstances

        return FileLockInstances.start(beside(db, ".instances"), instance_id)
    from lukas.adapters.postgres.instances import PostgresInstances

    return PostgresInstances.start(db.url, instance_id)


def _lease_watch(
    instances: FileLockInstances | PostgresInstances,
) -> Callable[[], Coroutine[Any, Any, None]]:
    async def watch() -> None:
        from lukas.adapters.postgres.instances import PostgresInstances

        if not isinstance(instances, PostgresInstances):
            await anyio.sleep_forever()  # a flock lease lasts as long as the process
            return
        while True:
            await anyio.sleep(_LEASE_CHECK_SECONDS)
            await anyio.to_thread.run_sync(instances.check_lease)

    return watch


def _leadership(db: Location) -> Leadership:
    if isinstance(db, Path):
        return SoleLeader()  # one SQLite file, one host: every process runs its schedulers
    from lukas.adapters.postgres.leadership import PostgresLeadership

    return PostgresLeadership(db.url)


def _both(first: Callable[[], None], then: Callable[[], None]) -> Callable[[], None]:
    def both() -> None:
        first()
        then()

    return both


@asynccontextmanager
async def _images(
    config: Config, db: Location, environ: Mapping[str, str], poster: ImagePoster | None
) -> AsyncIterator[Images | str]:
    """The image model and where pictures are kept; or why there are no pictures."""
    from lukas.adapters.filesystem.image_files import ImageDirectory
    from lukas.entrypoints.pictures import image_key, open_image_generator

    try:
        image_key(config, environ)
    except ConfigError as error:
        yield str(error)
        return
    async with open_image_generator(config, environ) as generator:
        yield Images(generator, ImageDirectory(beside(db, ".pictures")), poster)


def member_zone(member: Member) -> dt.tzinfo | None:
    """The member's own time zone from their profile, if it names one this system knows."""
    if not member.timezone:
        return None
    try:
        return ZoneInfo(member.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def system_random() -> Callable[[], float]:
    return random.SystemRandom().random
