"""Forgetting a person and retention, against in-memory fakes: keys deleted, events kept,
what the process holds let go of, the model never sent forgotten words (ADR 27)."""

from __future__ import annotations

import attrs
import pytest
from fakes.world import World, make_world

from lukas.adapters.memory.checkpoints import InMemoryCheckpoints
from lukas.adapters.sealing.sealed_store import SealedEventStore
from lukas.application.forgetting import CannotForgetError, Forgetting
from lukas.application.handle_message import IncomingMessage
from lukas.application.ports.checkpoints import CheckpointError
from lukas.application.ports.event_store import EventMetadata, NewEvent
from lukas.domain.events import (
    ForgettingRequested,
    KeysExpired,
    MessageReceived,
    PersonForgotten,
    ReplyGenerated,
)
from lukas.domain.forgetting import FORGETTING_STREAM
from lukas.domain.personal_data import is_forgotten

pytestmark = pytest.mark.anyio


def said(
    world: World, author: str, text: str, conversation: str = "slack-dm:D1"
) -> IncomingMessage:
    return attrs.evolve(
        world.message(text, conversation), author_id=author, author_name=f"name-{author}"
    )


async def opened(world: World) -> list[MessageReceived | ReplyGenerated]:
    sealed = world.lukas.store
    return [
        r.event
        for r in await sealed.read_all()
        if isinstance(r.event, MessageReceived | ReplyGenerated)
    ]


async def test_a_forgotten_persons_words_are_gone_and_the_conversation_goes_on() -> None:
    world = make_world(sealed=True)
    world.model.script("I will keep your secret", "Hi Bob", "Hello again")
    await world.handler.handle(said(world, "U1", "my secret is plum"))
    await world.handler.handle(said(world, "U2", "bob was here", "slack-dm:D2"))

    done = await world.lukas.forgetting.forget("U1", requested_by="UADMIN", via="slack")
    assert done.keys_deleted == 1

    events = await opened(world)
    mine = [e for e in events if isinstance(e, MessageReceived) and e.author_id == "U1"]
    assert all(is_forgotten(e.text) and is_forgotten(e.author_name) for e in mine)
    replies = [e for e in events if isinstance(e, ReplyGenerated) and e.person_id == "U1"]
    assert replies
    assert all(is_forgotten(e.text) for e in replies)
    bobs = [e for e in events if isinstance(e, MessageReceived) and e.author_id == "U2"]
    assert [e.text for e in bobs] == ["bob was here"]

    # The same conversation goes on: the model sees only what is new.
    outcome = await world.handler.handle(said(world, "U1", "what did I say?"))
    assert outcome.reply_text == "Hello again"
    sent = world.model.calls[-1]
    assert [m.content for m in sent[1:]] == ["name-U1: what did I say?"]
    assert not any("plum" in m.content or "secret" in m.content for m in sent)

    recorded = [r.event for r in await world.lukas.store.read_stream(FORGETTING_STREAM)]
    assert [type(e) for e in recorded] == [ForgettingRequested, PersonForgotten]


async def test_a_request_asked_in_chat_waits_for_confirmation_within_ten_minutes() -> None:
    world = make_world(sealed=True)
    forgetting = world.lukas.forgetting
    await forgetting.ask("U1", requested_by="U1", via="slack")
    assert await forgetting.waiting_for("U1") == "U1"
    assert await forgetting.waiting_for("U2") is None
    world.clock.advance(11 * 60)
    assert await forgetting.confirm("U1", via="slack") is None

    await forgetting.ask("U1", requested_by="U1", via="slack")
    world.clock.advance(9 * 60)
    done = await forgetting.confirm("U1", via="slack")
    assert done is not None
    assert done.person_id == "U1"
    assert await forgetting.waiting_for("U1") is None  # carried out: nothing waits


async def test_a_request_left_half_done_is_finished_at_the_next_start() -> None:
    world = make_world(sealed=True)
    await world.handler.handle(said(world, "U1", "remember plum"))
    # A process recorded the request and died before deleting anything.
    request = ForgettingRequested(
        person_id="U1", requested_by="U1", via="slack", confirmed=True, confirm_by=None
    )
    new = NewEvent("forget-1", request, EventMetadata(correlation_id="forget-1"))
    await world.lukas.store.append(FORGETTING_STREAM, [new], None)
    finished = await world.lukas.forgetting.finish_unfinished()
    assert [f.person_id for f in finished] == ["U1"]
    assert await world.lukas.forgetting.finish_unfinished() == []
    mine = [e for e in await opened(world) if isinstance(e, MessageReceived)]
    assert all(is_forgotten(e.text) for e in mine)


async def test_retention_drops_old_weeks_for_everyone_and_keeps_recent_ones() -> None:
    world = make_world(sealed=True)
    await world.handler.handle(said(world, "U1", "old words"))
    world.clock.advance(100 * 86_400)
    await world.handler.handle(said(world, "U1", "new words"))

    assert await world.lukas.retention.apply() == 1
    assert await world.lukas.retention.apply() == 0  # nothing more to drop
    texts = [e.text for e in await opened(world) if isinstance(e, MessageReceived)]
    assert is_forgotten(texts[0])
    assert texts[1] == "new words"
    expired = [r.event for r in await world.lukas.store.read_stream(FORGETTING_STREAM)]
    assert [type(e) for e in expired] == [KeysExpired]


async def test_a_log_with_words_from_before_sealing_refuses_to_forget() -> None:
    world = make_world(sealed=True)
    sealed = world.lukas.store
    assert isinstance(sealed, SealedEventStore)
    forgetting = Forgetting(
        store=sealed,
        keys=world.keys,
        checkpoints=world.checkpoints,
        clock=world.clock,
        plain_before=True,
    )
    with pytest.raises(CannotForgetError, match="rewrite the log"):
        await forgetting.forget("U1", requested_by="U1", via="slack")
    assert await sealed.read_stream(FORGETTING_STREAM) == []


async def test_the_same_confirmation_handled_again_finds_what_it_did() -> None:
    world = make_world(sealed=True)
    forgetting = world.lukas.forgetting
    await world.handler.handle(said(world, "U1", "remember plum"))
    await forgetting.ask("U1", requested_by="U1", via="slack")
    first = await forgetting.confirm("U1", via="slack", request_id="yes-1")
    assert first is not None
    # Recovery after a crash handles the confirming message again: the same answer.
    assert await forgetting.confirm("U1", via="slack", request_id="yes-1") == first
    # Another "yes" later finds nothing waiting.
    assert await forgetting.confirm("U1", via="slack", request_id="yes-2") is None
    recorded = [r.event for r in await world.lukas.store.read_stream(FORGETTING_STREAM)]
    assert [type(e) for e in recorded] == [
        ForgettingRequested,
        ForgettingRequested,
        PersonForgotten,
    ]


class ScrubFailsOnce(InMemoryCheckpoints):
    """As when another process holds the SQLite WAL while the checkpoints are scrubbed."""

    def __init__(self) -> None:
        super().__init__()
        self.failed = False

    async def scrub(self) -> None:
        if not self.failed:
            self.failed = True
            raise CheckpointError("checkpoints deleted, but the WAL not emptied: in use")
        await super().scrub()


async def test_a_forgetting_whose_scrub_failed_is_finished_by_confirming_again() -> None:
    world = make_world(sealed=True, checkpoints=ScrubFailsOnce())
    forgetting = world.lukas.forgetting
    await world.handler.handle(said(world, "U1", "remember plum"))
    await forgetting.ask("U1", requested_by="U1", via="slack")
    with pytest.raises(CheckpointError):
        await forgetting.confirm("U1", via="slack", request_id="yes-1")
    # The keys are gone, but nothing says it is done: the person is told to try again.
    recorded = [r.event for r in await world.lukas.store.read_stream(FORGETTING_STREAM)]
    assert not any(isinstance(e, PersonForgotten) for e in recorded)

    again = await forgetting.confirm("U1", via="slack", request_id="yes-2")
    assert again is not None
    assert again.person_id == "U1"
    recorded = [r.event for r in await world.lukas.store.read_stream(FORGETTING_STREAM)]
    assert [type(e) for e in recorded] == [
        ForgettingRequested,
        ForgettingRequested,
        PersonForgotten,
    ]
    assert await forgetting.finish_unfinished() == []
    assert await forgetting.confirm("U1", via="slack", request_id="yes-3") is None
    mine = [e for e in await opened(world) if isinstance(e, MessageReceived)]
    assert all(is_forgotten(e.text) for e in mine)


async def test_a_forgetting_whose_scrub_failed_is_finished_by_the_next_recovery() -> None:
    world = make_world(sealed=True, checkpoints=ScrubFailsOnce())
    forgetting = world.lukas.forgetting
    await world.handler.handle(said(world, "U1", "remember plum"))
    with pytest.raises(CheckpointError):
        await forgetting.forget("U1", requested_by="UADMIN", via="cli")
    finished = await forgetting.finish_unfinished()
    assert [f.person_id for f in finished] == ["U1"]
    assert await forgetting.finish_unfinished() == []
