"""Streamed chat answers from the OpenAI stand-in, read through the real openai SDK and any-llm."""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Iterator

import openai
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openai import Omit, omit
from openai.types.chat import (
    ChatCompletionChunk,
    ChatCompletionMessageParam,
    ChatCompletionStreamOptionsParam,
)

from standins.openai_server import (
    Delay,
    Failure,
    Hang,
    OpenAIStandIn,
    Reply,
    StreamBreak,
    Streamed,
    ToolCallReply,
    Usage,
    words,
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


def stream(client: openai.OpenAI, *, usage: bool = False) -> list[ChatCompletionChunk]:
    options: ChatCompletionStreamOptionsParam | Omit = {"include_usage": True} if usage else omit
    with client.chat.completions.create(
        model="gpt-test", messages=HELLO, stream=True, stream_options=options
    ) as chunks:
        return list(chunks)


def text_of(chunks: list[ChatCompletionChunk]) -> str:
    return "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)


# ---- the shape of a stream


def test_a_reply_streams_one_word_per_chunk_after_a_role_chunk(
    standin: OpenAIStandIn, client: openai.OpenAI
) -> None:
    standin.script(Reply("Hi there, I am Lukas."))

    chunks = stream(client)

    assert chunks[0].choices[0].delta.role == "assistant"
    assert chunks[0].choices[0].delta.content == ""
    contents = [c.choices[0].delta.content for c in chunks[1:-1]]
    assert contents == ["Hi", " there,", " I", " am", " Lukas."]
    assert [c.choices[0].finish_reason for c in chunks] == [None] * 6 + ["stop"]
    assert chunks[-1].choices[0].delta.content is None
    assert {c.object for c in chunks} == {"chat.completion.chunk"}
    assert len({c.id for c in chunks}) == 1
    assert {c.model for c in chunks} == {"gpt-test"}
    assert all(c.usage is None for c in chunks)


def test_without_include_usage_no_chunk_has_a_usage_key_and_done_ends_the_stream(
    standin: OpenAIStandIn, client: openai.OpenAI
) -> None:
    standin.script(Reply("Two words"))

    stream(client)

    (log,) = standin.streams()
    assert log.done
    assert log.events[-1].data == "[DONE]"
    chunks = [event.chunk for event in log.events[:-1]]
    assert all(chunk is not None and "usage" not in chunk for chunk in chunks)
    assert log.text == "Two words"


def test_include_usage_adds_a_last_chunk_with_empty_choices_and_the_usage(
    standin: OpenAIStandIn, client: openai.OpenAI
) -> None:
    standin.script(Reply("Counted.", usage=Usage(prompt_tokens=30, completion_tokens=4)))

    chunks = stream(client, usage=True)

    last = chunks[-1]
    assert last.choices == []
    assert last.usage is not None
    assert (last.usage.prompt_tokens, last.usage.completion_tokens) == (30, 4)
    assert last.usage.total_tokens == 34
    assert chunks[-2].choices[0].finish_reason == "stop"
    events = standin.streams()[0].events
    # As OpenAI does, every other chunk then says "usage": null.
    assert all(event.chunk["usage"] is None for event in events[:-2] if event.chunk)


def test_a_reply_without_usage_sends_no_usage_chunk_even_when_asked(
    standin: OpenAIStandIn, client: openai.OpenAI
) -> None:
    standin.script(Reply("No usage.", usage=None))

    chunks = stream(client, usage=True)

    assert chunks[-1].choices[0].finish_reason == "stop"


def test_given_pieces_are_sent_as_they_are_with_the_finish_reason_asked_for(
    standin: OpenAIStandIn, client: openai.OpenAI
) -> None:
    reply = Reply("ignored", finish_reason="length", model="gpt-other")
    standin.script(Streamed(reply, pieces=["Hel", "lo ", "", "bear"]))

    chunks = stream(client)

    assert [c.choices[0].delta.content for c in chunks[1:-1]] == ["Hel", "lo ", "", "bear"]
    assert chunks[-1].choices[0].finish_reason == "length"
    assert chunks[0].model == "gpt-other"


def test_an_empty_reply_streams_only_the_role_and_the_finish(
    standin: OpenAIStandIn, client: openai.OpenAI
) -> None:
    standin.script(Reply(""))

    chunks = stream(client)

    assert len(chunks) == 2
    assert text_of(chunks) == ""


def test_the_default_reply_streams_too(standin: OpenAIStandIn, client: openai.OpenAI) -> None:
    assert text_of(stream(client)) == "Stand-in reply 1 to: Hello, bear!"


def test_the_request_keeps_stream_and_stream_options(
    standin: OpenAIStandIn, client: openai.OpenAI
) -> None:
    stream(client, usage=True)
    client.chat.completions.create(model="gpt-test", messages=HELLO)

    streamed, plain = standin.chat_requests()
    assert streamed.stream
    assert streamed.body["stream"] is True
    assert streamed.stream_options == {"include_usage": True}
    assert not plain.stream
    assert plain.stream_options is None
    assert streamed.at < plain.at


def test_a_streamed_step_answers_a_plain_request_with_one_completion(
    standin: OpenAIStandIn, client: openai.OpenAI
) -> None:
    standin.script(Streamed(Reply("Whole."), first_delay=0.2))

    completion = client.chat.completions.create(model="gpt-test", messages=HELLO)

    assert completion.choices[0].message.content == "Whole."
    assert standin.streams() == []


# ---- pacing, and when each chunk went out


def test_first_delay_and_between_pace_the_chunks_and_their_times_are_logged(
    standin: OpenAIStandIn, client: openai.OpenAI
) -> None:
    standin.script(Streamed(Reply("one two three four"), first_delay=0.3, between=0.05))
    seen: list[float] = []

    started = time.monotonic()
    with client.chat.completions.create(model="gpt-test", messages=HELLO, stream=True) as chunks:
        answered = time.monotonic()  # the HTTP 200 comes at once, before any chunk
        for chunk in chunks:
            if chunk.choices and chunk.choices[0].delta.content:
                seen.append(time.monotonic())

    assert answered - started < 0.25
    assert seen[0] - started >= 0.3
    gaps = [later - earlier for earlier, later in itertools.pairwise(seen)]
    assert len(gaps) == 3
    assert all(gap >= 0.04 for gap in gaps)
    (log,) = standin.streams()
    sent = log.content_times()
    assert len(sent) == 4
    assert sent[0] - log.request.at >= 0.3
    assert all(b - a >= 0.05 for a, b in itertools.pairwise(sent))
    # The role chunk goes out with the first content, not before the delay.
    assert log.events[0].at - log.request.at >= 0.3


def test_wait_for_streams_returns_once_they_have_ended(
    standin: OpenAIStandIn, client: openai.OpenAI
) -> None:
    standin.script(Streamed(Reply("slow words here"), between=0.1))
    worker = threading.Thread(target=stream, args=(client,))
    worker.start()

    logs = standin.wait_for_streams(1)

    worker.join()
    assert logs[0].done
    assert logs[0].text == "slow words here"
    with pytest.raises(TimeoutError, match="saw 1 streams end, wanted 2"):
        standin.wait_for_streams(2, timeout=0.1)


def test_reset_lets_go_of_a_stream_waiting_between_chunks(
    standin: OpenAIStandIn, client: openai.OpenAI
) -> None:
    standin.script(Streamed(Reply("never finished"), between=30))
    errors: list[BaseException] = []

    def read() -> None:
        try:
            stream(client)
        except openai.APIConnectionError as error:
            errors.append(error)

    worker = threading.Thread(target=read)
    worker.start()
    standin.wait_for_requests(1)
    started = time.monotonic()
    standin.reset()
    worker.join(timeout=5)

    assert time.monotonic() - started < 2
    assert len(errors) == 1


# ---- failures


def test_an_abrupt_break_after_two_pieces_raises_a_connection_error(
    standin: OpenAIStandIn, client: openai.OpenAI
) -> None:
    standin.script(Streamed(Reply("one two three four"), cut=StreamBreak(after=2)))
    received: list[str] = []

    def read() -> None:
        with client.chat.completions.create(
            model="gpt-test", messages=HELLO, stream=True
        ) as chunks:
            received.extend(chunk.choices[0].delta.content or "" for chunk in chunks)

    with pytest.raises(openai.APIConnectionError):
        read()

    assert "".join(received) == "one two"
    (log,) = standin.streams()
    assert not log.done
    assert log.text == "one two"


def test_an_error_event_mid_stream_raises_api_error_with_its_message(
    standin: OpenAIStandIn, client: openai.OpenAI
) -> None:
    error = Failure.server_error()
    standin.script(Streamed(Reply("one two"), cut=StreamBreak(1, error=error, abrupt=False)))

    with pytest.raises(openai.APIError) as raised:
        stream(client)

    assert not isinstance(raised.value, openai.APIConnectionError)
    assert raised.value.message.startswith("The server had an error")
    assert raised.value.body == error.payload()["error"]
    last = standin.streams()[0].events[-1]
    assert json.loads(last.data) == error.payload()


def test_an_error_event_then_a_dropped_connection_still_raises_the_api_error(
    standin: OpenAIStandIn, client: openai.OpenAI
) -> None:
    cut = StreamBreak(1, error=Failure(500, "overloaded"))
    standin.script(Streamed(Reply("one two"), cut=cut))

    with pytest.raises(openai.APIError, match="overloaded"):
        stream(client)


def test_a_break_after_nothing_sends_no_chunk_after_the_200(
    standin: OpenAIStandIn, client: openai.OpenAI
) -> None:
    standin.script(Streamed(Reply("never"), cut=StreamBreak(after=0)))

    with pytest.raises(openai.APIConnectionError):
        stream(client)

    assert standin.streams()[0].events == ()


def test_a_break_past_the_last_piece_drops_the_finish_chunk(
    standin: OpenAIStandIn, client: openai.OpenAI
) -> None:
    standin.script(Streamed(Reply("all here"), cut=StreamBreak(after=99, abrupt=False)))

    chunks = stream(client)  # a clean end without [DONE] is no error to the SDK

    assert text_of(chunks) == "all here"
    assert all(c.choices[0].finish_reason is None for c in chunks)
    assert not standin.streams()[0].done


def test_failure_steps_answer_a_streaming_request_before_any_chunk(
    standin: OpenAIStandIn, client: openai.OpenAI
) -> None:
    standin.script(Failure.rate_limited(retry_after=2), Hang())

    with pytest.raises(openai.RateLimitError):
        stream(client)
    short = client.with_options(timeout=0.3)
    with pytest.raises(openai.APITimeoutError):
        stream(short)

    assert standin.streams() == []


# ---- tool calls


def test_tool_calls_stream_as_a_header_then_argument_fragments(
    standin: OpenAIStandIn, client: openai.OpenAI
) -> None:
    arguments = json.dumps({"channel": "general", "text": "The meeting moved to 3."})
    calls = [
        ToolCallReply("post_message", arguments, id="call_1"),
        ToolCallReply("add_reaction", '{"emoji":"bear"}', id="call_2"),
    ]
    standin.script(Streamed(Reply("", tool_calls=calls), argument_fragment=10))

    chunks = stream(client)

    first = chunks[0].choices[0].delta
    assert first.role == "assistant"
    assert first.content is None
    deltas = [tc for c in chunks if c.choices for tc in c.choices[0].delta.tool_calls or []]
    headers = [d for d in deltas if d.id is not None]
    assert [(h.index, h.id, h.type) for h in headers] == [
        (0, "call_1", "function"),
        (1, "call_2", "function"),
    ]
    assert [h.function.name for h in headers if h.function] == ["post_message", "add_reaction"]
    joined = ["", ""]
    for delta in deltas:
        assert delta.function is not None
        joined[delta.index] += delta.function.arguments or ""
        if delta.id is None:
            assert delta.function.name is None
            assert 0 < len(delta.function.arguments or "") <= 10
    assert joined == [arguments, '{"emoji":"bear"}']
    assert chunks[-1].choices[0].finish_reason == "tool_calls"


def test_text_before_tool_calls_streams_first(
    standin: OpenAIStandIn, client: openai.OpenAI
) -> None:
    reply = Reply("Posting now.", tool_calls=[ToolCallReply("post_message", "{}")])
    standin.script(reply)

    chunks = stream(client)

    assert chunks[0].choices[0].delta.role == "assistant"
    assert text_of(chunks) == "Posting now."
    kinds = ["text" if c.choices[0].delta.content else "tool" for c in chunks[1:-1]]
    assert kinds == ["text", "text", "tool", "tool"]
    call = chunks[3].choices[0].delta.tool_calls
    assert call is not None
    assert (call[0].id or "").startswith("call_")


def test_a_break_counts_tool_call_deltas(standin: OpenAIStandIn, client: openai.OpenAI) -> None:
    reply = Reply("", tool_calls=[ToolCallReply("post_message", '{"a": 1}')])
    standin.script(Streamed(reply, argument_fragment=2, cut=StreamBreak(after=2)))

    with pytest.raises(openai.APIConnectionError):
        stream(client)

    events = standin.streams()[0].events
    assert len(events) == 2  # the header (with the role) and one fragment


def test_custom_tool_calls_and_empty_fragments_cannot_be_streamed() -> None:
    with pytest.raises(ValueError, match="function tools"):
        Streamed(Reply("", tool_calls=[ToolCallReply("grammar", "x", custom=True)]))
    with pytest.raises(ValueError, match="argument_fragment"):
        Streamed(Reply(), argument_fragment=0)


# ---- the async client and any-llm


@pytest.mark.anyio
async def test_the_async_client_streams_on_the_tests_own_loop(standin: OpenAIStandIn) -> None:
    standin.script(Streamed(Reply("async bear words"), between=0.01))
    async with openai.AsyncOpenAI(base_url=standin.base_url, api_key=API_KEY, max_retries=0) as sdk:
        chunks = await sdk.chat.completions.create(model="gpt-test", messages=HELLO, stream=True)
        pieces = [c.choices[0].delta.content async for c in chunks if c.choices]

    assert "".join(p or "" for p in pieces) == "async bear words"
    (log,) = await standin.wait_for_streams_async(1)
    assert log.done
    with pytest.raises(TimeoutError, match="saw 1 streams end, wanted 2"):
        await standin.wait_for_streams_async(2, timeout=0.05)


@pytest.mark.anyio
async def test_any_llm_reads_the_stream_with_its_usage(standin: OpenAIStandIn) -> None:
    from any_llm import AnyLLM

    standin.script(Reply("Streamed through any-llm.", usage=Usage(9, 5)))
    llm = AnyLLM.create("openai", api_key=API_KEY, api_base=standin.base_url, max_retries=0)
    try:
        chunks = await llm.acompletion(
            model="gpt-test",
            messages=[{"role": "user", "content": "Hello"}],
            stream=True,
            stream_options={"include_usage": True},
        )
        received = [chunk async for chunk in chunks]
    finally:
        await llm.client.close()  # type: ignore[attr-defined]

    text = "".join(c.choices[0].delta.content or "" for c in received if c.choices)
    assert text == "Streamed through any-llm."
    usage = received[-1].usage
    assert usage is not None
    assert usage.total_tokens == 14
    assert standin.chat_requests()[0].stream_options == {"include_usage": True}


def test_any_text_and_any_pieces_reach_the_sdk_intact() -> None:
    # One server for every example: hypothesis reruns the inner test, not the fixtures.
    with (
        OpenAIStandIn() as server,
        openai.OpenAI(base_url=server.base_url, api_key=API_KEY, max_retries=0) as sdk,
    ):

        @settings(max_examples=40, deadline=None)
        @given(st.lists(st.text(), max_size=6))
        def check(pieces: list[str]) -> None:
            server.script(Streamed(Reply("".join(pieces)), pieces=pieces))
            chunks = stream(sdk)
            assert [c.choices[0].delta.content for c in chunks[1:-1]] == pieces

        check()


def test_a_delay_step_can_hold_a_streamed_answer(
    standin: OpenAIStandIn, client: openai.OpenAI
) -> None:
    standin.script(Delay(0.2, Streamed(Reply("late stream"))))

    started = time.monotonic()
    chunks = stream(client)

    assert time.monotonic() - started >= 0.2
    assert text_of(chunks) == "late stream"


# ---- words()


def test_words_keep_the_spaces_with_the_word_after_them() -> None:
    assert words("Hi there,  bear ") == ("Hi", " there,", "  bear", " ")
    assert words(" lead") == (" lead",)
    assert words("") == ()


@given(st.text())
def test_words_join_back_to_the_text(text: str) -> None:
    pieces = words(text)
    assert "".join(pieces) == text
    assert all(piece for piece in pieces)
