"""Charts of the deliberation page as server-rendered SVG (SPEC §11): no script, no CSS.

The page's Content Security Policy forbids style attributes, so the drawings use SVG
presentation attributes (``fill``, ``stroke``, ``font-size``), which are not CSS. Each
chart is an ``<svg role="img">`` with a ``<title>`` and a ``<desc>``; the page prints
the same numbers in a table beside it for screen readers and for print.

- ``distribution``: each juror's totals as a box plot (quartiles, median, minimum to
  maximum) with the totals themselves as dots; equal totals share one dot, drawn larger,
  so a contest of 1,000 applications draws a few hundred dots, not thousands.
- ``profile``: the winners' mean score on each criterion as grouped bars, as a share
  of the criterion's maximum so that criteria of different scales compare.

Pure apart from ``markupsafe``: numbers and labels in, markup out. Labels come
translated and numbers formatted by the caller (``fmt``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from markupsafe import Markup, escape

# Dark enough on white for graphics (WCAG 1.4.11) and distinct from each other.
PALETTE = (
    "#0a4fb5",
    "#b35806",
    "#1b7837",
    "#762a83",
    "#c51b7d",
    "#01665e",
    "#8c510a",
    "#4d4d4d",
)
WIDTH = 640


@dataclass(frozen=True)
class Box:
    """The five numbers of a box plot, with the count and the mean."""

    label: str
    count: int
    minimum: Decimal
    q1: Decimal
    median: Decimal
    q3: Decimal
    maximum: Decimal
    mean: Decimal


def _quantile(values: Sequence[Decimal], q: Decimal) -> Decimal:
    """Linear interpolation between the closest ranks (values sorted ascending)."""
    position = (len(values) - 1) * q
    low = int(position)
    high = min(low + 1, len(values) - 1)
    return values[low] + (values[high] - values[low]) * (position - low)


def box(label: str, values: Sequence[Decimal]) -> Box:
    """The box of some values (at least one)."""
    ordered = sorted(Decimal(v) for v in values)
    return Box(
        label=label,
        count=len(ordered),
        minimum=ordered[0],
        q1=_quantile(ordered, Decimal("0.25")),
        median=_quantile(ordered, Decimal("0.5")),
        q3=_quantile(ordered, Decimal("0.75")),
        maximum=ordered[-1],
        mean=sum(ordered, Decimal(0)) / len(ordered),
    )


def _short(text: str, length: int) -> str:
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


def _n(value: float) -> str:
    """A coordinate: at most one decimal, no trailing zeros."""
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _svg(chart_id: str, width: int, height: int, title: str, desc: str, body: list[str]) -> Markup:
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{escape(chart_id)}" '
        f'viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="{escape(chart_id)}-title {escape(chart_id)}-desc" '
        f'font-family="system-ui, sans-serif" font-size="13">'
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>'
        f'<desc id="{escape(chart_id)}-desc">{escape(desc)}</desc>'
    )
    return Markup(head + "".join(body) + "</svg>")  # noqa: S704 — every text is escaped


def _ticks(top: Decimal, count: int = 4) -> list[Decimal]:
    return [top * i / count for i in range(count + 1)]


def distribution(
    series: Sequence[tuple[str, Sequence[Decimal]]],
    scale_max: Decimal,
    *,
    chart_id: str,
    title: str,
    desc: str,
    axis: str,
    fmt: Callable[[Decimal], str],
) -> Markup:
    """A box plot with dots per juror: ``series`` is (juror's name, their totals)."""
    left, right, top, row = 170, 24, 12, 44
    plot = WIDTH - left - right
    height = top + row * len(series) + 48
    scale = float(scale_max) or 1.0

    def x(value) -> str:
        return _n(left + plot * float(value) / scale)

    body = []
    bottom = top + row * len(series)
    for tick in _ticks(Decimal(scale_max)):
        body.append(
            f'<line x1="{x(tick)}" y1="{top}" x2="{x(tick)}" y2="{bottom}" stroke="#dee2e6"/>'
            f'<text x="{x(tick)}" y="{bottom + 18}" text-anchor="middle" fill="#212529">'
            f"{escape(fmt(tick))}</text>"
        )
    body.append(
        f'<text x="{_n(left + plot / 2)}" y="{bottom + 40}" text-anchor="middle" '
        f'fill="#212529">{escape(axis)}</text>'
    )
    for i, (label, values) in enumerate(series):
        cy = top + row * i + row / 2
        body.append(
            f'<text x="{left - 10}" y="{_n(cy)}" text-anchor="end" dominant-baseline="middle" '
            f'fill="#212529">{escape(_short(label, 22))}</text>'
        )
        if not values:
            continue
        b = box(label, values)
        body.append(
            f"<g><title>{escape(label)}: {escape(fmt(b.minimum))} – {escape(fmt(b.maximum))}"
            f"</title>"
            f'<line x1="{x(b.minimum)}" y1="{_n(cy)}" x2="{x(b.maximum)}" y2="{_n(cy)}" '
            f'stroke="#495057" stroke-width="1.5"/>'
            f'<rect x="{x(b.q1)}" y="{_n(cy - 11)}" '
            f'width="{_n(max(float(x(b.q3)) - float(x(b.q1)), 1))}" height="22" '
            f'fill="#cfe2ff" stroke="#0a4fb5"/>'
            f'<line x1="{x(b.median)}" y1="{_n(cy - 13)}" x2="{x(b.median)}" y2="{_n(cy + 13)}" '
            f'stroke="#0a4fb5" stroke-width="3"/></g>'
        )
        for value, count in sorted(Counter(Decimal(v) for v in values).items()):
            radius = min(3 + 1.2 * (count - 1) ** 0.5, 9)
            body.append(
                f'<circle cx="{x(value)}" cy="{_n(cy)}" r="{_n(radius)}" fill="#212529" '
                f'fill-opacity="0.55"><title>{escape(fmt(value))} × {count}</title></circle>'
            )
    return _svg(chart_id, WIDTH, height, title, desc, body)


def profile(
    criteria: Sequence[tuple[str, str, Decimal]],
    bars: Sequence[tuple[str, Sequence[Decimal]]],
    *,
    chart_id: str,
    title: str,
    desc: str,
    bar_title: Callable[[str, str, Decimal, Decimal], str],
) -> Markup:
    """Grouped bars: ``criteria`` is (code, title, max points), ``bars`` (winner, means);
    ``bar_title(winner, code, mean, maximum)`` words the tooltip of one bar."""
    left, right, top, plot_h = 48, 12, 12, 200
    plot = WIDTH - left - right
    legend_top = top + plot_h + 36
    height = legend_top + 20 * len(bars) + 8
    group = plot / max(len(criteria), 1)
    width = group * 0.8 / max(len(bars), 1)
    body = []
    for percent in (0, 25, 50, 75, 100):
        y = _n(top + plot_h - plot_h * percent / 100)
        body.append(
            f'<line x1="{left}" y1="{y}" x2="{WIDTH - right}" y2="{y}" stroke="#dee2e6"/>'
            f'<text x="{left - 6}" y="{y}" text-anchor="end" dominant-baseline="middle" '
            f'fill="#212529">{percent}\u00a0%</text>'
        )
    for c, (code, criterion_title, maximum) in enumerate(criteria):
        start = left + group * c + group * 0.1
        body.append(
            f'<text x="{_n(left + group * c + group / 2)}" y="{top + plot_h + 20}" '
            f'text-anchor="middle" fill="#212529"><title>{escape(criterion_title)}</title>'
            f"{escape(code)}</text>"
        )
        for w, (label, means) in enumerate(bars):
            mean = Decimal(means[c])
            share = float(mean / Decimal(maximum)) if maximum else 0.0
            h = plot_h * share
            body.append(
                f'<rect x="{_n(start + width * w)}" y="{_n(top + plot_h - h)}" '
                f'width="{_n(width)}" height="{_n(h)}" fill="{PALETTE[w % len(PALETTE)]}">'
                f"<title>{escape(bar_title(label, code, mean, Decimal(maximum)))}</title></rect>"
            )
    for w, (label, _means) in enumerate(bars):
        y = legend_top + 20 * w
        body.append(
            f'<rect x="{left}" y="{y}" width="14" height="14" '
            f'fill="{PALETTE[w % len(PALETTE)]}"/>'
            f'<text x="{left + 22}" y="{y + 7}" dominant-baseline="middle" fill="#212529">'
            f"{escape(_short(label, 70))}</text>"
        )
    return _svg(chart_id, WIDTH, height, title, desc, body)
