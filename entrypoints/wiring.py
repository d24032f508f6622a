"""The composition root: builds the real adapters from configuration and hands them to the
use cases. Nothing is wired at import time; tests build the same use cases with fakes."""

from __future__ import annotations

import random
import uuid
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path

import attrs

from lukas.adapters.sqlite.event_store import SqliteEventStore
from lukas.adapters.system_clock import SystemClock
from lukas.adapters.tokens.tiktoken_counter import TiktokenCounter
from lukas.application.admin_alerts import AdminAlerts
from lukas.application.circuit_events import CircuitRecorder
from lukas.application.compose_reply import ReplyComposer
from lukas.application.context import ContextBuilder
from lukas.application.handle_message import MessageHandler
from lukas.application.offline_model import OfflineChatModel
from lukas.application.ports.chat_channel import ChatChannel
from lukas.application.ports.chat_model import ChatModel
from lukas.application.ports.clock import Clock
from lukas.application.ports.event_store import EventStore
from lukas.application.ports.instances import Instances
from lukas.application.ports.token_counter import TokenCounter
from lukas.application.recovery import Recovery, RecoveryReport
from lukas.domain.context_window import ContextLimits
from lukas.domain.persona import PERSONA_SYSTEM_PROMPT
from lukas.entrypoints.config import Config, ConfigError
from lukas.entrypoints.log_setup import secret_values


@attrs.frozen
class ModelChoice:
    model: ChatModel
    notice: str | None  # one line for stderr when Lukas is not using the configured model
    credentials_hint: str = "the provider's API key"  # what an admin should check


def provider_key_variable(model: str) -> str | None:
    """The environment variable holding the key for `provider:model`, None if keyless."""
    from any_llm import AnyLLM  # importing any-llm takes seconds; only chat needs it

    provider = model.partition(":")[0]
    try:
        variable = AnyLLM.get_provider_class(provider).ENV_API_KEY_NAME
    except Exception as error:
        raise ConfigError(
            f"LUKAS_LLM_MODEL={model!r}: unknown provider {provider!r} "
            "(expected provider:model, e.g. openai:gpt-5.4-mini)"
        ) from error
    return None if variable in ("", "None") else variable


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
        return ModelChoice(AnyLLMChatModel(settings, secrets=secret_values(environ)), None, hint)
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
        return ModelChoice(
            AnyLLMChatModel(settings, secrets=secret_values(environ)), notice, "the local Ollama"
        )
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


def admin_alerts(
    config: Config,
    store: EventStore,
    channel: ChatChannel,
    clock: Clock,
    instance_id: str | None,
) -> AdminAlerts:
    return AdminAlerts(
        store=store,
        channel=channel,
        clock=clock,
        admins=config.admin_users,
        instance_id=instance_id,
    )


def build_message_handler(
    config: Config,
    *,
    store: EventStore,
    model: ChatModel,
    channel: ChatChannel,
    counter: TokenCounter,
    clock: Clock,
    draw: Callable[[], float],
    instance_id: str | None = None,
    credentials_hint: str = "the provider's API key",
    alerts: AdminAlerts | None = None,
) -> MessageHandler:
    limits = ContextLimits(max_pairs=config.history_pairs, max_tokens=config.context_tokens)
    context = ContextBuilder.for_prompt(
        PERSONA_SYSTEM_PROMPT, counter.count(PERSONA_SYSTEM_PROMPT), limits
    )
    alerts = alerts or admin_alerts(config, store, channel, clock, instance_id)
    composer = ReplyComposer(
        model=model,
        counter=counter,
        clock=clock,
        context=context,
        random=draw,
        alerts=alerts,
        credentials_hint=credentials_hint,
    )
    return MessageHandler(
        store=store,
        composer=composer,
        channel=channel,
        counter=counter,
        context=context,
        instance_id=instance_id,
    )


@attrs.frozen
class Chat:
    """Everything a chat front end (console, Slack) needs, wired and running."""

    handler: MessageHandler
    notice: str | None
    store: EventStore
    instances: Instances
    clock: Clock
    recovery: Recovery  # kept for the run: each recovery folds only what is new
    model: ChatModel  # with retries and circuit breaker, as the handler uses it
    alerts: AdminAlerts

    async def recover(self) -> RecoveryReport:
        return await self.recovery.run()


@asynccontextmanager
async def open_chat(
    config: Config, db: Path, environ: Mapping[str, str], channel: ChatChannel
) -> AsyncIterator[Chat]:
    """Opens the store first (a wrong --db should be the only complaint), then the rest."""
    from lukas.adapters.locks.instance_locks import FileLockInstances

    clock = SystemClock()
    instance_id = uuid.uuid4().hex[:12]
    async with open_store(db, create=True) as store:
        with FileLockInstances.start(
            db.with_name(db.name + ".instances"), instance_id
        ) as instances:
            choice = await choose_chat_model(config, environ)
            recorder = CircuitRecorder(store, clock, instance_id)
            model = resilient(choice.model, config, clock, recorder)
            alerts = admin_alerts(config, store, channel, clock, instance_id)
            handler = build_message_handler(
                config,
                store=store,
                model=model,
                channel=channel,
                counter=token_counter(config),
                clock=clock,
                draw=system_random(),
                instance_id=instance_id,
                credentials_hint=choice.credentials_hint,
                alerts=alerts,
            )
            try:
                yield Chat(
                    handler=handler,
                    notice=choice.notice,
                    store=store,
                    instances=instances,
                    clock=clock,
                    recovery=Recovery(
                        store=store,
                        handler=handler,
                        instances=instances,
                        clock=clock,
                        max_age=timedelta(seconds=config.recovery_max_age),
                    ),
                    model=model,
                    alerts=alerts,
                )
            finally:
                aclose = getattr(choice.model, "aclose", None)
                if aclose is not None:
                    await aclose()


def token_counter(config: Config) -> TiktokenCounter:
    return TiktokenCounter.for_model(config.llm.model)


@asynccontextmanager
async def open_store(path: Path, *, create: bool) -> AsyncIterator[SqliteEventStore]:
    store = await SqliteEventStore.open(path, SystemClock(), create=create)
    try:
        yield store
    finally:
        await store.close()


def system_random() -> Callable[[], float]:
    return random.SystemRandom().random
