"""The usage page's plots: activity, tokens and money per day (the last two by provider),
and check-ins per member, from the statistics `lukas stats` prints."""

from __future__ import annotations

from lukas.application.projections.engagement_stats import EngagementStats
from lukas.application.projections.usage_stats import Stats
from lukas.entrypoints.web.charts import Series, bar_chart

CHART_DAYS = 14


def usage_charts(stats: Stats, engagement: EngagementStats) -> list[str]:
    days = sorted({day for day, _ in stats})[-CHART_DAYS:]
    labels = [day[5:] for day in days]  # MM-DD: the year is on the table below

    def total(field: str, day: str) -> float:
        amounts: list[float] = [getattr(r, field) for (d, _), r in stats.items() if d == day]
        return sum(amounts)

    def per_provider(field: str) -> list[Series]:
        """A series for each provider that has any of `field` in these days."""
        providers = sorted({provider for _, provider in stats if provider != "-"})
        series = [
            Series(p, [getattr(stats[(d, p)], field) if (d, p) in stats else 0 for d in days])
            for p in providers
        ]
        return [one for one in series if any(one.values)]

    members = engagement.members_shown()
    return [
        bar_chart(
            labels,
            [Series(f, [total(f, d) for d in days]) for f in ("messages", "replies", "fallbacks")],
            title="Messages, replies and fallbacks per day",
        ),
        bar_chart(labels, per_provider("tokens"), title="Tokens per day, by provider"),
        bar_chart(labels, per_provider("cost_usd"), title="Money spent per day (US$), by provider"),
        bar_chart(
            [m.name for _, m in members],
            [Series("check-ins delivered", [m.delivered for _, m in members])],
            title="Check-ins per member",
        ),
    ]
