"""Both stand-ins together, as a streamed reply uses them: tokens from the OpenAI stand-in
relayed into a Slack stream. Their logs share time.monotonic(), so the time from a token
leaving the model to its text reaching Slack can be read off them, as a benchmark would."""

from __future__ import annotations

import openai
import pytest

from standins.openai_server import OpenAIStandIn, Reply, Streamed
from standins.slack_clients import web_client
from standins.slack_server import SlackStandIn, dm_message

pytestmark = pytest.mark.anyio


async def test_relayed_tokens_reach_slack_after_they_left_the_model(
    openai_standin: OpenAIStandIn, slack_standin: SlackStandIn
) -> None:
    openai_standin.script(
        Streamed(Reply("A bear relays every word."), first_delay=0.1, between=0.02)
    )
    asked = dm_message("Relay, please")
    slack = web_client(slack_standin)

    async with openai.AsyncOpenAI(
        base_url=openai_standin.base_url, api_key="sk-test-relay", max_retries=0
    ) as model:
        chunks = await model.chat.completions.create(
            model="gpt-test", messages=[{"role": "user", "content": "hi"}], stream=True
        )
        streamer = await slack.chat_stream(channel="D0ADA", thread_ts=asked["ts"], buffer_size=1)
        async for chunk in chunks:
            if chunk.choices and chunk.choices[0].delta.content:
                await streamer.append(markdown_text=chunk.choices[0].delta.content)
        await streamer.stop()

    (sent,) = openai_standin.streams()
    (shown,) = slack_standin.streams()
    assert shown.text == sent.text == "A bear relays every word."
    assert shown.pieces == tuple(e.content for e in sent.events if e.content)
    delays = [
        seen - left for left, seen in zip(sent.content_times(), shown.piece_times, strict=True)
    ]
    assert all(delay > 0 for delay in delays)
    assert shown.piece_times[0] - sent.request.at >= 0.1  # the first token's own wait
