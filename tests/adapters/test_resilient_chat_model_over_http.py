"""Retries and the circuit breaker around the real any-llm adapter, counted at the stand-in.

The counts are the point: how many requests each fault costs the provider.
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Callable

import attrs
import pytest
from fakes.clock import FakeClock
from standins.openai_server import Delay, Failure, Malformed, OpenAIStandIn, Reply, Step

from lukas.adapters.anyllm.chat_model import AnyLLMChatModel, AnyLLMSettings
from lukas.adapters.resilience.circuit_breaker import CircuitBreakerChatModel, StateChange
from lukas.adapters.resilience.retrying_chat_model import RetryingChatModel, RetryPolicy
from lukas.application.ports.chat_model import ChatModelError
from lukas.domain.context_window import ContextMessage, Role
from lukas.domain.failures import FailureKind

pytestmark = pytest.mark.anyio

KEY = "sk-test-resilience-0123456789abcdef"
MESSAGES = [
    ContextMessage(Role.SYSTEM, "You are Lukas.", 3),
    ContextMessage(Role.USER, "Hi Lukas", 2),
]


@attrs.define
class Chain:
    model: RetryingChatModel
    breaker: CircuitBreakerChatModel
    waits: list[float]
    changes: list[StateChange]


@pytest.fixture
async def adapters() -> AsyncIterator[list[AnyLLMChatModel]]:
    """Adapters made in a test, closed while the test's event loop still runs."""
    made: list[AnyLLMChatModel] = []
    yield made
    for adapter in made:
        await adapter.aclose()


@pytest.fixture
def chain_for(adapters: list[AnyLLMChatModel]) -> Callable[..., Chain]:
    def make(api_base: str, timeout_seconds: float = 30.0) -> Chain:
        settings = AnyLLMSettings(
            model="openai:gpt-5.4-mini",
            api_key=KEY,
            api_base=api_base,
            timeout_seconds=timeout_seconds,
        )
        adapters.append(AnyLLMChatModel(settings))
        waits: list[float] = []
        changes: list[StateChange] = []

        async def sleep(seconds: float) -> None:
            waits.append(seconds)

        async def on_change(change: StateChange) -> None:
            changes.append(change)

        breaker = CircuitBreakerChatModel(adapters[-1], clock=FakeClock(), on_change=on_change)
        model = RetryingChatModel(breaker, RetryPolicy(), sleep=sleep)
        return Chain(model, breaker, waits, changes)

    return make


@pytest.mark.parametrize(
    ("step", "expected"),
    [
        (Failure.rate_limited(), (FailureKind.RATE_LIMIT, 3, [1.0, 2.0])),
        (Failure.rate_limited(retry_after=2), (FailureKind.RATE_LIMIT, 3, [2.0, 2.0])),
        (Failure.server_error(500), (FailureKind.PROVIDER, 3, [1.0, 2.0])),
        (Failure.server_error(502), (FailureKind.PROVIDER, 3, [1.0, 2.0])),
        (Malformed(), (FailureKind.PROVIDER, 3, [1.0, 2.0])),
        (Delay(2, Reply("too late")), (FailureKind.TIMEOUT, 3, [1.0, 2.0])),
        (Failure.unauthorized(), (FailureKind.AUTHENTICATION, 1, [])),
        (Failure.bad_request("messages must not be empty"), (FailureKind.BAD_REQUEST, 1, [])),
        (Failure.content_filter(), (FailureKind.CONTENT_FILTER, 1, [])),
        (Failure.context_length(), (FailureKind.CONTEXT_LENGTH, 1, [])),
    ],
)
async def test_each_fault_costs_the_provider_a_known_number_of_requests(
    chain_for: Callable[..., Chain],
    openai_standin: OpenAIStandIn,
    step: Step,
    expected: tuple[FailureKind, int, list[float]],
) -> None:
    kind, requests, waits = expected
    # More of the fault than the chain may ask for: a fourth request would be answered with
    # the same fault, and the count below would show it.
    openai_standin.script(*[step] * 4)
    # A short request time-out only where the fault is slowness; elsewhere it could only flake.
    timeout = 0.2 if isinstance(step, Delay) else 30.0
    chain = chain_for(openai_standin.base_url, timeout_seconds=timeout)
    with pytest.raises(ChatModelError) as raised:
        await chain.model.complete(MESSAGES)
    assert (raised.value.kind, raised.value.attempts) == (kind, requests)
    assert len(openai_standin.chat_requests()) == requests
    assert chain.waits == waits
    assert chain.breaker.state == "closed"
    assert KEY not in str(raised.value)


async def test_a_refused_connection_is_tried_three_times(
    chain_for: Callable[..., Chain],
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    chain = chain_for(f"http://127.0.0.1:{port}/v1")
    with pytest.raises(ChatModelError) as raised:
        await chain.model.complete(MESSAGES)
    assert (raised.value.kind, raised.value.attempts) == (FailureKind.CONNECTION, 3)
    assert chain.waits == [1.0, 2.0]


async def test_a_provider_that_recovers_within_the_attempts_gives_its_reply(
    chain_for: Callable[..., Chain], openai_standin: OpenAIStandIn
) -> None:
    openai_standin.script(Failure.server_error(500), Failure.server_error(500), Reply("at last"))
    chain = chain_for(openai_standin.base_url)
    assert (await chain.model.complete(MESSAGES)).text == "at last"
    assert len(openai_standin.chat_requests()) == 3
    assert chain.waits == [1.0, 2.0]


async def test_a_storm_of_server_errors_costs_five_requests_then_none(
    chain_for: Callable[..., Chain], openai_standin: OpenAIStandIn
) -> None:
    openai_standin.script(*[Failure.server_error(500)] * 30)
    chain = chain_for(openai_standin.base_url)
    errors: list[ChatModelError] = []
    seen: list[int] = []
    for _ in range(8):
        with pytest.raises(ChatModelError) as raised:
            await chain.model.complete(MESSAGES)
        errors.append(raised.value)
        seen.append(len(openai_standin.chat_requests()))
    # Call 1: three failures. Call 2: the fifth failure in a row opens the circuit, and
    # its third attempt is refused without a request. Calls 3 to 8: refused at once.
    assert seen == [3, 5, 5, 5, 5, 5, 5, 5]
    first, second, *rest = errors
    assert (first.kind, first.attempts) == (FailureKind.PROVIDER, 3)
    assert (second.kind, second.attempts) == (FailureKind.PROVIDER, 3)
    assert second.detail.endswith("; then the circuit breaker opened")
    assert {(error.kind, error.attempts) for error in rest} == {(FailureKind.CIRCUIT_OPEN, 0)}
    assert chain.waits == [1.0, 2.0, 1.0, 2.0]
    assert [(c.previous, c.current) for c in chain.changes] == [("closed", "open")]
    assert chain.changes[0].detail.startswith("5 failures in a row, last: provider: ")
