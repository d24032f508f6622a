"""Bar charts drawn on the server as SVG: no script, no library, nothing to build. Every
label is escaped here, so the markup can go on a page as it is."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

import attrs

_WIDTH, _HEIGHT = 640, 220
_LEFT, _RIGHT, _TOP, _BOTTOM = 56, 12, 12, 48
# Colours that stay apart for the common kinds of colour blindness (Okabe and Ito).
_COLOURS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442")


@attrs.frozen
class Series:
    name: str
    values: Sequence[float]


def bar_chart(labels: Sequence[str], series: Sequence[Series], *, title: str) -> str:
    """Grouped bars, one group per label, one bar per series, with a legend."""
    if not labels or not series:
        return f'<p class="empty">{escape(title)}: nothing yet.</p>'
    top = max((v for s in series for v in s.values), default=0.0) or 1.0
    plot_w = _WIDTH - _LEFT - _RIGHT
    plot_h = _HEIGHT - _TOP - _BOTTOM
    group_w = plot_w / len(labels)
    bar_w = max(group_w * 0.8 / len(series), 1.0)
    parts = [
        f"<figure><figcaption>{escape(title)}</figcaption>",
        f'<svg class="chart" viewBox="0 0 {_WIDTH} {_HEIGHT + 20 * len(series)}"'
        f' role="img" aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
    ]
    for tick in (0.0, 0.5, 1.0):
        y = _TOP + plot_h * (1 - tick)
        parts.append(
            f'<line x1="{_LEFT}" x2="{_WIDTH - _RIGHT}" y1="{y:.1f}" y2="{y:.1f}"'
            ' class="grid"/>'
            f'<text x="{_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{_number(top * tick)}</text>'
        )
    for g, label in enumerate(labels):
        x0 = _LEFT + g * group_w + group_w * 0.1
        for s, one in enumerate(series):
            value = one.values[g]
            h = plot_h * value / top
            x = x0 + s * bar_w
            parts.append(
                f'<rect x="{x:.1f}" y="{_TOP + plot_h - h:.1f}" width="{bar_w:.1f}"'
                f' height="{h:.1f}" fill="{_COLOURS[s % len(_COLOURS)]}">'
                f"<title>{escape(one.name)}, {escape(label)}: {_number(value)}</title></rect>"
            )
        parts.append(
            f'<text x="{x0 + group_w * 0.4:.1f}" y="{_HEIGHT - _BOTTOM + 16}"'
            f' text-anchor="middle">{escape(label)}</text>'
        )
    for s, one in enumerate(series):
        y = _HEIGHT + 20 * s - 8
        parts.append(
            f'<rect x="{_LEFT}" y="{y - 10}" width="12" height="12"'
            f' fill="{_COLOURS[s % len(_COLOURS)]}"/>'
            f'<text x="{_LEFT + 18}" y="{y}">{escape(one.name)}</text>'
        )
    parts.append("</svg></figure>")
    return "".join(parts)


def _number(value: float) -> str:
    if value >= 100 or value == int(value):
        return f"{value:,.0f}"
    return f"{value:.3g}"
