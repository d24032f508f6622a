"""Usage and engagement statistics, folded together: `lukas stats` shows both, and on a long
log one pass (and one checkpoint) serves the two tables."""

from __future__ import annotations

from lukas.application.ports.checkpoints import Checkpoints, CheckpointSpec
from lukas.application.ports.event_store import EventStore
from lukas.application.projections.checkpointed import CheckpointedProjection
from lukas.application.projections.engagement_stats import (
    EngagementStats,
    EngagementStatsProjection,
)
from lukas.application.projections.projection import Both
from lukas.application.projections.usage_stats import Stats, UsageStatsProjection

Statistics = tuple[Stats, EngagementStats]

# Version 2: the feedback buttons' verdicts.
STATISTICS = CheckpointSpec[Statistics]("statistics", 2, Statistics)


def statistics(store: EventStore, checkpoints: Checkpoints) -> CheckpointedProjection[Statistics]:
    return CheckpointedProjection(
        store, checkpoints, Both(UsageStatsProjection(), EngagementStatsProjection()), STATISTICS
    )
