"""The any-llm adapter, through the real any-llm and openai clients, against a local stand-in."""

from __future__ import annotations

import logging
import socket
from collections.abc import AsyncIterator, Callable

import pytest
from standins.openai_server import Delay, Drop, Failure, Malformed, OpenAIStandIn, Reply

from lukas.adapters.anyllm.chat_model import AnyLLMChatModel, AnyLLMSettings
from lukas.adapters.anyllm.model_profiles import GenerationSettings
from lukas.application.ports.chat_model import ChatModelError
from lukas.domain.context_window import ContextMessage, Role
from lukas.domain.failures import FailureKind

pytestmark = pytest.mark.anyio

KEY = "sk-test-adapter-0123456789abcdef"
MESSAGES = [
    ContextMessage(Role.SYSTEM, "You are Lukas.", 3),
    ContextMessage(Role.USER, "Hi Lukas", 2),
]


@pytest.fixture
async def models() -> AsyncIterator[list[AnyLLMChatModel]]:
    """Adapters made in a test, closed while the test's event loop still runs."""
    made: list[AnyLLMChatModel] = []
    yield made
    for model in made:
        await model.aclose()


@pytest.fixture
def model_for(models: list[AnyLLMChatModel]) -> Callable[..., AnyLLMChatModel]:
    def make(
        standin: OpenAIStandIn | None = None,
        model: str = "openai:gpt-5.4-mini",
        *,
        api_base: str | None = None,
        api_key: str | None = KEY,
        timeout_seconds: float = 30.0,
        compatible_name: str | None = None,
    ) -> AnyLLMChatModel:
        settings = AnyLLMSettings(
            model=model,
            api_key=api_key,
            api_base=api_base or (standin.base_url if standin else None),
            timeout_seconds=timeout_seconds,
            compatible_name=compatible_name,
        )
        models.append(AnyLLMChatModel(settings))
        return models[-1]

    return make


async def test_a_reply_comes_back_with_usage_and_finish_reason(
    model_for: Callable[..., AnyLLMChatModel],
    openai_standin: OpenAIStandIn,
) -> None:
    openai_standin.script(Reply("Hello there! \U0001f43b"))
    completion = await model_for(openai_standin).complete(MESSAGES)
    assert completion.text == "Hello there! \U0001f43b"
    assert (completion.provider, completion.finish_reason) == ("openai", "stop")
    assert completion.usage is not None
    assert completion.usage.total_tokens == 19
    [request] = openai_standin.chat_requests()
    assert request.roles == ["system", "user"]
    assert request.headers["authorization"] == f"Bearer {KEY}"


async def test_a_reasoning_model_gets_headroom_low_effort_and_no_temperature(
    model_for: Callable[..., AnyLLMChatModel],
    openai_standin: OpenAIStandIn,
) -> None:
    await model_for(openai_standin, "openai:gpt-5.4-mini").complete(MESSAGES)
    body = openai_standin.chat_requests()[0].body
    assert "temperature" not in body
    assert body["max_completion_tokens"] == 150 + GenerationSettings().reasoning_headroom
    assert body["reasoning_effort"] == "low"
    assert body["model"] == "gpt-5.4-mini"


async def test_a_classic_model_gets_the_seeds_temperature_and_budget(
    model_for: Callable[..., AnyLLMChatModel],
    openai_standin: OpenAIStandIn,
) -> None:
    await model_for(openai_standin, "openai:gpt-4.1-mini").complete(MESSAGES)
    body = openai_standin.chat_requests()[0].body
    assert body["temperature"] == 0.7
    assert body["max_completion_tokens"] == 150
    assert "reasoning_effort" not in body


async def test_missing_usage_is_none(
    model_for: Callable[..., AnyLLMChatModel], openai_standin: OpenAIStandIn
) -> None:
    openai_standin.script(Reply("hi", usage=None))
    assert (await model_for(openai_standin).complete(MESSAGES)).usage is None


async def test_a_length_cut_reply_is_kept_with_its_reason(
    model_for: Callable[..., AnyLLMChatModel], openai_standin: OpenAIStandIn
) -> None:
    openai_standin.script(Reply("I was saying that", finish_reason="length"))
    completion = await model_for(openai_standin).complete(MESSAGES)
    assert (completion.text, completion.finish_reason) == ("I was saying that", "length")


async def test_a_refused_parameter_is_dropped_once_with_one_warning(
    model_for: Callable[..., AnyLLMChatModel],
    openai_standin: OpenAIStandIn,
    caplog: pytest.LogCaptureFixture,
) -> None:
    model = model_for(openai_standin, "openai:gpt-4.1-mini")
    openai_standin.script(Failure.unsupported_parameter("temperature"), Reply("ok"), Reply("again"))
    with caplog.at_level(logging.WARNING):
        assert (await model.complete(MESSAGES)).text == "ok"
        assert (await model.complete(MESSAGES)).text == "again"
    sent = [r.body for r in openai_standin.chat_requests()]
    assert ["temperature" in body for body in sent] == [True, False, False]
    assert [r.message for r in caplog.records].count(
        "openai:gpt-4.1-mini refused the parameter 'temperature'; sending it no more in this run"
    ) == 1


@pytest.mark.parametrize(
    ("step", "kind"),
    [
        (Failure.unauthorized(), FailureKind.AUTHENTICATION),
        (Failure.rate_limited(), FailureKind.RATE_LIMIT),
        (Failure.server_error(500), FailureKind.PROVIDER),
        (Failure.server_error(502), FailureKind.PROVIDER),
        (Failure.bad_request("messages must not be empty"), FailureKind.BAD_REQUEST),
        (Failure.content_filter(), FailureKind.CONTENT_FILTER),
        (Failure.context_length(), FailureKind.CONTEXT_LENGTH),
        (Malformed(), FailureKind.PROVIDER),
        (Drop(), FailureKind.CONNECTION),
    ],
)
async def test_each_failure_is_classified_after_exactly_one_request(
    model_for: Callable[..., AnyLLMChatModel],
    openai_standin: OpenAIStandIn,
    step: Failure | Malformed | Drop,
    kind: FailureKind,
) -> None:
    openai_standin.script(step)
    with pytest.raises(ChatModelError) as raised:
        await model_for(openai_standin).complete(MESSAGES)
    assert raised.value.kind is kind
    assert len(openai_standin.chat_requests()) == 1  # the SDK's own retries are off
    assert KEY not in str(raised.value)
    assert KEY[-12:] not in raised.value.detail


async def test_retry_after_is_passed_on(
    model_for: Callable[..., AnyLLMChatModel], openai_standin: OpenAIStandIn
) -> None:
    openai_standin.script(Failure.rate_limited(retry_after=7))
    with pytest.raises(ChatModelError) as raised:
        await model_for(openai_standin).complete(MESSAGES)
    assert raised.value.retry_after == 7.0


async def test_a_slow_server_is_a_timeout(
    model_for: Callable[..., AnyLLMChatModel], openai_standin: OpenAIStandIn
) -> None:
    openai_standin.script(Delay(3, Reply("too late")))
    with pytest.raises(ChatModelError) as raised:
        await model_for(openai_standin, timeout_seconds=0.3).complete(MESSAGES)
    assert raised.value.kind is FailureKind.TIMEOUT


async def test_a_refused_connection_is_a_connection_failure(
    model_for: Callable[..., AnyLLMChatModel],
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(ChatModelError) as raised:
        await model_for(api_base=f"http://127.0.0.1:{port}/v1").complete(MESSAGES)
    assert raised.value.kind is FailureKind.CONNECTION


async def test_a_missing_key_is_missing_credentials(
    model_for: Callable[..., AnyLLMChatModel],
    openai_standin: OpenAIStandIn,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(ChatModelError) as raised:
        await model_for(openai_standin, api_key=None).complete(MESSAGES)
    assert raised.value.kind is FailureKind.MISSING_CREDENTIALS
    assert openai_standin.chat_requests() == []


async def test_one_client_serves_every_call(
    model_for: Callable[..., AnyLLMChatModel], openai_standin: OpenAIStandIn
) -> None:
    model = model_for(openai_standin)
    await model.complete(MESSAGES)
    first = model._client
    await model.complete(MESSAGES)
    assert model._client is first is not None


async def test_an_openai_compatible_server_is_recorded_under_its_own_name(
    model_for: Callable[..., AnyLLMChatModel],
    openai_standin: OpenAIStandIn,
) -> None:
    model = model_for(openai_standin, "openai:llama3.2", api_key="ollama", compatible_name="ollama")
    completion = await model.complete(MESSAGES)
    assert completion.provider == "ollama"
    assert openai_standin.chat_requests()[0].body["model"] == "llama3.2"
