"""Time to first text: how soon after the model's first token a reply shows in Slack.

The real `lukas slack`, in a process of its own, answers mentions in a channel against the
tests' stand-ins, which run in this process: an OpenAI stand-in that streams each answer's
first token after 300 ms and then a word every 50 ms, and the stand-in Slack. Both log what
they send and receive with time.monotonic(), one clock for every process on Linux, so the
delay from the model's first content chunk leaving to the first text reaching Slack (the
first chat.appendStream; chat.startStream opens the message empty, since its opening is
recorded before any text is sent) is read off the two logs. Each mention is answered before
the next is sent, so the figure is the path of one reply, not a queue.

Baseline: a bare relay in this process against the same stand-ins: the openai SDK's stream
into AsyncWebClient's chat.startStream and chat.appendStream at the first token, with no
log, no context and no pacing. The figures: Lukas's median delay (the issue's target, at
most 150 ms) and that median over the relay's.
"""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

import openai
from drivers.lukas_slack import BOT_TOKEN, MODEL_KEY, running_bot, wait_for_answers
from slack_sdk.web.async_client import AsyncWebClient
from standins.openai_server import OpenAIStandIn, Reply
from standins.openai_stream import Streamed, StreamLog
from standins.slack_server import SlackStandIn
from standins.slack_socket import TEAM_ID, app_mention
from standins.slack_streams import StreamedMessage

from bench.common import Options, median, percentile, progress
from bench.report import Figure, Target

NAME = "time to first text"
FIRST_TOKEN = 0.3
BETWEEN = 0.05
ANSWER = (
    "Honey tastes best when it is shared with friends on a quiet afternoon, slowly, one small"
    " spoonful at a time, and never right before a nap."
)


def run(options: Options) -> list[Figure]:
    mentions = 3 if options.quick else 15
    with (
        OpenAIStandIn() as model,
        SlackStandIn() as slack,
        tempfile.TemporaryDirectory(prefix="lukas-bench-first-text-", dir=options.workdir) as d,
    ):
        progress(f"lukas slack answering {mentions} mentions, one after another")
        lukas = _through_lukas(model, slack, Path(d) / "lukas.db", mentions)
        model.reset()
        slack.reset()
        progress(f"a bare relay, {mentions} times")
        relay = asyncio.run(_through_a_relay(model, slack, mentions))
    lukas_median, relay_median = median(lukas), median(relay)
    summary = (
        f"median {lukas_median * 1000:.0f} ms, p90 {percentile(lukas, 90) * 1000:.0f} ms;"
        f" bare relay {relay_median * 1000:.0f} ms"
    )
    raw = {
        "mentions": mentions,
        "lukas median ms": lukas_median * 1000,
        "lukas p90 ms": percentile(lukas, 90) * 1000,
        "lukas max ms": max(lukas) * 1000,
        "relay median ms": relay_median * 1000,
    }
    return [
        Figure(
            benchmark=NAME,
            measure="first token to first text in Slack, median",
            value=lukas_median * 1000,
            unit="ms",
            target=Target(at_most=150),
            summary=summary,
            raw=raw,
        ),
        Figure(
            benchmark=NAME,
            measure="that median / a bare relay's",
            value=lukas_median / relay_median,
            unit="x",
            target=Target(),
            summary=summary,
            raw=raw,
        ),
    ]


def _through_lukas(
    model: OpenAIStandIn, slack: SlackStandIn, db: Path, mentions: int
) -> list[float]:
    with running_bot(slack, model, db):
        for n in range(mentions):
            model.script(Streamed(Reply(ANSWER), first_delay=FIRST_TOKEN, between=BETWEEN))
            slack.push_event(app_mention(f"<@U0LUKAS> honey? ({n})", ts=f"1700002000.{n:06d}"))
            wait_for_answers(slack, n + 1, timeout=30)
    return _delays(model.streams(), slack.streams())


async def _through_a_relay(model: OpenAIStandIn, slack: SlackStandIn, times: int) -> list[float]:
    web = AsyncWebClient(token=BOT_TOKEN, base_url=slack.api_url)
    async with openai.AsyncOpenAI(
        base_url=model.base_url, api_key=MODEL_KEY, max_retries=0
    ) as client:
        for n in range(times):
            model.script(Streamed(Reply(ANSWER), first_delay=FIRST_TOKEN, between=BETWEEN))
            chunks = await client.chat.completions.create(
                model="gpt-bench", messages=[{"role": "user", "content": "honey?"}], stream=True
            )
            ts: str | None = None
            async for chunk in chunks:
                text = chunk.choices[0].delta.content if chunk.choices else None
                if not text:
                    continue
                if ts is None:
                    opened = await web.chat_startStream(
                        channel="C0GEN",
                        thread_ts=f"1700003000.{n:06d}",
                        recipient_user_id="U0ADA",
                        recipient_team_id=TEAM_ID,
                    )
                    ts = str(opened["ts"])
                await web.chat_appendStream(channel="C0GEN", ts=ts, markdown_text=text)
            if ts is not None:
                await web.chat_stopStream(channel="C0GEN", ts=ts)
    return _delays(model.streams(), slack.streams())


def _delays(sent: list[StreamLog], shown: list[StreamedMessage]) -> list[float]:
    if len(sent) != len(shown):
        raise RuntimeError(f"{len(sent)} answers streamed by the model, {len(shown)} in Slack")
    return [
        message.piece_times[0] - log.content_times()[0]
        for log, message in zip(sent, shown, strict=True)
    ]
