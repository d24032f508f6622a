"""The feedback buttons: one standing verdict per person and reply, shown with the reply."""

from __future__ import annotations

import pytest
from fakes.chat_channel import FakeChatChannel
from fakes.world import make_world

from lukas.application.feedback import FeedbackBox
from lukas.application.ports.chat_channel import Rateable
from lukas.application.reply_facts import reply_facts
from lukas.domain.events import FeedbackGiven

pytestmark = pytest.mark.anyio

THREAD = "slack-thread:C1:100.1"


async def test_a_click_is_recorded_once_and_a_click_on_the_other_button_changes_it() -> None:
    world = make_world(channel=FakeChatChannel(streams=True))
    world.model.script("Honey, mostly.")
    message = world.message("What do bears eat?", THREAD)
    outcome = await world.handler.handle(message)
    [stream_id] = world.channel.streams
    rateable = world.channel.streams[stream_id].feedback
    assert rateable == Rateable(reply_to=outcome.message_id, model="fake:scripted")

    box = FeedbackBox(world.store)
    assert await box.give(stream_id, rateable, "U2", good=True)
    assert not await box.give(stream_id, rateable, "U2", good=True)  # Slack sent it again
    assert await box.give(stream_id, rateable, "U3", good=True)
    assert await box.give(stream_id, rateable, "U3", good=False)  # changed her mind

    given = [r.event for r in await world.store.read_all() if isinstance(r.event, FeedbackGiven)]
    assert [(g.person_id, g.good) for g in given] == [("U2", True), ("U3", True), ("U3", False)]
    assert {(g.reply_to, g.model) for g in given} == {(outcome.message_id, "fake:scripted")}

    facts = await reply_facts(world.store, message.conversation, outcome.message_id)
    assert facts is not None
    assert (facts.delivered_as, facts.good, facts.bad) == (stream_id, 1, 1)


async def test_a_message_not_yet_answered_has_no_reply_facts() -> None:
    world = make_world()
    message = world.message("Hello?")
    taken = await world.lukas.inbound.record(message)
    assert await reply_facts(world.store, message.conversation, taken.message.message_id) is None
