"""Two processes deciding a DM's session at once agree on the one the index holds."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

import pytest
from fakes.clock import FakeClock

from lukas.adapters.memory.event_store import InMemoryEventStore
from lukas.application.dm_sessions import DmSessions
from lukas.application.ports.event_store import AppendResult, NewEvent
from lukas.domain.conversation_key import ConversationKey
from lukas.domain.dm_sessions import session_stream
from lukas.domain.events import ConversationStarted

pytestmark = pytest.mark.anyio

INDEX = session_stream("D1")


class RacingStore(InMemoryEventStore):
    """Lets a rival decide after this process has read everything, just before it appends."""

    def __init__(self) -> None:
        self.clock = FakeClock()
        super().__init__(self.clock)
        self.rival: Callable[[], Awaitable[ConversationKey]] | None = None
        self.rival_got: ConversationKey | None = None

    async def append(
        self, stream_id: str, events: Sequence[NewEvent], expected_version: int | None
    ) -> AppendResult:
        rival, self.rival = self.rival, None
        if rival is not None:
            self.rival_got = await rival()
        return await super().append(stream_id, events, expected_version)


async def index_of(store: RacingStore) -> list[ConversationKey]:
    return [
        r.event.conversation
        for r in await store.read_stream(INDEX)
        if isinstance(r.event, ConversationStarted)
    ]


async def test_two_processes_starting_a_session_both_get_the_one_recorded() -> None:
    store = RacingStore()
    here = DmSessions(store, store.clock, instance_id="a")
    there = DmSessions(store, store.clock, instance_id="b")
    store.rival = lambda: there.conversation_for("D1", "100.2")
    got = await here.conversation_for("D1", "100.1")
    rivals = ConversationKey.slack_dm("D1:100.2")
    assert got == store.rival_got == rivals
    assert await index_of(store) == [rivals]


async def test_the_same_decision_stored_by_a_twin_is_read_back() -> None:
    # Two workers of one process handle a redelivered message at once: the second append
    # is absorbed as a duplicate, and the answer is read back from the index.
    store = RacingStore()
    here = DmSessions(store, store.clock, instance_id="a")
    twin = DmSessions(store, store.clock, instance_id="a")
    earlier = await here.conversation_for("D1", "100.1")
    store.clock.advance(2 * 86_400)
    store.rival = lambda: twin.conversation_for("D1", "300.1")
    got = await here.conversation_for("D1", "300.1")
    key = ConversationKey.slack_dm("D1:300.1")
    assert got == store.rival_got == key
    assert await index_of(store) == [earlier, key]


async def test_a_check_in_opened_while_the_member_writes_still_goes_last() -> None:
    store = RacingStore()
    lukas = DmSessions(store, store.clock, instance_id="a")
    member = DmSessions(store, store.clock, instance_id="b")
    await member.conversation_for("D1", "100.1")
    store.clock.advance(2 * 86_400)
    store.rival = lambda: member.conversation_for("D1", "300.1")
    check_in = ConversationKey.slack_dm("D1:200.1")
    assert await lukas.start("D1", "200.1") == check_in
    assert await index_of(store) == [
        ConversationKey.slack_dm("D1:100.1"),
        ConversationKey.slack_dm("D1:300.1"),
        check_in,
    ]
    assert await member.conversation_for("D1", "400.1") == check_in
