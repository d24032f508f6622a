"""The OpenAI stand-in, checked through the real openai SDK over HTTP."""

from __future__ import annotations

import base64
import json
import time
import zlib
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Literal

import httpx
import openai
import pytest
from openai.types import ImagesResponse
from openai.types.chat import (
    ChatCompletion,
    ChatCompletionMessageFunctionToolCall,
    ChatCompletionMessageParam,
    ChatCompletionToolParam,
)

from standins.openai_server import (
    TINY_PNG,
    Delay,
    Drop,
    Failure,
    Hang,
    ImageB64,
    ImageUrl,
    ImageUsage,
    Malformed,
    OpenAIStandIn,
    Reply,
    ToolCallReply,
    Usage,
    tiny_png,
)

API_KEY = "sk-test-standin"
HELLO: list[ChatCompletionMessageParam] = [
    {"role": "system", "content": "You are Lukas, a bear."},
    {"role": "user", "content": "Hello, bear!"},
]


@pytest.fixture
def standin() -> Iterator[OpenAIStandIn]:
    with OpenAIStandIn() as server:
        yield server


@pytest.fixture
def client(standin: OpenAIStandIn) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(base_url=standin.base_url, api_key=API_KEY, max_retries=0) as sdk:
        yield sdk


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def chat(client: openai.OpenAI, model: str = "gpt-test") -> ChatCompletion:
    return client.chat.completions.create(model=model, messages=HELLO)


def in_background(client: openai.OpenAI) -> tuple[ThreadPoolExecutor, Future[ChatCompletion]]:
    pool = ThreadPoolExecutor(max_workers=1)
    return pool, pool.submit(chat, client)


def test_scripted_reply_comes_back_with_its_usage(
    standin: OpenAIStandIn, client: openai.OpenAI
) -> None:
    standin.script(Reply("Hi, I am Lukas.", usage=Usage(prompt_tokens=30, completion_tokens=4)))

    completion = chat(client)

    assert completion.object == "chat.completion"
    assert completion.model == "gpt-test"
    assert completion.choices[0].message.role == "assistant"
    assert completion.choices[0].message.content == "Hi, I am Lukas."
    assert completion.choices[0].finish_reason == "stop"
    assert completion.usage is not None
    assert (completion.usage.prompt_tokens, completion.usage.completion_tokens) == (30, 4)
    assert completion.usage.total_tokens == 34


def test_reply_without_usage_omits_the_key(standin: OpenAIStandIn, client: openai.OpenAI) -> None:
    standin.script(Reply("No usage here.", usage=None))

    raw = client.chat.completions.with_raw_response.create(model="gpt-test", messages=HELLO)

    assert "usage" not in json.loads(raw.text)
    assert raw.parse().usage is None


def test_reply_can_override_model_and_finish_reason(
    standin: OpenAIStandIn, client: openai.OpenAI
) -> None:
    standin.script(Reply("Cut o", finish_reason="length", model="gpt-other"))

    completion = chat(client)

    assert completion.model == "gpt-other"
    assert completion.choices[0].finish_reason == "length"


def test_steps_are_consumed_in_order_then_default_replies_show_what_they_saw(
    standin: OpenAIStandIn, client: openai.OpenAI
) -> None:
    standin.script(Reply("first"), Reply("second"))

    texts = [chat(client).choices[0].message.content for _ in range(3)]

    assert texts == ["first", "second", "Stand-in reply 3 to: Hello, bear!"]


def test_rate_limited_raises_rate_limit_error_with_retry_after(
    standin: OpenAIStandIn, client: openai.OpenAI
) -> None:
    standin.script(Failure.rate_limited(retry_after=7))

    with pytest.raises(openai.RateLimitError) as caught:
        chat(client)

    assert caught.value.status_code == 429
    assert caught.value.response.headers["retry-after"] == "7"
    assert caught.value.code == "rate_limit_exceeded"


def test_rate_limited_without_retry_after_sends_no_header(
    standin: OpenAIStandIn, client: openai.OpenAI
) -> None:
    standin.script(Failure.rate_limited())

    with pytest.raises(openai.RateLimitError) as caught:
        chat(client)

    assert "retry-after" not in caught.value.response.headers


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_error_raises_internal_server_error(
    standin: OpenAIStandIn, client: openai.OpenAI, status: int
) -> None:
    standin.script(Failure.server_error(status))

    with pytest.raises(openai.InternalServerError) as caught:
        chat(client)

    assert caught.value.status_code == status
    assert caught.value.type == "server_error"


def test_unauthorized_raises_authentication_error(
    standin: OpenAIStandIn, client: openai.OpenAI
) -> None:
    standin.script(Failure.unauthorized())

    with pytest.raises(openai.AuthenticationError) as caught:
        chat(client)

    assert caught.value.status_code == 401
    assert caught.value.body == {
        "message": "Incorrect API key provided.",
        "type": "invalid_request_error",
        "param": None,
        "code": "invalid_api_key",
    }


@pytest.mark.parametrize(
    ("failure", "param", "code", "words"),
    [
        (Failure.bad_request("Bad things.", "tools", "oops"), "tools", "oops", "Bad things."),
        (
            Failure.unsupported_parameter("temperature"),
            "temperature",
            "unsupported_value",
            "Unsupported value: 'temperature'",
        ),
        (Failure.content_filter(), "prompt", "content_filter", "content management policy"),
        (
            Failure.context_length(),
            "messages",
            "context_length_exceeded",
            "maximum context length is",
        ),
    ],
)
def test_bad_requests_raise_bad_request_error_with_param_and_code(
    standin: OpenAIStandIn,
    client: openai.OpenAI,
    *,
    failure: Failure,
    param: str,
    code: str,
    words: str,
) -> None:
    standin.script(failure)

    with pytest.raises(openai.BadRequestError) as caught:
        chat(client)

    body = caught.value.body
    assert isinstance(body, dict)
    assert (body["param"], body["code"], body["type"]) == (param, code, "invalid_request_error")
    assert words in body["message"]
    assert (caught.value.param, caught.value.code) == (param, code)


def test_failure_with_a_plain_message_wraps_it_in_openais_error_shape(
    standin: OpenAIStandIn, client: openai.OpenAI
) -> None:
    standin.script(Failure(503, "Overloaded, try later."), Failure(404))

    with pytest.raises(openai.InternalServerError) as server_error:
        chat(client)
    with pytest.raises(openai.NotFoundError) as not_found:
        chat(client)

    assert server_error.value.message == "Error code: 503 - Overloaded, try later."
    assert server_error.value.type == "server_error"
    assert not_found.value.type == "invalid_request_error"


def test_malformed_json_surfaces_as_the_sdks_raw_decode_error(
    standin: OpenAIStandIn, client: openai.OpenAI
) -> None:
    # The SDK does not wrap this one: a 200 claiming JSON that does not parse escapes as
    # json.JSONDecodeError, not as an openai.APIError.
    standin.script(Malformed())

    with pytest.raises(json.JSONDecodeError):
        chat(client)


def test_malformed_error_status_still_raises_the_status_error(
    standin: OpenAIStandIn, client: openai.OpenAI
) -> None:
    standin.script(Malformed("<html>Bad Gateway</html>", status=502))

    with pytest.raises(openai.InternalServerError) as caught:
        chat(client)

    assert caught.value.body == "<html>Bad Gateway</html>"


def test_delay_answers_after_waiting(standin: OpenAIStandIn, client: openai.OpenAI) -> None:
    standin.script(Delay(0.3, Reply("Sorry I'm late.")))

    started = time.monotonic()
    completion = chat(client)

    assert time.monotonic() - started >= 0.3
    assert completion.choices[0].message.content == "Sorry I'm late."


def test_delay_past_the_client_timeout_raises_api_timeout_error(
    standin: OpenAIStandIn, client: openai.OpenAI
) -> None:
    standin.script(Delay(5, Reply()))

    with pytest.raises(openai.APITimeoutError):
        chat(client.with_options(timeout=0.3))


def test_drop_raises_api_connection_error(standin: OpenAIStandIn, client: openai.OpenAI) -> None:
    standin.script(Drop())

    with pytest.raises(openai.APIConnectionError) as caught:
        chat(client)

    assert not isinstance(caught.value, openai.APITimeoutError)
    # The connection ends cleanly, so the next request is served as usual.
    assert chat(client).choices[0].message.content is not None


def test_hang_is_released_by_stop_quickly(standin: OpenAIStandIn, client: openai.OpenAI) -> None:
    standin.script(Hang())
    pool, pending = in_background(client)
    standin.wait_for_requests(1)
    time.sleep(0.1)
    assert not pending.done()

    started = time.monotonic()
    standin.stop()

    assert time.monotonic() - started < 1.0
    assert isinstance(pending.exception(timeout=5), openai.APIConnectionError)
    pool.shutdown()


def test_hang_is_released_by_reset(standin: OpenAIStandIn, client: openai.OpenAI) -> None:
    standin.script(Hang())
    pool, pending = in_background(client)
    standin.wait_for_requests(1)

    standin.reset()

    assert isinstance(pending.exception(timeout=5), openai.APIConnectionError)
    assert standin.requests == []
    pool.shutdown()


def test_chat_requests_are_recorded_with_messages_and_authorization(
    standin: OpenAIStandIn, client: openai.OpenAI
) -> None:
    chat(client, model="gpt-recorded")

    [recorded] = standin.chat_requests()

    assert (recorded.method, recorded.path) == ("POST", "/v1/chat/completions")
    assert recorded.headers["authorization"] == f"Bearer {API_KEY}"
    assert recorded.body["model"] == "gpt-recorded"
    assert recorded.messages == HELLO
    assert recorded.roles == ["system", "user"]


def test_models_probe_is_answered_and_recorded_but_is_not_a_chat_request(
    standin: OpenAIStandIn, client: openai.OpenAI
) -> None:
    assert list(client.models.list()) == []

    assert [(r.method, r.path) for r in standin.requests] == [("GET", "/v1/models")]
    assert standin.chat_requests() == []


def test_unknown_paths_get_a_json_404(standin: OpenAIStandIn) -> None:
    response = httpx.post(f"{standin.base_url}/embeddings", json={"input": "x"})

    assert response.status_code == 404
    assert "error" in response.json()
    assert standin.requests[-1].body == {"input": "x"}


def test_wait_for_requests_returns_once_enough_have_arrived(
    standin: OpenAIStandIn, client: openai.OpenAI
) -> None:
    standin.script(Delay(0.2, Reply()))
    pool, pending = in_background(client)

    recorded = standin.wait_for_requests(1, timeout=5)

    assert len(recorded) == 1
    pending.result(timeout=5)
    pool.shutdown()


def test_wait_for_requests_times_out(standin: OpenAIStandIn, client: openai.OpenAI) -> None:
    chat(client)

    started = time.monotonic()
    with pytest.raises(TimeoutError, match="saw 1 chat requests, wanted 2"):
        standin.wait_for_requests(2, timeout=0.2)

    assert time.monotonic() - started < 2


def test_ollama_tags_answer_only_once_models_are_served(standin: OpenAIStandIn) -> None:
    tags = f"{standin.root_url}/api/tags"
    assert httpx.get(tags).status_code == 404

    standin.serve_ollama_models("llama3.2:1b", "qwen3:0.6b")
    served = httpx.get(tags)

    assert served.status_code == 200
    assert served.json() == {
        "models": [
            {"name": "llama3.2:1b", "model": "llama3.2:1b"},
            {"name": "qwen3:0.6b", "model": "qwen3:0.6b"},
        ]
    }
    standin.reset()
    assert httpx.get(tags).status_code == 404


def test_reset_clears_script_and_records(standin: OpenAIStandIn, client: openai.OpenAI) -> None:
    standin.script(Reply("scripted"), Reply("also scripted"))
    chat(client)

    standin.reset()

    assert standin.requests == []
    assert chat(client).choices[0].message.content == "Stand-in reply 1 to: Hello, bear!"


def test_two_stand_ins_run_at_once_on_different_ports() -> None:
    with OpenAIStandIn() as first, OpenAIStandIn() as second:
        assert first.base_url != second.base_url
        first.script(Reply("from the first"))
        second.script(Reply("from the second"))
        with (
            openai.OpenAI(base_url=first.base_url, api_key=API_KEY, max_retries=0) as one,
            openai.OpenAI(base_url=second.base_url, api_key=API_KEY, max_retries=0) as two,
        ):
            assert chat(two).choices[0].message.content == "from the second"
            assert chat(one).choices[0].message.content == "from the first"
        assert len(first.chat_requests()) == len(second.chat_requests()) == 1


def test_urls_need_a_started_stand_in() -> None:
    with pytest.raises(RuntimeError, match="not started"):
        _ = OpenAIStandIn().base_url


@pytest.mark.anyio
async def test_async_client_on_the_tests_own_loop(standin: OpenAIStandIn) -> None:
    standin.script(Reply("async hello"), Failure.rate_limited(retry_after=1))
    async with openai.AsyncOpenAI(
        base_url=standin.base_url, api_key=API_KEY, max_retries=0
    ) as client:
        completion = await client.chat.completions.create(model="gpt-test", messages=HELLO)
        with pytest.raises(openai.RateLimitError):
            await client.chat.completions.create(model="gpt-test", messages=HELLO)

    assert completion.choices[0].message.content == "async hello"
    assert [r.roles for r in standin.chat_requests()] == [["system", "user"]] * 2


# Tool calls: offered in the request's `tools`, answered in the reply's message.tool_calls.

POST_MESSAGE: ChatCompletionToolParam = {
    "type": "function",
    "function": {
        "name": "post_message",
        "description": "Post a message in a channel.",
        "parameters": {
            "type": "object",
            "properties": {"channel": {"type": "string"}, "text": {"type": "string"}},
            "required": ["channel", "text"],
        },
    },
}


def chat_with_tools(client: openai.OpenAI) -> ChatCompletion:
    return client.chat.completions.create(
        model="gpt-test", messages=HELLO, tools=[POST_MESSAGE], tool_choice="auto"
    )


def function_calls(completion: ChatCompletion) -> list[ChatCompletionMessageFunctionToolCall]:
    calls = completion.choices[0].message.tool_calls or []
    assert all(isinstance(call, ChatCompletionMessageFunctionToolCall) for call in calls)
    return [call for call in calls if isinstance(call, ChatCompletionMessageFunctionToolCall)]


def test_a_reply_calling_a_tool_has_openais_wire_shape(
    standin: OpenAIStandIn, client: openai.OpenAI
) -> None:
    arguments = '{"channel": "general", "text": "The meeting moved to 3."}'
    standin.script(Reply(text="", tool_calls=[ToolCallReply("post_message", arguments)]))

    raw = client.chat.completions.with_raw_response.create(
        model="gpt-test", messages=HELLO, tools=[POST_MESSAGE]
    )

    [choice] = json.loads(raw.text)["choices"]
    assert choice["finish_reason"] == "tool_calls"
    message = choice["message"]
    assert message["content"] is None
    [call] = message["tool_calls"]
    assert call["id"].startswith("call_")
    assert call == {
        "id": call["id"],
        "type": "function",
        "function": {"name": "post_message", "arguments": arguments},
    }
    [parsed] = function_calls(raw.parse())
    assert (parsed.function.name, json.loads(parsed.function.arguments)) == (
        "post_message",
        {"channel": "general", "text": "The meeting moved to 3."},
    )


def test_a_reply_can_hold_text_and_several_calls_in_order_with_ids_of_their_own(
    standin: OpenAIStandIn, client: openai.OpenAI
) -> None:
    standin.script(
        Reply(
            "On it!",
            tool_calls=(
                ToolCallReply("post_message", '{"channel": "general", "text": "a"}'),
                ToolCallReply("post_message", '{"channel": "random", "text": "b"}'),
                ToolCallReply("post_message", "{}", id="call_fixed"),
            ),
        )
    )

    completion = chat_with_tools(client)

    assert completion.choices[0].message.content == "On it!"
    assert completion.choices[0].finish_reason == "tool_calls"
    calls = function_calls(completion)
    assert [json.loads(call.function.arguments).get("channel") for call in calls] == [
        "general",
        "random",
        None,
    ]
    assert calls[2].id == "call_fixed"
    assert len({call.id for call in calls}) == 3


def test_tool_call_arguments_are_sent_verbatim_even_when_not_json(
    standin: OpenAIStandIn, client: openai.OpenAI
) -> None:
    standin.script(
        Reply(
            "",
            tool_calls=[
                ToolCallReply("post_message", "not json"),
                ToolCallReply("post_message", "[1,2]"),
            ],
        )
    )

    calls = function_calls(chat_with_tools(client))

    assert [call.function.arguments for call in calls] == ["not json", "[1,2]"]


def test_a_finish_reason_given_with_tool_calls_is_kept(
    standin: OpenAIStandIn, client: openai.OpenAI
) -> None:
    # Some OpenAI-compatible servers say "stop" even when the turn calls tools.
    standin.script(Reply("", finish_reason="stop", tool_calls=[ToolCallReply("post_message")]))

    completion = chat_with_tools(client)

    assert completion.choices[0].finish_reason == "stop"
    assert [call.function.arguments for call in function_calls(completion)] == ["{}"]


def test_a_custom_tool_call_has_its_own_shape(
    standin: OpenAIStandIn, client: openai.OpenAI
) -> None:
    standin.script(Reply("", tool_calls=[ToolCallReply("grep", "bear", custom=True)]))

    raw = client.chat.completions.with_raw_response.create(model="gpt-test", messages=HELLO)

    [call] = json.loads(raw.text)["choices"][0]["message"]["tool_calls"]
    assert (call["type"], call["custom"]) == ("custom", {"name": "grep", "input": "bear"})
    assert "function" not in call


def test_a_reply_without_tool_calls_keeps_its_old_shape(
    standin: OpenAIStandIn, client: openai.OpenAI
) -> None:
    standin.script(Reply(""), Reply("Hello!"))

    empty = client.chat.completions.with_raw_response.create(model="gpt-test", messages=HELLO)
    hello = client.chat.completions.with_raw_response.create(model="gpt-test", messages=HELLO)

    for raw, text in ((empty, ""), (hello, "Hello!")):
        [choice] = json.loads(raw.text)["choices"]
        assert choice["message"] == {"role": "assistant", "content": text}
        assert choice["finish_reason"] == "stop"


def test_the_tools_a_request_offered_are_recorded_as_sent(
    standin: OpenAIStandIn, client: openai.OpenAI
) -> None:
    chat_with_tools(client)
    chat(client)

    offered, plain = standin.chat_requests()

    assert offered.tools == [POST_MESSAGE]
    assert offered.body["tool_choice"] == "auto"
    assert plain.tools is None
    assert "tools" not in plain.body


# Images: POST /v1/images/generations with a queue of its own, and URLs served from /files/.

BLUE_PNG = tiny_png((40, 80, 200, 255))


def draw(
    client: openai.OpenAI,
    model: str = "gpt-image-2.5-flare",
    *,
    size: str | openai.Omit = openai.omit,
    quality: Literal["low", "medium", "high"] | openai.Omit = openai.omit,
) -> ImagesResponse:
    return client.images.generate(
        model=model, prompt="A bear with a kite", n=1, size=size, quality=quality
    )


def test_tiny_png_is_a_png_holding_the_pixel_asked_for() -> None:
    assert TINY_PNG.startswith(b"\x89PNG\r\n\x1a\n")
    assert TINY_PNG[12:16] == b"IHDR"
    assert TINY_PNG.endswith(b"IEND\xaeB`\x82")
    idat = TINY_PNG.index(b"IDAT")
    length = int.from_bytes(TINY_PNG[idat - 4 : idat], "big")
    assert zlib.decompress(TINY_PNG[idat + 4 : idat + 4 + length]) == bytes([0, 139, 90, 46, 255])
    assert BLUE_PNG != TINY_PNG


def test_an_empty_image_script_answers_a_gpt_image_b64_picture_with_usage(
    standin: OpenAIStandIn, client: openai.OpenAI
) -> None:
    response = draw(client, size="1536x1024", quality="high")

    assert response.data is not None
    [image] = response.data
    assert image.b64_json is not None
    assert base64.b64decode(image.b64_json) == TINY_PNG
    assert (image.url, image.revised_prompt) == (None, None)
    assert (response.size, response.quality, response.output_format) == ("1536x1024", "high", "png")
    assert response.usage is not None
    assert (response.usage.input_tokens, response.usage.output_tokens) == (20, 272)
    assert response.usage.total_tokens == 292
    assert response.usage.input_tokens_details.text_tokens == 20


def test_scripted_b64_image_keeps_its_bytes_revised_prompt_and_usage(
    standin: OpenAIStandIn, client: openai.OpenAI
) -> None:
    standin.script_images(
        ImageB64(BLUE_PNG, revised_prompt="A brown bear flying a red kite", usage=ImageUsage(5, 9)),
        ImageB64(usage=None),
    )

    first, second = draw(client), client.images.with_raw_response.generate(prompt="x", model="m")

    assert first.data is not None
    assert first.data[0].b64_json == base64.b64encode(BLUE_PNG).decode()
    assert first.data[0].revised_prompt == "A brown bear flying a red kite"
    assert first.usage is not None
    assert first.usage.total_tokens == 14
    assert "usage" not in json.loads(second.text)
    # No quality asked for: the answer reports the one used, as the real API does.
    assert (second.parse().quality, second.parse().size) == ("medium", "1024x1024")


def test_url_image_is_served_from_the_stand_in_as_png(
    standin: OpenAIStandIn, client: openai.OpenAI
) -> None:
    standin.script_images(ImageUrl(BLUE_PNG, revised_prompt="A bear, revised"), ImageUrl())

    first, second = draw(client, model="dall-e-3"), draw(client, model="dall-e-3")

    assert first.data is not None
    assert second.data is not None
    assert (first.data[0].b64_json, first.data[0].revised_prompt) == (None, "A bear, revised")
    first_url, second_url = first.data[0].url, second.data[0].url
    assert first_url is not None
    assert second_url is not None
    assert first_url.startswith(f"{standin.root_url}/files/")
    assert first_url.endswith(".png")
    assert first_url != second_url
    assert first.usage is None
    fetched = httpx.get(first_url)
    assert fetched.status_code == 200
    assert fetched.headers["content-type"] == "image/png"
    assert fetched.content == BLUE_PNG
    assert httpx.get(second_url).content == TINY_PNG
    assert [r.path for r in standin.file_requests()] == [
        first_url.removeprefix(standin.root_url),
        second_url.removeprefix(standin.root_url),
    ]


@pytest.mark.parametrize("status", [403, 404, 500])
def test_url_status_makes_the_served_file_fail(
    standin: OpenAIStandIn, client: openai.OpenAI, status: int
) -> None:
    standin.script_images(ImageUrl(url_status=status))

    response = draw(client, model="dall-e-3")

    assert response.data is not None
    assert response.data[0].url is not None
    assert httpx.get(response.data[0].url).status_code == status


def test_an_unknown_file_is_a_404(standin: OpenAIStandIn) -> None:
    assert httpx.get(f"{standin.root_url}/files/999.png").status_code == 404


@pytest.mark.parametrize("code", ["content_policy_violation", "moderation_blocked"])
def test_content_policy_is_a_400_with_the_code_given(
    standin: OpenAIStandIn, client: openai.OpenAI, code: str
) -> None:
    standin.script_images(Failure.content_policy(code))

    with pytest.raises(openai.BadRequestError) as caught:
        draw(client)

    assert (caught.value.code, caught.value.type, caught.value.param) == (
        code,
        "invalid_request_error",
        None,
    )
    assert "safety system" in caught.value.message


def test_content_policy_can_carry_another_error_type(
    standin: OpenAIStandIn, client: openai.OpenAI
) -> None:
    standin.script_images(
        Failure.content_policy("moderation_blocked", "image_generation_user_error")
    )

    with pytest.raises(openai.BadRequestError) as caught:
        draw(client)

    assert (caught.value.code, caught.value.type) == (
        "moderation_blocked",
        "image_generation_user_error",
    )


def test_image_faults_reuse_the_chat_steps(standin: OpenAIStandIn, client: openai.OpenAI) -> None:
    standin.script_images(
        Failure.rate_limited(retry_after=3),
        Failure.server_error(502),
        Drop(),
        Malformed(),
        Delay(0.2, ImageB64(BLUE_PNG)),
    )

    with pytest.raises(openai.RateLimitError):
        draw(client)
    with pytest.raises(openai.InternalServerError):
        draw(client)
    with pytest.raises(openai.APIConnectionError):
        draw(client)
    with pytest.raises(json.JSONDecodeError):
        draw(client)
    late = draw(client)

    assert late.data is not None
    assert late.data[0].b64_json == base64.b64encode(BLUE_PNG).decode()
    assert len(standin.image_requests()) == 5


def test_chat_and_image_scripts_do_not_consume_each_others_steps(
    standin: OpenAIStandIn, client: openai.OpenAI
) -> None:
    standin.script(Reply("a chat reply"))
    standin.script_images(ImageUrl())

    drawn = draw(client)
    chatted = chat(client)

    assert drawn.data is not None
    assert drawn.data[0].url is not None
    assert chatted.choices[0].message.content == "a chat reply"
    assert len(standin.chat_requests()) == len(standin.image_requests()) == 1


def test_image_requests_are_recorded_with_their_body_and_authorization(
    standin: OpenAIStandIn, client: openai.OpenAI
) -> None:
    draw(client, size="1024x1536", quality="low")

    [recorded] = standin.image_requests()

    assert (recorded.method, recorded.path) == ("POST", "/v1/images/generations")
    assert recorded.headers["authorization"] == f"Bearer {API_KEY}"
    assert recorded.body == {
        "model": "gpt-image-2.5-flare",
        "prompt": "A bear with a kite",
        "n": 1,
        "size": "1024x1536",
        "quality": "low",
    }
    assert standin.chat_requests() == []
    with pytest.raises(TimeoutError):
        standin.wait_for_requests(1, timeout=0.1)  # counts chat requests only


def test_reset_clears_the_image_script_and_the_served_files(
    standin: OpenAIStandIn, client: openai.OpenAI
) -> None:
    standin.script_images(ImageUrl(), ImageUrl(BLUE_PNG))
    served = draw(client, model="dall-e-3")
    assert served.data is not None
    url = served.data[0].url
    assert url is not None

    standin.reset()

    assert httpx.get(url).status_code == 404
    again = draw(client)
    assert again.data is not None
    assert again.data[0].b64_json == base64.b64encode(TINY_PNG).decode()


@pytest.mark.anyio
async def test_async_client_draws_on_the_tests_own_loop(standin: OpenAIStandIn) -> None:
    standin.script_images(ImageB64(BLUE_PNG), Failure.content_policy("moderation_blocked"))
    async with openai.AsyncOpenAI(
        base_url=standin.base_url, api_key=API_KEY, max_retries=0
    ) as client:
        response = await client.images.generate(model="gpt-image-2.5-flare", prompt="A bear")
        with pytest.raises(openai.BadRequestError):
            await client.images.generate(model="gpt-image-2.5-flare", prompt="A bad bear")

    assert response.data is not None
    assert response.data[0].b64_json == base64.b64encode(BLUE_PNG).decode()
    assert [r.body["prompt"] for r in standin.image_requests()] == ["A bear", "A bad bear"]
