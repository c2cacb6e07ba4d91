"""Charts as server-rendered SVG: no script, no third-party code, text a screen reader reads.

Each chart is an ``<svg role="img">`` with a title; the page puts the same figures in a table
beside it. Geometry is computed here and every label is escaped.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from markupsafe import Markup, escape

BAR = "#1e6b3a"
INK = "#1d2a22"
ROW = 24
WIDTH = 340  # about a phone's width: text in the SVG stays at its size there


def _fmt(value: float, number: Callable[[float], str]) -> str:
    return number(value)


def bar_chart(
    chart_id: str,
    title: str,
    figures: Sequence[tuple[str, float]],
    number: Callable[[float], str],
) -> Markup:
    """Horizontal bars, one row per figure: its label, its bar, its value."""
    label_w, value_w = 150, 52
    bar_w = WIDTH - label_w - value_w
    top = max((v for _, v in figures), default=0) or 1
    height = ROW * len(figures) + 4
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-labelledby="{chart_id}-t" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{chart_id}-t">{escape(title)}</title>',
    ]
    for i, (label, value) in enumerate(figures):
        y = i * ROW + 2
        width = round(bar_w * value / top, 1)
        short = label if len(label) <= 22 else label[:21] + "…"
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 16}" text-anchor="end" fill="{INK}" '
            f'font-size="12">{escape(short)}</text>'
            f'<rect x="{label_w}" y="{y + 3}" width="{width}" height="{ROW - 8}" fill="{BAR}"/>'
            f'<text x="{label_w + width + 4}" y="{y + 16}" fill="{INK}" font-size="12">'
            f"{escape(_fmt(value, number))}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def _short_month(label: str) -> str:
    """Under a column, "12/26" is "12": the data table beside the chart has the year."""
    return label.split("/")[0]


def column_chart(
    chart_id: str,
    title: str,
    figures: Sequence[tuple[str, float]],
    number: Callable[[float], str],
) -> Markup:
    """Vertical columns in order (months): the label under each, the value above it."""
    height, base, room = 200, 170, 140
    count = max(len(figures), 1)
    step = WIDTH / count
    top = max((v for _, v in figures), default=0) or 1
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-labelledby="{chart_id}-t" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{chart_id}-t">{escape(title)}</title>',
        f'<line x1="0" y1="{base}" x2="{WIDTH}" y2="{base}" stroke="{INK}" stroke-width="1"/>',
    ]
    for i, (label, value) in enumerate(figures):
        h = round(room * value / top, 1)
        x = round(i * step + step * 0.15, 1)
        mid = round(i * step + step / 2, 1)
        parts.append(
            f'<rect x="{x}" y="{base - h}" width="{round(step * 0.7, 1)}" height="{h}" '
            f'fill="{BAR}"/>'
            f'<text x="{mid}" y="{base + 18}" text-anchor="middle" fill="{INK}" '
            f'font-size="10">{escape(_short_month(label))}</text>'
            f'<text x="{mid}" y="{base - h - 4}" text-anchor="middle" fill="{INK}" '
            f'font-size="10">{escape(_fmt(value, number))}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))
