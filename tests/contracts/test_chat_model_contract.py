"""The chat model contract, run against every implementation: the scripted fake and any-llm.

The any-llm adapter goes through the real any-llm and openai clients to the local OpenAI
stand-in. Each implementation comes with a driver that scripts the same scenario in its own
way: the fake is handed the reply or the error itself, the stand-in is handed the HTTP
response a provider would send. Use cases may rely on these properties and on no others.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from typing import Any, Protocol, cast

import attrs
import pytest
from fakes.chat_model import FakeChatModel, FakeReply
from standins import openai_server as standin
from standins.openai_server import Delay, Drop, Failure, OpenAIStandIn, Reply, ToolCallReply
from standins.openai_stream import StreamBreak, Streamed, words

from lukas.adapters.anyllm.chat_model import AnyLLMChatModel, AnyLLMSettings
from lukas.application.ports.chat_model import (
    ChatModel,
    ChatModelError,
    Completion,
    Tool,
    ToolCall,
)
from lukas.domain.context_window import ContextMessage, Role
from lukas.domain.events import Usage
from lukas.domain.failures import FailureKind

pytestmark = pytest.mark.anyio

KEY = "sk-test-contract-0123456789abcdef"
# Short, so the time-out case is quick; loopback answers take milliseconds.
TIMEOUT_SECONDS = 2.0

MESSAGES = (
    ContextMessage(Role.SYSTEM, "You are Lukas, a friendly bear.", 8),
    ContextMessage(Role.USER, "Hi Lukas", 3),
)

# Failures every implementation can produce, so use cases may be written against each.
FAILURE_KINDS = [
    FailureKind.AUTHENTICATION,
    FailureKind.RATE_LIMIT,
    FailureKind.PROVIDER,
    FailureKind.BAD_REQUEST,
    FailureKind.CONTENT_FILTER,
    FailureKind.CONTEXT_LENGTH,
    FailureKind.CONNECTION,
    FailureKind.TIMEOUT,
]


class Driver(Protocol):
    """Sets up what the model will answer next, and reads back what it was sent."""

    @property
    def model(self) -> ChatModel: ...

    def will_reply(
        self,
        text: str,
        *,
        finish_reason: str = "stop",
        usage: tuple[int, int] | None = (12, 7),
    ) -> None:
        """The next call answers `text`; `usage` is (prompt, completion) tokens, or none."""
        ...

    def will_fail(self, kind: FailureKind, *, retry_after: float | None = None) -> None: ...

    def will_call(
        self, *calls: tuple[str, str], text: str = "", finish_reason: str = "tool_calls"
    ) -> None:
        """The next call answers `text` and asks for `calls`: (tool name, arguments as the
        JSON text a provider sends, which need not be JSON at all)."""
        ...

    def will_break(self, text: str, *, after: int) -> None:
        """The next call streams the first `after` words of `text`, then its connection
        drops."""
        ...

    def last_sent(self) -> list[tuple[str, str]]:
        """The (role, content) pairs the model was given in its most recent call."""
        ...

    def last_offered(self) -> list[str] | None:
        """The names of the tools offered in the most recent call; None when none were."""
        ...


@attrs.frozen
class FakeDriver:
    model: FakeChatModel

    def will_reply(
        self,
        text: str,
        *,
        finish_reason: str = "stop",
        usage: tuple[int, int] | None = (12, 7),
    ) -> None:
        reported = None if usage is None else Usage(usage[0], usage[1], sum(usage))
        self.model.script(FakeReply(text, finish_reason, reported))

    def will_fail(self, kind: FailureKind, *, retry_after: float | None = None) -> None:
        # The fake raises what it is given; the adapter has to build the same from HTTP.
        self.model.script(ChatModelError(kind, f"scripted {kind.value}", retry_after=retry_after))

    def will_call(
        self, *calls: tuple[str, str], text: str = "", finish_reason: str = "tool_calls"
    ) -> None:
        scripted = tuple(ToolCall(name, _as_decoded(arguments)) for name, arguments in calls)
        self.model.script(FakeReply(text, finish_reason, tool_calls=scripted))

    def will_break(self, text: str, *, after: int) -> None:
        pieces = tuple(words(text)[:after])
        dropped = ChatModelError(FailureKind.CONNECTION, "scripted drop mid-stream")
        self.model.script(FakeReply(text, pieces=pieces, fails_after=dropped))

    def last_sent(self) -> list[tuple[str, str]]:
        return [(m.role.value, m.content) for m in self.model.calls[-1]]

    def last_offered(self) -> list[str] | None:
        offered = self.model.tool_offers[-1]
        return [tool.name for tool in offered] if offered else None


def _as_decoded(arguments: str) -> dict[str, Any]:
    """What a fake model would hold for arguments a provider sent as `arguments`: the
    decoded value, or the text itself when it is not JSON; either may be no dict at all."""
    try:
        decoded: object = json.loads(arguments)
    except ValueError:
        decoded = arguments
    # The script breaks the type on purpose, as a provider would; the fake must catch it.
    return cast("dict[str, Any]", decoded)


def _quoting_the_key(failure: Failure) -> Failure:
    """The error with the caller's key in its message, as some providers quote it back."""
    assert isinstance(failure.body, dict)
    error: dict[str, Any] = dict(failure.body["error"])
    error["message"] = f"{error['message']} (sent with key {KEY})"
    return attrs.evolve(failure, body={"error": error})


@attrs.frozen
class AnyLLMDriver:
    model: AnyLLMChatModel
    server: OpenAIStandIn

    def will_reply(
        self,
        text: str,
        *,
        finish_reason: str = "stop",
        usage: tuple[int, int] | None = (12, 7),
    ) -> None:
        reported = None if usage is None else standin.Usage(*usage)
        self.server.script(Reply(text, finish_reason=finish_reason, usage=reported))

    def will_fail(self, kind: FailureKind, *, retry_after: float | None = None) -> None:
        steps: dict[FailureKind, standin.Step] = {
            FailureKind.AUTHENTICATION: _quoting_the_key(Failure.unauthorized()),
            FailureKind.RATE_LIMIT: _quoting_the_key(Failure.rate_limited(retry_after)),
            FailureKind.PROVIDER: _quoting_the_key(Failure.server_error()),
            FailureKind.BAD_REQUEST: _quoting_the_key(
                Failure.bad_request("Invalid value for 'messages'.", param="messages")
            ),
            FailureKind.CONTENT_FILTER: _quoting_the_key(Failure.content_filter()),
            FailureKind.CONTEXT_LENGTH: _quoting_the_key(Failure.context_length()),
            FailureKind.CONNECTION: Drop(),
            FailureKind.TIMEOUT: Delay(TIMEOUT_SECONDS + 1, Reply("too late")),
        }
        self.server.script(steps[kind])

    def will_call(
        self, *calls: tuple[str, str], text: str = "", finish_reason: str = "tool_calls"
    ) -> None:
        replies = [ToolCallReply(name, arguments) for name, arguments in calls]
        self.server.script(Reply(text, finish_reason=finish_reason, tool_calls=replies))

    def will_break(self, text: str, *, after: int) -> None:
        self.server.script(Streamed(Reply(text), cut=StreamBreak(after=after)))

    def last_sent(self) -> list[tuple[str, str]]:
        request = self.server.chat_requests()[-1]
        return [(str(m["role"]), str(m["content"])) for m in request.messages]

    def last_offered(self) -> list[str] | None:
        tools = self.server.chat_requests()[-1].tools
        return None if tools is None else [str(tool["function"]["name"]) for tool in tools]


@pytest.fixture(params=["fake", "anyllm"])
async def driver(request: pytest.FixtureRequest) -> AsyncIterator[Driver]:
    if request.param == "fake":
        yield FakeDriver(FakeChatModel())
        return
    server: OpenAIStandIn = request.getfixturevalue("openai_standin")
    settings = AnyLLMSettings(
        model="openai:gpt-5.4-mini",
        api_key=KEY,
        api_base=server.base_url,
        timeout_seconds=TIMEOUT_SECONDS,
    )
    model = AnyLLMChatModel(settings)
    try:
        yield AnyLLMDriver(model, server)
    finally:
        # While the loop still runs: httpx cannot close its connections after it is gone.
        await model.aclose()


def assert_well_formed(completion: Completion, model: ChatModel) -> None:
    provider, _, _ = model.name.partition(":")
    assert completion.provider == provider
    assert completion.model.strip()
    assert isinstance(completion.finish_reason, str)
    assert completion.finish_reason
    usage = completion.usage
    if usage is not None:
        counts = (usage.prompt_tokens, usage.completion_tokens, usage.total_tokens)
        assert all(isinstance(n, int) and n >= 0 for n in counts), usage
        assert usage.total_tokens >= max(usage.prompt_tokens, usage.completion_tokens), usage


async def test_the_name_is_provider_and_model(driver: Driver) -> None:
    provider, colon, model = driver.model.name.partition(":")
    assert colon, driver.model.name
    assert provider.strip() == provider != ""
    assert model.strip() == model != ""


@pytest.mark.parametrize(
    "text",
    [
        "Hello there!",
        "Grüße aus Zürich \U0001f43b\U0001f36f — ça va? 你好 👩‍🔬",
        "First line.\nSecond line.\n\n- an item\n  - an indented item",
        "  spaces kept at both ends  ",
    ],
    ids=["plain", "unicode", "multi-line", "padded"],
)
async def test_a_reply_comes_back_verbatim(driver: Driver, text: str) -> None:
    driver.will_reply(text)
    completion = await driver.model.complete(MESSAGES)
    assert completion.text == text
    assert completion.finish_reason == "stop"
    assert_well_formed(completion, driver.model)


async def test_reported_usage_is_passed_on(driver: Driver) -> None:
    driver.will_reply("Hi!", usage=(123, 45))
    completion = await driver.model.complete(MESSAGES)
    assert completion.usage == Usage(prompt_tokens=123, completion_tokens=45, total_tokens=168)


async def test_usage_the_provider_did_not_report_is_none(driver: Driver) -> None:
    driver.will_reply("Hi!", usage=None)
    completion = await driver.model.complete(MESSAGES)
    assert completion.usage is None
    assert completion.text == "Hi!"
    assert_well_formed(completion, driver.model)


async def test_a_reply_cut_at_the_length_limit_keeps_its_text_and_reason(driver: Driver) -> None:
    driver.will_reply("I was just saying that", finish_reason="length")
    completion = await driver.model.complete(MESSAGES)
    assert (completion.text, completion.finish_reason) == ("I was just saying that", "length")
    assert_well_formed(completion, driver.model)


async def test_a_reply_with_no_words_is_left_for_the_use_case_to_judge(driver: Driver) -> None:
    # A reasoning model can spend its whole budget thinking and say nothing.
    driver.will_reply("", finish_reason="length")
    completion = await driver.model.complete(MESSAGES)
    assert (completion.text, completion.finish_reason) == ("", "length")


async def test_a_reply_filtered_to_nothing_is_a_content_filter_failure(driver: Driver) -> None:
    driver.will_reply("", finish_reason="content_filter")
    with pytest.raises(ChatModelError) as raised:
        await driver.model.complete(MESSAGES)
    assert raised.value.kind is FailureKind.CONTENT_FILTER


@pytest.mark.parametrize("kind", FAILURE_KINDS, ids=[k.value for k in FAILURE_KINDS])
async def test_each_failure_is_a_classified_chat_model_error(
    driver: Driver, kind: FailureKind
) -> None:
    driver.will_fail(kind)
    with pytest.raises(ChatModelError) as raised:
        await driver.model.complete(MESSAGES)
    error = raised.value
    assert error.kind is kind
    assert isinstance(error.detail, str)
    assert error.detail.strip()
    assert KEY not in error.detail
    assert KEY not in str(error)
    assert error.attempts >= 1
    assert error.retry_after is None or error.retry_after >= 0


async def test_a_rate_limit_passes_on_how_long_to_wait(driver: Driver) -> None:
    driver.will_fail(FailureKind.RATE_LIMIT, retry_after=7)
    with pytest.raises(ChatModelError) as raised:
        await driver.model.complete(MESSAGES)
    assert raised.value.kind is FailureKind.RATE_LIMIT
    assert raised.value.retry_after == 7.0


async def test_one_instance_serves_call_after_call_even_after_a_failure(driver: Driver) -> None:
    driver.will_reply("one")
    driver.will_fail(FailureKind.PROVIDER)
    driver.will_reply("two")
    driver.will_reply("three", finish_reason="length")
    first = await driver.model.complete(MESSAGES)
    with pytest.raises(ChatModelError) as raised:
        await driver.model.complete(MESSAGES)
    second = await driver.model.complete(MESSAGES)
    third = await driver.model.complete(MESSAGES)
    assert raised.value.kind is FailureKind.PROVIDER
    assert [c.text for c in (first, second, third)] == ["one", "two", "three"]
    assert [c.finish_reason for c in (first, second, third)] == ["stop", "stop", "length"]


async def test_messages_of_every_role_are_sent_in_order_and_intact(driver: Driver) -> None:
    messages = [
        ContextMessage(Role.SYSTEM, "You are Lukas.\nBe kind.", 6),
        ContextMessage(Role.USER, "Can you help me plan the field trip? \U0001f43b", 10),
        ContextMessage(Role.ASSISTANT, "Of course! Where to?", 6),
        ContextMessage(Role.USER, "Grüße — the Zürich lab.", 7),
    ]
    driver.will_reply("Lovely.")
    completion = await driver.model.complete(messages)
    assert completion.text == "Lovely."
    assert driver.last_sent() == [(m.role.value, m.content) for m in messages]


# Tool calling. Arguments quote the conversation, so the logs may name a dropped call's tool
# and the reason, never its arguments; SECRET_PLAN stands for what must not be logged.

SECRET_PLAN = "the surprise party is on Friday"
POST_MESSAGE = Tool(
    name="post_message",
    description="Post a message in a channel Lukas is in.",
    parameters={
        "type": "object",
        "properties": {"channel": {"type": "string"}, "text": {"type": "string"}},
        "required": ["channel", "text"],
    },
)
ADD_REACTION = Tool(
    name="add_reaction",
    description="React to the message being answered with an emoji.",
    parameters={"type": "object", "properties": {"emoji": {"type": "string"}}},
)
TOOLS = (POST_MESSAGE, ADD_REACTION)
MOVED = {"channel": "general", "text": "The meeting moved to 3."}
NOT_JSON_OBJECTS = ["not json", "[1,2]", '"general"', "null", "", '{"channel": "gen']


def arguments(value: dict[str, Any]) -> str:
    return json.dumps(value, ensure_ascii=False)


async def test_an_offered_tool_comes_back_called_with_dict_arguments(driver: Driver) -> None:
    driver.will_call(("post_message", arguments(MOVED)))
    completion = await driver.model.complete(MESSAGES, TOOLS)
    assert completion.tool_calls == (ToolCall("post_message", MOVED),)
    assert type(completion.tool_calls[0].arguments) is dict
    assert (completion.text, completion.finish_reason) == ("", "tool_calls")
    assert_well_formed(completion, driver.model)
    assert driver.last_offered() == ["post_message", "add_reaction"]


async def test_text_and_tool_calls_come_back_together_in_order(driver: Driver) -> None:
    nested = {"channel": "random", "text": "Grüße \U0001f43b", "extra": {"n": [1, 2.5, None]}}
    driver.will_call(
        ("add_reaction", arguments({"emoji": "bear"})),
        ("post_message", arguments(nested)),
        text="Sure, I'll tell everyone.",
    )
    completion = await driver.model.complete(MESSAGES, TOOLS)
    assert completion.text == "Sure, I'll tell everyone."
    assert completion.tool_calls == (
        ToolCall("add_reaction", {"emoji": "bear"}),
        ToolCall("post_message", nested),
    )


async def test_a_call_to_a_tool_not_offered_is_dropped_and_logged_without_arguments(
    driver: Driver, caplog: pytest.LogCaptureFixture
) -> None:
    driver.will_call(
        ("delete_channel", arguments({"channel": "general", "why": SECRET_PLAN})),
        ("post_message", arguments(MOVED)),
        text="Done.",
    )
    with caplog.at_level(logging.WARNING):
        completion = await driver.model.complete(MESSAGES, TOOLS)
    assert completion.text == "Done."
    assert completion.tool_calls == (ToolCall("post_message", MOVED),)
    [warning] = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert "delete_channel" in warning.getMessage()
    assert "not offered" in warning.getMessage()
    assert SECRET_PLAN not in caplog.text


@pytest.mark.parametrize("text", ["", "  \n"], ids=["no-text", "blank-text"])
async def test_nothing_left_after_dropping_an_unoffered_call_is_an_empty_reply(
    driver: Driver, text: str
) -> None:
    driver.will_call(("delete_channel", arguments({"channel": "general"})), text=text)
    with pytest.raises(ChatModelError) as raised:
        await driver.model.complete(MESSAGES, TOOLS)
    assert raised.value.kind is FailureKind.EMPTY_REPLY
    assert raised.value.detail.strip()


@pytest.mark.parametrize("raw", NOT_JSON_OBJECTS)
async def test_arguments_that_are_not_a_json_object_are_dropped(
    driver: Driver, raw: str, caplog: pytest.LogCaptureFixture
) -> None:
    driver.will_call(("post_message", raw), ("add_reaction", '{"emoji": "bear"}'), text="Ok!")
    with caplog.at_level(logging.WARNING):
        completion = await driver.model.complete(MESSAGES, TOOLS)
    assert completion.text == "Ok!"
    assert completion.tool_calls == (ToolCall("add_reaction", {"emoji": "bear"}),)
    [warning] = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert "post_message" in warning.getMessage()
    assert "not a JSON object" in warning.getMessage()


@pytest.mark.parametrize("raw", NOT_JSON_OBJECTS)
async def test_a_lone_call_with_unusable_arguments_is_an_empty_reply(
    driver: Driver, raw: str
) -> None:
    driver.will_call(("post_message", raw))
    with pytest.raises(ChatModelError) as raised:
        await driver.model.complete(MESSAGES, TOOLS)
    assert raised.value.kind is FailureKind.EMPTY_REPLY


async def test_without_tools_nothing_is_offered_and_replies_are_as_before(
    driver: Driver,
) -> None:
    driver.will_reply("Hello!")
    driver.will_reply("", finish_reason="length")
    first = await driver.model.complete(MESSAGES)
    assert driver.last_offered() is None
    second = await driver.model.complete(MESSAGES, ())
    assert driver.last_offered() is None
    assert (first.text, first.tool_calls) == ("Hello!", ())
    assert (second.text, second.finish_reason, second.tool_calls) == ("", "length", ())


async def test_tool_calls_when_no_tools_were_offered_are_dropped(driver: Driver) -> None:
    driver.will_call(("post_message", arguments(MOVED)), text="I would if I could.")
    completion = await driver.model.complete(MESSAGES)
    assert (completion.text, completion.tool_calls) == ("I would if I could.", ())


async def test_an_empty_reply_without_tool_calls_is_still_the_use_cases_to_judge(
    driver: Driver,
) -> None:
    driver.will_reply("", finish_reason="stop")
    completion = await driver.model.complete(MESSAGES, TOOLS)
    assert (completion.text, completion.tool_calls) == ("", ())
    assert driver.last_offered() == ["post_message", "add_reaction"]


async def test_a_filtered_reply_with_tool_calls_is_still_a_content_filter_failure(
    driver: Driver,
) -> None:
    driver.will_call(("post_message", arguments(MOVED)), finish_reason="content_filter")
    with pytest.raises(ChatModelError) as raised:
        await driver.model.complete(MESSAGES, TOOLS)
    assert raised.value.kind is FailureKind.CONTENT_FILTER


async def test_each_call_is_offered_its_own_tools(driver: Driver) -> None:
    driver.will_call(("add_reaction", arguments({"emoji": "bear"})))
    driver.will_call(("add_reaction", arguments({"emoji": "bear"})), text="Only words now.")
    first = await driver.model.complete(MESSAGES, TOOLS)
    second = await driver.model.complete(MESSAGES, [POST_MESSAGE])
    assert first.tool_calls == (ToolCall("add_reaction", {"emoji": "bear"}),)
    assert driver.last_offered() == ["post_message"]
    assert (second.text, second.tool_calls) == ("Only words now.", ())


class Heard:
    """What a stream handed on, piece by piece."""

    def __init__(self) -> None:
        self.pieces: list[str] = []

    async def __call__(self, piece: str) -> None:
        self.pieces.append(piece)


@pytest.mark.parametrize(
    "text",
    ["Hello there, little bear!", "Grüße aus Zürich \U0001f43b — ça va?", "One\n\n- two\n- three"],
    ids=["plain", "unicode", "multi-line"],
)
async def test_a_streamed_reply_comes_in_pieces_that_join_into_its_text(
    driver: Driver, text: str
) -> None:
    driver.will_reply(text, usage=(30, 9))
    heard = Heard()
    completion = await driver.model.stream(MESSAGES, on_text=heard)
    assert completion.text == text
    assert "".join(heard.pieces) == text
    assert len(heard.pieces) > 1  # as it was written, not all at the end
    assert all(heard.pieces)  # no empty pieces handed on
    assert completion.finish_reason == "stop"
    assert completion.usage == Usage(prompt_tokens=30, completion_tokens=9, total_tokens=39)
    assert_well_formed(completion, driver.model)


@pytest.mark.parametrize("kind", FAILURE_KINDS, ids=[k.value for k in FAILURE_KINDS])
async def test_a_stream_failing_before_its_first_piece_is_a_classified_error(
    driver: Driver, kind: FailureKind
) -> None:
    driver.will_fail(kind)
    heard = Heard()
    with pytest.raises(ChatModelError) as raised:
        await driver.model.stream(MESSAGES, on_text=heard)
    assert raised.value.kind is kind
    assert KEY not in str(raised.value)
    assert heard.pieces == []


async def test_a_stream_failing_mid_reply_raises_after_the_pieces_it_gave(driver: Driver) -> None:
    driver.will_break("One two three four five six", after=3)
    heard = Heard()
    with pytest.raises(ChatModelError) as raised:
        await driver.model.stream(MESSAGES, on_text=heard)
    assert "".join(heard.pieces) == "One two three"
    assert raised.value.kind in {FailureKind.CONNECTION, FailureKind.PROVIDER}
    driver.will_reply("Back again")  # the same instance streams on after a broken stream
    assert (await driver.model.stream(MESSAGES, on_text=Heard())).text == "Back again"


async def test_a_streamed_reply_brings_its_tool_calls_whole(driver: Driver) -> None:
    nested = {"channel": "random", "text": "Grüße \U0001f43b", "extra": {"n": [1, 2.5, None]}}
    driver.will_call(("post_message", arguments(nested)), text="On it.")
    heard = Heard()
    completion = await driver.model.stream(MESSAGES, TOOLS, on_text=heard)
    assert "".join(heard.pieces) == completion.text == "On it."
    assert completion.tool_calls == (ToolCall("post_message", nested),)
    assert completion.finish_reason == "tool_calls"
