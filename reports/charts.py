"""Small charts for the report PDFs, drawn on the server as SVG strings.

WeasyPrint renders inline ``<svg>`` itself, so a chart is a few rectangles and
words in the PDF's HTML: no image files, no JavaScript, nothing fetched. The
text is set in Noto Sans CJK SC like the rest of the document (Chinese labels
render), and every label and title is escaped here, so a unit named
``<script>`` is drawn as those characters.

Sizes are in CSS pixels (1/96 inch): a chart 640 wide fills the text width of
an A4 page with 15 mm margins at most.
"""

from collections.abc import Sequence
from decimal import Decimal
from html import escape

from django.utils.safestring import SafeString, mark_safe

FONT = "Noto Sans CJK SC, sans-serif"
# This period, the year before, then more series.
COLOURS = ("#b3261e", "#9e9e9e", "#1f5f99", "#e08a00", "#2e7d32", "#6a1b9a")
AXIS = "#555555"
GRID = "#dddddd"

Number = int | float | Decimal


def _text(
    x: float,
    y: float,
    text: str,
    *,
    size: float = 9,
    anchor: str = "start",
    weight: str = "normal",
    fill: str = "#000",
) -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" '
        f'font-weight="{weight}" fill="{fill}">{escape(str(text))}</text>'
    )


def _svg(width: float, height: float, parts: list[str], *, title: str = "") -> SafeString:
    label = f' aria-label="{escape(title)}"' if title else ""
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="{width:.0f}" '
        f'height="{height:.0f}" viewBox="0 0 {width:.0f} {height:.0f}" '
        f'font-family="{FONT}" role="img"{label}>'
    )
    # Everything interpolated above and in ``parts`` is escaped text or a number.
    return mark_safe(head + "".join(parts) + "</svg>")  # noqa: S308


def _nice_top(largest: float) -> float:
    """The top of a scale of four equal steps reaching ``largest``, each step a round number
    (1, 2 or 5 × 10ⁿ, and at least 1 so that counts get whole ticks).
    """
    if largest <= 0:
        return 4.0
    wanted = largest / 4
    power = 1.0
    while power * 10 <= wanted:
        power *= 10
    while power > wanted and power > 1:
        power /= 10
    for step in (1, 2, 5, 10):
        if step * power >= wanted:
            return 4 * step * power
    return 40 * power


def _text_width(text: str, size: float) -> float:
    """Roughly how wide ``text`` is drawn: a Chinese character is square, a Latin one half."""
    return sum(size if ord(c) > 0x2E80 else size * 0.55 for c in text)


def short_number(value: Number) -> str:
    """A number for a chart label: 12,345 / 25.0万 / 5,649万 / 3.4亿 (Chinese reads in ten-thousands)."""
    value = float(value)
    sign = "-" if value < 0 else ""
    value = abs(value)
    if value >= 100_000_000:
        return f"{sign}{value / 100_000_000:.1f}亿"
    if value >= 10_000_000:
        return f"{sign}{value / 10_000:,.0f}万"
    if value >= 100_000:
        return f"{sign}{value / 10_000:.1f}万"
    if value == int(value):
        return f"{sign}{int(value):,}"
    return f"{sign}{value:,.2f}"


def _legend(series_names: Sequence[str], *, x: float, y: float) -> list[str]:
    parts = []
    for index, name in enumerate(series_names):
        colour = COLOURS[index % len(COLOURS)]
        parts.append(f'<rect x="{x:.1f}" y="{y - 8:.1f}" width="10" height="10" fill="{colour}"/>')
        parts.append(_text(x + 14, y, name, size=8.5))
        x += 26 + _text_width(name, 8.5)
    return parts


def _scale(parts: list[str], *, left: float, right: float, top: float, bottom: float, high: float):
    for step in range(5):
        value = high * step / 4
        y = bottom - (bottom - top) * step / 4
        parts.append(
            f'<line x1="{left:.1f}" y1="{y:.1f}" x2="{right:.1f}" y2="{y:.1f}" '
            f'stroke="{GRID if step else AXIS}" stroke-width="0.6"/>'
        )
        parts.append(_text(left - 4, y + 3, short_number(value), size=7.5, anchor="end"))


def grouped_bar_chart(
    groups: Sequence[str],
    series: Sequence[tuple[str, Sequence[Number]]],
    *,
    title: str = "",
    width: float = 640,
    height: float = 220,
    legend: bool = True,
) -> SafeString:
    """Vertical bars, one group a category (a month, a unit), one bar a series in each group.

    ``series`` is ``[(name, [value per group]), …]``; a legend names the series.
    """
    left, right, bottom = 56.0, width - 10, height - 26
    top = 40.0 if legend else (24.0 if title else 10.0)
    values = [float(v) for _name, row in series for v in row]
    high = _nice_top(max(values, default=0))
    parts: list[str] = []
    if title:
        parts.append(_text(left, 13, title, size=10, weight="bold"))
    if legend:
        parts += _legend([name for name, _row in series], x=left, y=28)
    _scale(parts, left=left, right=right, top=top, bottom=bottom, high=high)
    slot = (right - left) / max(len(groups), 1)
    bar = min(28.0, slot * 0.8 / max(len(series), 1))
    for group_index, group in enumerate(groups):
        start = left + slot * group_index + (slot - bar * len(series)) / 2
        for series_index, (_name, row) in enumerate(series):
            value = float(row[group_index])
            bar_height = (bottom - top) * max(value, 0) / high
            x = start + bar * series_index
            colour = COLOURS[series_index % len(COLOURS)]
            parts.append(
                f'<rect x="{x:.1f}" y="{bottom - bar_height:.1f}" width="{bar * 0.92:.1f}" '
                f'height="{bar_height:.1f}" fill="{colour}"/>'
            )
            if value and len(groups) * len(series) <= 12:
                parts.append(
                    _text(x + bar * 0.46, bottom - bar_height - 2, short_number(value),
                          size=7, anchor="middle")
                )  # fmt: skip
        parts.append(_text(left + slot * (group_index + 0.5), bottom + 12, group, size=8,
                           anchor="middle"))  # fmt: skip
    return _svg(width, height, parts, title=title)


def bar_chart(
    bars: Sequence[tuple[str, Number]],
    *,
    title: str = "",
    width: float = 640,
    height: float = 200,
) -> SafeString:
    """Vertical bars, one a labelled value."""
    return grouped_bar_chart(
        [label for label, _value in bars],
        [("", [value for _label, value in bars])],
        title=title,
        width=width,
        height=height,
        legend=False,
    )


def horizontal_bar_chart(
    rows: Sequence[tuple[str, Number]],
    *,
    title: str = "",
    width: float = 640,
    label_width: float = 150,
    value_suffix: str = "",
    high: Number | None = None,
    bar_height: float = 14,
) -> SafeString:
    """One labelled horizontal bar a row, the value written at its end (a ranking, a share).

    ``high`` fixes the end of the scale (100 for percentages); by default the largest value.
    """
    top = 22.0 if title else 4.0
    gap = 5.0
    height = top + len(rows) * (bar_height + gap) + 4
    left, right = label_width, width - 70
    largest = float(high) if high else max((float(v) for _label, v in rows), default=0) or 1.0
    parts: list[str] = []
    if title:
        parts.append(_text(0, 13, title, size=10, weight="bold"))
    parts.append(
        f'<line x1="{left:.1f}" y1="{top - 2:.1f}" x2="{left:.1f}" y2="{height - 4:.1f}" '
        f'stroke="{AXIS}" stroke-width="0.6"/>'
    )
    for index, (label, value) in enumerate(rows):
        y = top + index * (bar_height + gap)
        length = (right - left) * max(float(value), 0) / largest
        shown = label if len(label) <= 14 else label[:13] + "…"
        parts.append(_text(left - 6, y + bar_height - 3.5, shown, size=8.5, anchor="end"))
        parts.append(
            f'<rect x="{left:.1f}" y="{y:.1f}" width="{length:.1f}" height="{bar_height:.1f}" '
            f'fill="{COLOURS[0]}"/>'
        )
        parts.append(
            _text(left + length + 4, y + bar_height - 3.5, short_number(value) + value_suffix,
                  size=8)
        )  # fmt: skip
    return _svg(width, height, parts, title=title)
