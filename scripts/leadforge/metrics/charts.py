"""Inline SVG bar charts, drawn on the server: no script, no CDN, readable by screen readers.

Each chart is an ``<svg role="img">`` with a ``<title>`` and a ``<desc>`` that
states every value, so the chart's content is available as text too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

# Colours with at least 4.5:1 contrast against white (WCAG AA for text and graphics).
PALETTE = ("#0b5cad", "#a4266b", "#1a6b32", "#8a4b00")
TEXT = "#1f2328"
GRID = "#6e7781"


@dataclass(frozen=True, slots=True)
class Series:
    name: str
    values: tuple[float | None, ...]


def _fmt(value: float | None) -> str:
    if value is None:
        return "no data"
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.1f}"


def bar_chart(
    chart_id: str,
    title: str,
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    unit: str = "",
    width: int = 640,
    css_class: str = "chart",
) -> str:
    """Horizontal grouped bars: one group per label, one bar per series, values written beside the bars."""
    label_w = min(180, max([len(label) for label in labels] + [4]) * 7 + 16)
    bar_h, gap, top = 14, 12, 34
    group_h = bar_h * len(series) + gap
    legend_h = 22 if len(series) > 1 else 0
    height = top + legend_h + max(1, len(labels)) * group_h + 8
    plot_w = width - label_w - 70
    peak = max([v for s in series for v in s.values if v is not None] + [0.0])
    scale = plot_w / peak if peak > 0 else 0.0
    facts = (
        "; ".join(
            f"{label}: "
            + ", ".join(f"{s.name} {_fmt(s.values[i])}{(' ' + unit) if unit and s.values[i] is not None else ''}" for s in series)
            for i, label in enumerate(labels)
        )
        or "no data in this period"
    )
    out = [
        (
            f'<svg class="{escape(css_class)}" id="{escape(chart_id)}" role="img" '
            f'aria-labelledby="{escape(chart_id)}-title {escape(chart_id)}-desc" '
            f'viewBox="0 0 {width} {height}" width="100%" preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg">'
        ),
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>',
        f'<desc id="{escape(chart_id)}-desc">{escape(facts)}</desc>',
        f'<text x="0" y="18" font-size="15" font-weight="600" fill="{TEXT}">{escape(title)}</text>',
    ]
    if len(series) > 1:
        x = label_w
        for index, s in enumerate(series):
            colour = PALETTE[index % len(PALETTE)]
            out.append(f'<rect x="{x}" y="{top - 6}" width="12" height="12" fill="{colour}"/>')
            out.append(f'<text x="{x + 16}" y="{top + 4}" font-size="12" fill="{TEXT}">{escape(s.name)}</text>')
            x += 24 + len(s.name) * 7 + 16
    y0 = top + legend_h
    out.append(f'<line x1="{label_w}" y1="{y0 - 4}" x2="{label_w}" y2="{height - 6}" stroke="{GRID}" stroke-width="1"/>')
    if not labels:
        out.append(f'<text x="{label_w + 8}" y="{y0 + 14}" font-size="13" fill="{TEXT}">No data in this period</text>')
    for i, label in enumerate(labels):
        gy = y0 + i * group_h
        out.append(
            f'<text x="{label_w - 8}" y="{gy + group_h / 2 - gap / 2 + 4:.1f}" font-size="12" text-anchor="end" '
            f'fill="{TEXT}">{escape(label[:24])}</text>'
        )
        for j, s in enumerate(series):
            value = s.values[i]
            y = gy + j * bar_h
            w = max(0.0, (value or 0.0) * scale)
            colour = PALETTE[j % len(PALETTE)]
            out.append(
                f'<rect class="bar" x="{label_w}" y="{y}" width="{w:.1f}" height="{bar_h - 2}" fill="{colour}">'
                f"<title>{escape(label)} · {escape(s.name)}: {escape(_fmt(value))}</title></rect>"
            )
            out.append(
                f'<text x="{label_w + w + 5:.1f}" y="{y + bar_h - 4}" font-size="11" fill="{TEXT}">{escape(_fmt(value))}</text>'
            )
    out.append("</svg>")
    return "".join(out)
