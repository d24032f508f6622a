"""Socket Mode through the real slack-sdk client against the stand-in Slack: each envelope
is handed over in arrival order, and acknowledged only once it was taken."""

from __future__ import annotations

import anyio
import pytest
from drivers.lukas_slack import APP_TOKEN, BOT_TOKEN
from slack_sdk.web.async_client import AsyncWebClient
from standins.slack_server import SlackStandIn, dm_message

from lukas.adapters.slack.socket import Envelope, socket_mode_connection

pytestmark = pytest.mark.anyio


def web(slack: SlackStandIn) -> AsyncWebClient:
    return AsyncWebClient(token=BOT_TOKEN, base_url=slack.api_url)


async def test_envelopes_are_taken_in_order_and_acknowledged_only_after(
    slack_standin: SlackStandIn,
) -> None:
    taken: list[str] = []
    first_taken, release = anyio.Event(), anyio.Event()

    async def accept(envelope: Envelope) -> bool:
        taken.append(envelope.envelope_id)
        first_taken.set()
        await release.wait()  # recording takes its time: no acknowledgement meanwhile
        return True

    async with socket_mode_connection(APP_TOKEN, web(slack_standin), accept):
        await slack_standin.wait_for_connections_async(1, timeout=10)
        pushed = [slack_standin.push_event(dm_message(f"message {n}")) for n in range(5)]
        with anyio.fail_after(10):
            await first_taken.wait()
        await anyio.sleep(0.3)  # time for a wrong acknowledgement or a second take to show
        assert taken == pushed[:1]  # one at a time: the next waits for this one
        assert slack_standin.acks() == []
        release.set()
        for envelope in pushed:
            await slack_standin.wait_for_ack_async(envelope, timeout=10)
    assert taken == pushed
    assert list(slack_standin.acks()) == pushed


async def test_an_envelope_that_could_not_be_taken_is_not_acknowledged(
    slack_standin: SlackStandIn,
) -> None:
    async def accept(envelope: Envelope) -> bool:
        text = str(envelope.payload["event"]["text"])
        if text == "the log is full":
            raise OSError("disk full")
        return text != "not now"

    async with socket_mode_connection(APP_TOKEN, web(slack_standin), accept):
        await slack_standin.wait_for_connections_async(1, timeout=10)
        failing = slack_standin.push_event(dm_message("the log is full"))
        refused = slack_standin.push_event(dm_message("not now"))
        fine = slack_standin.push_event(dm_message("all good"))
        await slack_standin.wait_for_ack_async(fine, timeout=10)
    # Taken in order: the two before were settled (and not acknowledged) before the third.
    assert slack_standin.acks() == [fine]
    assert failing not in slack_standin.acks()
    assert refused not in slack_standin.acks()
