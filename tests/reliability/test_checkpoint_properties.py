"""A projection resumed from a checkpoint taken anywhere in the log ends in the same state
as a rebuild from position 0, for every projection a process resumes at start."""

from __future__ import annotations

from typing import Any

import anyio
from hypothesis import given, settings
from hypothesis import strategies as st
from reliability.test_projection_properties import Repeat, Say, budgets, play, scripts

from lukas.adapters.memory.checkpoints import InMemoryCheckpoints
from lukas.application.ports.checkpoints import CheckpointSpec, Saved
from lukas.application.ports.event_store import EventStore
from lukas.application.projections.checkpointed import CheckpointedProjection
from lukas.application.projections.conversation_list import (
    CONVERSATION_LIST,
    ConversationListProjection,
)
from lukas.application.projections.engagement_stats import EngagementStatsProjection
from lukas.application.projections.pending_work import PENDING_WORK, PendingWorkProjection
from lukas.application.projections.projection import Both, Projection, rebuild
from lukas.application.projections.statistics import STATISTICS
from lukas.application.projections.usage_stats import UsageStatsProjection

RESUMED: list[tuple[CheckpointSpec[Any], Projection[Any]]] = [
    (PENDING_WORK, PendingWorkProjection()),
    (CONVERSATION_LIST, ConversationListProjection()),
    (STATISTICS, Both(UsageStatsProjection(), EngagementStatsProjection())),
]


async def check_resumed(store: EventStore, cut: int) -> None:
    everything = await store.read_all()
    cut %= len(everything) + 1
    for spec, projection in RESUMED:
        rebuilt, last = await rebuild(store, projection)
        checkpoints = InMemoryCheckpoints()
        # The process that saved folded up to the cut, saved, and folded on into the same
        # state: what it saved must not move with it.
        first = CheckpointedProjection(store, checkpoints, projection, spec, save_every=1)
        prefix, _ = await rebuild(store, projection, until_position=cut)
        await checkpoints.save(spec, Saved(cut, prefix))
        for recorded in everything[cut:]:
            projection.evolve(prefix, recorded)
        resumed, position = await CheckpointedProjection(
            store, checkpoints, projection, spec
        ).current()
        assert (resumed, position) == (rebuilt, last), spec.name
        # Saved by the keeper itself once it has folded everything: the same again.
        state, _ = await first.current()
        assert state == rebuilt, spec.name
        again, _ = await CheckpointedProjection(store, checkpoints, projection, spec).current()
        assert again == rebuilt, spec.name


@settings(max_examples=30, deadline=None)
@given(scripts, budgets, st.integers(0, 1000))
def test_a_projection_resumed_from_any_checkpoint_equals_its_rebuild(
    script: list[Say | Repeat], budget: int, cut: int
) -> None:
    played = anyio.run(play, script, budget)
    anyio.run(check_resumed, played.world.store, cut)
