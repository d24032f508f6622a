"""Tool calling through the any-llm adapter and its resilience wrappers, over HTTP to the stand-in.

The contract suite covers what every ChatModel promises about tool calls; this covers what is
the adapter's own: the request on the wire, the parameters a provider refuses alongside tools,
and the wrappers passing the tools on untouched.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Callable
from types import MappingProxyType

import pytest
from fakes.clock import FakeClock
from standins.openai_server import Failure, Malformed, OpenAIStandIn, Reply, ToolCallReply

from lukas.adapters.anyllm.chat_model import AnyLLMChatModel, AnyLLMSettings
from lukas.adapters.resilience.circuit_breaker import CircuitBreakerChatModel
from lukas.adapters.resilience.retrying_chat_model import RetryingChatModel, RetryPolicy
from lukas.application.ports.chat_model import ChatModelError, Tool, ToolCall
from lukas.domain.context_window import ContextMessage, Role
from lukas.domain.failures import FailureKind

pytestmark = pytest.mark.anyio

KEY = "sk-test-tools-0123456789abcdef"
MESSAGES = [
    ContextMessage(Role.SYSTEM, "You are Lukas.", 3),
    ContextMessage(Role.USER, "Could you let everyone in general know the meeting moved to 3?", 14),
]
POST_MESSAGE = Tool(
    name="post_message",
    description="Post a message in a channel Lukas is in.",
    parameters={
        "type": "object",
        "properties": {"channel": {"type": "string"}, "text": {"type": "string"}},
        "required": ["channel", "text"],
        "additionalProperties": False,
    },
)
# Read-only mappings and tuples are fine in a schema; the wire gets plain JSON all the same.
ADD_REACTION = Tool(
    name="add_reaction",
    description="React to the message being answered.",
    parameters=MappingProxyType(
        {
            "type": "object",
            "properties": MappingProxyType({"emoji": {"type": "string", "enum": ("bear", "tada")}}),
            "required": ("emoji",),
        }
    ),
)
TOOLS = (POST_MESSAGE, ADD_REACTION)
MOVED = {"channel": "general", "text": "The meeting moved to 3."}
CALL_MOVED = ToolCallReply("post_message", json.dumps(MOVED))
# What OpenAI answers a GPT-5 model offered function tools with a reasoning effort.
TOOLS_WITH_EFFORT_REFUSED = Failure.bad_request(
    "Function tools with reasoning_effort are not supported for gpt-5.4-mini in "
    "/v1/chat/completions. Please use /v1/responses instead.",
    param="reasoning_effort",
)


@pytest.fixture
async def adapters() -> AsyncIterator[list[AnyLLMChatModel]]:
    """Adapters made in a test, closed while the test's event loop still runs."""
    made: list[AnyLLMChatModel] = []
    yield made
    for adapter in made:
        await adapter.aclose()


@pytest.fixture
def adapter_for(
    adapters: list[AnyLLMChatModel], openai_standin: OpenAIStandIn
) -> Callable[..., AnyLLMChatModel]:
    def make(model: str = "openai:gpt-5.4-mini") -> AnyLLMChatModel:
        settings = AnyLLMSettings(model=model, api_key=KEY, api_base=openai_standin.base_url)
        adapters.append(AnyLLMChatModel(settings))
        return adapters[-1]

    return make


def warnings_in(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]


async def test_the_tools_go_on_the_wire_in_openais_function_format(
    adapter_for: Callable[..., AnyLLMChatModel], openai_standin: OpenAIStandIn
) -> None:
    openai_standin.script(Reply("", tool_calls=[CALL_MOVED]))
    completion = await adapter_for().complete(MESSAGES, TOOLS)
    assert completion.tool_calls == (ToolCall("post_message", MOVED),)
    [request] = openai_standin.chat_requests()
    assert request.tools == [
        {
            "type": "function",
            "function": {
                "name": "post_message",
                "description": "Post a message in a channel Lukas is in.",
                "parameters": {
                    "type": "object",
                    "properties": {"channel": {"type": "string"}, "text": {"type": "string"}},
                    "required": ["channel", "text"],
                    "additionalProperties": False,
                },
            },
        },
        {
            "type": "function",
            "function": {
                "name": "add_reaction",
                "description": "React to the message being answered.",
                "parameters": {
                    "type": "object",
                    "properties": {"emoji": {"type": "string", "enum": ["bear", "tada"]}},
                    "required": ["emoji"],
                },
            },
        },
    ]
    assert request.body["tool_choice"] == "auto"
    assert request.roles == ["system", "user"]


async def test_without_tools_the_request_has_no_tool_keys(
    adapter_for: Callable[..., AnyLLMChatModel], openai_standin: OpenAIStandIn
) -> None:
    await adapter_for().complete(MESSAGES)
    await adapter_for().complete(MESSAGES, [])
    for request in openai_standin.chat_requests():
        assert {"tools", "tool_choice"}.isdisjoint(request.body), request.body


async def test_a_tool_call_that_finished_as_stop_is_still_a_tool_call(
    adapter_for: Callable[..., AnyLLMChatModel], openai_standin: OpenAIStandIn
) -> None:
    # Some OpenAI-compatible servers (older Ollama) say "stop" for a turn that calls tools.
    openai_standin.script(Reply("", finish_reason="stop", tool_calls=[CALL_MOVED]))
    completion = await adapter_for().complete(MESSAGES, TOOLS)
    assert (completion.finish_reason, completion.tool_calls) == (
        "stop",
        (ToolCall("post_message", MOVED),),
    )


async def test_a_custom_tool_call_is_dropped_as_not_a_function_call(
    adapter_for: Callable[..., AnyLLMChatModel],
    openai_standin: OpenAIStandIn,
    caplog: pytest.LogCaptureFixture,
) -> None:
    custom = ToolCallReply("post_message", "general: moved to 3", custom=True)
    openai_standin.script(Reply("", tool_calls=[custom]), Reply("Ok!", tool_calls=[custom]))
    model = adapter_for()
    with caplog.at_level(logging.WARNING):
        with pytest.raises(ChatModelError) as raised:
            await model.complete(MESSAGES, TOOLS)
        completion = await model.complete(MESSAGES, TOOLS)
    assert raised.value.kind is FailureKind.EMPTY_REPLY
    assert (completion.text, completion.tool_calls) == ("Ok!", ())
    dropped = (
        "openai:gpt-5.4-mini asked to call 'post_message'; dropped, as it is not a function call"
    )
    assert warnings_in(caplog) == [dropped] * 2
    assert "moved to 3" not in caplog.text


async def test_a_made_up_tool_name_is_logged_redacted_and_cut_short(
    adapter_for: Callable[..., AnyLLMChatModel],
    openai_standin: OpenAIStandIn,
    caplog: pytest.LogCaptureFixture,
) -> None:
    names = [f"leak_{KEY}", "x" * 500]
    openai_standin.script(Reply("Hm.", tool_calls=[ToolCallReply(name) for name in names]))
    with caplog.at_level(logging.WARNING):
        completion = await adapter_for().complete(MESSAGES, TOOLS)
    assert (completion.text, completion.tool_calls) == ("Hm.", ())
    leaked, long = warnings_in(caplog)
    assert KEY not in caplog.text
    assert "'leak_[redacted]'" in leaked
    assert f"'{'x' * 64}'" in long
    assert "x" * 65 not in long


async def test_a_response_with_no_choices_is_still_an_empty_reply_with_tools(
    adapter_for: Callable[..., AnyLLMChatModel], openai_standin: OpenAIStandIn
) -> None:
    body = {"id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": "m"}
    openai_standin.script(Malformed(json.dumps({**body, "choices": []})))
    with pytest.raises(ChatModelError) as raised:
        await adapter_for().complete(MESSAGES, TOOLS)
    assert raised.value.kind is FailureKind.EMPTY_REPLY
    assert raised.value.detail == "the response had no choices"


async def test_a_parameter_refused_alongside_tools_is_dropped_only_with_tools(
    adapter_for: Callable[..., AnyLLMChatModel],
    openai_standin: OpenAIStandIn,
    caplog: pytest.LogCaptureFixture,
) -> None:
    openai_standin.script(
        TOOLS_WITH_EFFORT_REFUSED,
        Reply("", tool_calls=[CALL_MOVED]),
        Reply("Just words."),
        Reply("", tool_calls=[CALL_MOVED]),
    )
    # gpt-5.1 is not in the table of models that need "none" with tools: the refusal
    # itself teaches the adapter.
    model = adapter_for("openai:gpt-5.1-mini")
    with caplog.at_level(logging.WARNING):
        first = await model.complete(MESSAGES, TOOLS)
        plain = await model.complete(MESSAGES)
        again = await model.complete(MESSAGES, TOOLS)
    assert first.tool_calls == again.tool_calls == (ToolCall("post_message", MOVED),)
    assert plain.text == "Just words."
    sent = openai_standin.chat_requests()
    assert [r.body.get("reasoning_effort") for r in sent] == ["low", None, "low", None]
    assert [r.tools is not None for r in sent] == [True, True, False, True]
    assert warnings_in(caplog) == [
        "openai:gpt-5.1-mini refused the parameter 'reasoning_effort' alongside tools; "
        "sending it no more with tools in this run"
    ]


@pytest.mark.parametrize(
    ("model", "with_tools", "without_tools"),
    [
        ("openai:gpt-5.4-mini", "none", "low"),
        ("openai:gpt-5.6-terra", "none", "low"),
        ("openai:gpt-5.12", "none", "low"),
        ("openai:gpt-5", "low", "low"),
        ("openai:gpt-5.1", "low", "low"),
        ("openai:o4-mini", "low", "low"),
    ],
)
async def test_gpt_5_2_and_later_reason_not_at_all_when_tools_are_offered(
    adapter_for: Callable[..., AnyLLMChatModel],
    openai_standin: OpenAIStandIn,
    model: str,
    with_tools: str,
    without_tools: str,
) -> None:
    # OpenAI refuses function tools with any reasoning effort for these on Chat Completions
    # (from gpt-5.6, unless it is explicitly "none").
    openai_standin.script(Reply("", tool_calls=[CALL_MOVED]), Reply("Just words."))
    adapter = adapter_for(model)
    await adapter.complete(MESSAGES, TOOLS)
    await adapter.complete(MESSAGES)
    sent = [r.body.get("reasoning_effort") for r in openai_standin.chat_requests()]
    assert sent == [with_tools, without_tools]


async def test_a_refused_tool_choice_is_dropped_but_the_tools_are_kept(
    adapter_for: Callable[..., AnyLLMChatModel], openai_standin: OpenAIStandIn
) -> None:
    refused = Failure.bad_request("tool_choice is not supported", param="tool_choice")
    openai_standin.script(refused, Reply("", tool_calls=[CALL_MOVED]))
    completion = await adapter_for().complete(MESSAGES, TOOLS)
    assert completion.tool_calls == (ToolCall("post_message", MOVED),)
    first, second = openai_standin.chat_requests()
    assert (first.body.get("tool_choice"), second.body.get("tool_choice")) == ("auto", None)
    assert first.tools == second.tools
    assert second.tools is not None


async def test_refused_tools_are_a_bad_request_not_a_silent_call_without_them(
    adapter_for: Callable[..., AnyLLMChatModel], openai_standin: OpenAIStandIn
) -> None:
    openai_standin.script(Failure.bad_request("This model does not support tools", param="tools"))
    with pytest.raises(ChatModelError) as raised:
        await adapter_for().complete(MESSAGES, TOOLS)
    assert raised.value.kind is FailureKind.BAD_REQUEST
    assert len(openai_standin.chat_requests()) == 1


async def test_the_retrying_wrapper_offers_the_same_tools_on_every_attempt(
    adapter_for: Callable[..., AnyLLMChatModel], openai_standin: OpenAIStandIn
) -> None:
    openai_standin.script(
        Failure.server_error(502), Failure.rate_limited(), Reply("", tool_calls=[CALL_MOVED])
    )
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    model = RetryingChatModel(adapter_for(), RetryPolicy(), sleep=sleep)
    completion = await model.complete(MESSAGES, TOOLS)
    assert completion.tool_calls == (ToolCall("post_message", MOVED),)
    sent = openai_standin.chat_requests()
    assert len(sent) == 3
    assert len(waits) == 2
    assert all(r.tools == sent[0].tools for r in sent)
    assert [tool["function"]["name"] for tool in sent[0].tools or []] == [
        "post_message",
        "add_reaction",
    ]


async def test_the_circuit_breaker_offers_the_tools_it_was_given(
    adapter_for: Callable[..., AnyLLMChatModel], openai_standin: OpenAIStandIn
) -> None:
    openai_standin.script(Reply("On it.", tool_calls=[CALL_MOVED]), Reply("No tools here."))
    breaker = CircuitBreakerChatModel(adapter_for(), clock=FakeClock())
    called = await breaker.complete(MESSAGES, [ADD_REACTION, POST_MESSAGE])
    plain = await breaker.complete(MESSAGES)
    assert (called.text, called.tool_calls) == ("On it.", (ToolCall("post_message", MOVED),))
    assert (plain.text, plain.tool_calls) == ("No tools here.", ())
    offered, not_offered = openai_standin.chat_requests()
    assert [tool["function"]["name"] for tool in offered.tools or []] == [
        "add_reaction",
        "post_message",
    ]
    assert not_offered.tools is None
    assert breaker.state == "closed"


@pytest.mark.parametrize("name", ["", "post message", "post.message", "x" * 65, "emoji🐻"])
def test_a_tool_name_a_provider_would_refuse_is_refused_at_once(name: str) -> None:
    with pytest.raises(ValueError, match="a tool's name"):
        Tool(name=name, description="", parameters={"type": "object"})


async def test_a_classic_model_gets_room_for_a_tool_call_only_when_tools_are_offered(
    adapter_for: Callable[..., AnyLLMChatModel], openai_standin: OpenAIStandIn
) -> None:
    openai_standin.script(Reply("", tool_calls=[CALL_MOVED]), Reply("Just words."))
    adapter = adapter_for("openai:gpt-4.1-mini")
    await adapter.complete(MESSAGES, TOOLS)
    await adapter.complete(MESSAGES)
    sent = [
        r.body.get("max_tokens", r.body.get("max_completion_tokens"))
        for r in openai_standin.chat_requests()
    ]
    assert sent == [600, 150]
