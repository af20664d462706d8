"""Server-drawn charts: the geometry of a stacked bar chart as plain numbers, for a template
to write out as inline SVG. No JavaScript and no chart library, so Progress stays light on
a phone (issue 10 point 7); the chart scales with its container through its viewBox.

Pure functions of their arguments (no queries, no dates): tested in tests/curriculum/
test_charts.py."""

import math
from dataclasses import dataclass, field
from datetime import date

# The drawing's own coordinates (viewBox); the SVG is as wide as its container. At
# 390 px the container is about this wide, so text is drawn at close to its stated size.
WIDTH = 360
HEIGHT = 200
LEFT = 30  # room for the y-axis numbers
RIGHT = 6
TOP = 14  # room for the total over the tallest bar
BOTTOM = 24  # room for the month names
BAR_SHARE = 0.7  # of each month's slot; the rest is the gap between bars
MAX_TICKS = 5  # horizontal grid lines above zero, at most

# One colour per guidance, the same in every chart whichever guidances appear: the
# Okabe-Ito palette, told apart by people with the common colour-vision deficiencies.
COLOURS = {
    "fluoroscopy": "#0072b2",
    "ct": "#e69f00",
    "mri": "#009e73",
    "ultrasound": "#cc79a7",
    "landmark": "#56b4e9",
}
FALLBACK_COLOUR = "#6c757d"


@dataclass(frozen=True)
class Segment:
    """One series' part of one month's bar."""

    x: float
    y: float
    width: float
    height: float
    colour: str
    title: str  # "Mar 2026: 3 CT", the tooltip


@dataclass(frozen=True)
class Tick:
    value: int
    y: float


@dataclass(frozen=True)
class Column:
    """One month: its label under the axis and its total above the bar."""

    label: str
    x: float  # the middle of the bar
    total: int
    total_y: float


@dataclass(frozen=True)
class Series:
    key: str
    label: str
    data: list[int]


@dataclass
class Plot:
    """A chart's drawing area: what a bar chart and a line chart share."""

    width: int
    height: int
    plot_left: float
    plot_right: float
    baseline: float
    top: int  # the value at the top of the scale

    @property
    def view_box(self) -> str:
        return f"0 0 {self.width} {self.height}"

    @property
    def tick_label_x(self) -> float:
        return self.plot_left - 4

    @property
    def axis_label_y(self) -> float:
        """Where the labels under the axis (months, case numbers) go."""
        return self.height - 8

    @property
    def middle(self) -> tuple[float, float]:
        """Where the "nothing yet" words go."""
        return ((self.plot_left + self.plot_right) / 2, (TOP + self.baseline) / 2)


@dataclass
class BarChart(Plot):
    segments: list[Segment] = field(default_factory=list)
    ticks: list[Tick] = field(default_factory=list)
    columns: list[Column] = field(default_factory=list)
    legend: list[dict] = field(default_factory=list)  # {"label", "colour"}
    empty: bool = True


def nice_scale(largest: int, max_ticks: int = MAX_TICKS) -> tuple[int, int]:
    """(top, step): the smallest round step (1, 2, 5, 10, 20, 50, ...) that reaches `largest`
    in at most `max_ticks` steps, and the scale's top, a whole number of steps. A scale of
    nothing is one step of 1 (an empty chart still has an axis)."""
    if largest <= 0:
        return 1, 1
    magnitude = 1
    while True:
        for multiple in (1, 2, 5):
            step = multiple * magnitude
            steps = -(-largest // step)  # ceiling division
            if steps <= max_ticks:
                return steps * step, step
        magnitude *= 10


def last_months(today: date, count: int) -> list[date]:
    """The first days of the `count` months ending with `today`'s, oldest first. Month
    arithmetic, not days: 31 × 11 days back from a 1st can land in the month before."""
    back = today.year * 12 + today.month - count
    return [date((back + i) // 12, (back + i) % 12 + 1, 1) for i in range(count)]


def _r(value: float) -> float:
    """Coordinates to a tenth of a unit: short markup, no visible difference."""
    return round(value, 1)


def stacked_bars(labels: list[str], series: list[Series], titles: list[str] | None = None):
    """A stacked bar chart of `series` (each with one number per label), bottom to top in
    the order given. `titles` name each column in tooltips (default: the labels)."""
    titles = titles or labels
    columns = len(labels)
    for s in series:
        if len(s.data) != columns:
            raise ValueError(f"Series {s.label!r} has {len(s.data)} values for {columns} labels.")
        if any(n < 0 for n in s.data):
            raise ValueError(f"Series {s.label!r} has a negative value.")
    totals = [sum(s.data[i] for s in series) for i in range(columns)]
    top, step = nice_scale(max(totals, default=0))
    plot_left, plot_right = LEFT, WIDTH - RIGHT
    baseline = HEIGHT - BOTTOM
    plot_height = baseline - TOP
    slot = (plot_right - plot_left) / columns if columns else 0
    bar = slot * BAR_SHARE
    unit = plot_height / top  # height of one procedure

    chart = BarChart(
        width=WIDTH,
        height=HEIGHT,
        plot_left=plot_left,
        plot_right=plot_right,
        baseline=baseline,
        top=top,
        empty=not any(totals),
        ticks=[Tick(value, _r(baseline - value * unit)) for value in range(0, top + 1, step)],
        legend=[
            {"label": s.label, "colour": COLOURS.get(s.key, FALLBACK_COLOUR)}
            for s in series
            if any(s.data)
        ],
    )
    for i, label in enumerate(labels):
        left = plot_left + i * slot + (slot - bar) / 2
        stacked = 0
        for s in series:
            n = s.data[i]
            if not n:
                continue  # an empty month, or no procedures of this guidance: no sliver
            y = baseline - (stacked + n) * unit
            chart.segments.append(
                Segment(
                    x=_r(left),
                    y=_r(y),
                    width=_r(bar),
                    height=_r(n * unit),
                    colour=COLOURS.get(s.key, FALLBACK_COLOUR),
                    title=f"{titles[i]}: {n} {s.label}",
                )
            )
            stacked += n
        chart.columns.append(
            Column(
                label=label,
                x=_r(left + bar / 2),
                total=totals[i],
                total_y=_r(baseline - totals[i] * unit - 3),
            )
        )
    return chart


@dataclass
class LineChart(Plot):
    """A line over case numbers (a learning curve), with an optional horizontal reference
    line (the program's median)."""

    points: str = ""  # "x,y x,y ...": an SVG polyline; only where there is a value
    ticks: list[Tick] = field(default_factory=list)
    cases: list[Column] = field(default_factory=list)  # case numbers under the axis
    reference_y: float | None = None
    reference: float | None = None
    empty: bool = True
    limits: list[Tick] = field(default_factory=list)  # labelled horizontal lines (value, y)
    marks: list[Column] = field(default_factory=list)  # labelled points (label, x, y)
    watch_points: str = ""  # a second line (the CUSUM's relapse watch)


def cusum_chart(
    values: list[float],
    h0: float,
    h1: float,
    marks: dict[int, str],
    watch: list[float] | None = None,
    relapse: int | None = None,
) -> LineChart:
    """A learning curve's CUSUM (curriculum.cusum): the curve through `values` (one per
    case), on a scale from below −h0 to above h1 holding every value, with the two
    decision limits as lines and `marks` ({case number: words}) as points on the curve.
    `watch`: the relapse watch after competence (its last values, one per case to the
    end), drawn as its own line against h1, with the `relapse` case marked on it."""
    count = len(values)
    watch = watch or []
    low = math.floor(min([*values, -h0]))
    high = math.ceil(max([*values, *watch, h1]))
    _, step = nice_scale(high - low)
    low = step * math.floor(low / step)
    high = step * math.ceil(high / step)
    plot_left, plot_right = LEFT, WIDTH - RIGHT
    baseline = HEIGHT - BOTTOM
    unit = (baseline - TOP) / (high - low)
    span = plot_right - plot_left

    def x_of(i: int) -> float:
        return plot_left + (span * i / (count - 1) if count > 1 else span / 2)

    def y_of(value: float) -> float:
        return _r(baseline - (value - low) * unit)

    return LineChart(
        width=WIDTH,
        height=HEIGHT,
        plot_left=plot_left,
        plot_right=plot_right,
        baseline=baseline,
        top=high,
        points=" ".join(f"{_r(x_of(i))},{y_of(v)}" for i, v in enumerate(values)),
        ticks=[Tick(value, y_of(value)) for value in range(low, high + 1, step)],
        cases=case_labels(count, x_of),
        empty=not values,
        limits=[Tick(-h0, y_of(-h0)), Tick(h1, y_of(h1))],
        marks=[
            Column(label=words, x=_r(x_of(n - 1)), total=n, total_y=y_of(values[n - 1]))
            for n, words in sorted(marks.items())
            if 1 <= n <= count
        ]
        + [
            Column(
                label="relapse alert (the watch at h1)",
                x=_r(x_of(relapse - 1)),
                total=relapse,
                total_y=y_of(watch[relapse - 1 - (count - len(watch))]),
            )
            for _ in [0]
            if relapse and watch and count - len(watch) < relapse <= count
        ],
        watch_points=" ".join(
            f"{_r(x_of(count - len(watch) + i))},{y_of(v)}" for i, v in enumerate(watch)
        ),
    )


def case_labels(count: int, x_of, max_labels: int = 6) -> list[Column]:
    """The case numbers under a learning curve's axis: the first, then round steps."""
    step = nice_scale(count, max_labels)[1] if count else 1
    return [
        Column(label=str(n), x=_r(x_of(n - 1)), total=n, total_y=0)
        for n in sorted({1, *range(step, count + 1, step)})
        if n <= count
    ]


def line_chart(values: list, reference=None, max_labels: int = 6) -> LineChart:
    """A line through `values` (one per case, in order; None where there is none yet) on
    a scale from 0 that also holds `reference`; case numbers labelled at round steps."""
    count = len(values)
    present = [float(v) for v in values if v is not None]
    largest = max([*present, float(reference or 0)], default=0)
    top, step = nice_scale(int(-(-largest // 1)))
    plot_left, plot_right = LEFT, WIDTH - RIGHT
    baseline = HEIGHT - BOTTOM
    unit = (baseline - TOP) / top
    span = plot_right - plot_left

    def x_of(i: int) -> float:  # case i (0-based) across the plot
        return plot_left + (span * i / (count - 1) if count > 1 else span / 2)

    points = " ".join(
        f"{_r(x_of(i))},{_r(baseline - float(v) * unit)}"
        for i, v in enumerate(values)
        if v is not None
    )
    cases = case_labels(count, x_of, max_labels)
    return LineChart(
        width=WIDTH,
        height=HEIGHT,
        plot_left=plot_left,
        plot_right=plot_right,
        baseline=baseline,
        top=top,
        points=points,
        ticks=[Tick(value, _r(baseline - value * unit)) for value in range(0, top + 1, step)],
        cases=cases,
        reference=reference,
        reference_y=_r(baseline - float(reference) * unit) if reference is not None else None,
        empty=not present,
    )
