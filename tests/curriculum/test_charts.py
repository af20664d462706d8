"""The Progress chart's geometry (curriculum.charts): a pure function, drawn as SVG by the
template. Scale, stacking, empty months and a year with nothing at all."""

import pytest

from curriculum.charts import (
    BOTTOM,
    COLOURS,
    HEIGHT,
    TOP,
    Series,
    nice_scale,
    stacked_bars,
)

BASELINE = HEIGHT - BOTTOM
PLOT_HEIGHT = BASELINE - TOP
MONTHS = ["Jan", "Feb", "Mar"]


@pytest.mark.parametrize(
    ("largest", "expected"),
    [
        (0, (1, 1)),
        (1, (1, 1)),
        (5, (5, 1)),
        (6, (6, 2)),
        (9, (10, 2)),
        (11, (15, 5)),
        (26, (30, 10)),
        (99, (100, 20)),
        (101, (150, 50)),
        (4321, (5000, 1000)),
    ],
)
def test_the_scale_is_a_few_round_steps_reaching_the_largest_bar(largest, expected):
    top, step = nice_scale(largest)
    assert (top, step) == expected
    assert top >= largest and top % step == 0 and top // step <= 5


def test_bars_stack_bottom_to_top_in_series_order_and_reach_their_totals():
    chart = stacked_bars(
        MONTHS,
        [Series("fluoroscopy", "Fluoroscopy", [2, 0, 1]), Series("ct", "CT", [3, 4, 0])],
        titles=["Jan 2026", "Feb 2026", "Mar 2026"],
    )
    assert chart.top == 5  # the tallest month, 2 + 3
    unit = PLOT_HEIGHT / 5
    jan = [s for s in chart.segments if s.title.startswith("Jan")]
    fluoro, ct = jan
    assert fluoro.title == "Jan 2026: 2 Fluoroscopy" and fluoro.colour == COLOURS["fluoroscopy"]
    assert ct.title == "Jan 2026: 3 CT" and ct.colour == COLOURS["ct"]
    # Fluoroscopy sits on the axis, CT on top of it, and together they reach the top.
    assert fluoro.y + fluoro.height == pytest.approx(BASELINE, abs=0.1)
    assert fluoro.height == pytest.approx(2 * unit, abs=0.1)
    assert ct.y + ct.height == pytest.approx(fluoro.y, abs=0.1)
    assert ct.y == pytest.approx(TOP, abs=0.1)
    # Bars of one month share a column; months go left to right.
    assert fluoro.x == ct.x and fluoro.width == ct.width
    assert [c.total for c in chart.columns] == [5, 4, 1]
    assert chart.columns[0].x < chart.columns[1].x < chart.columns[2].x
    assert [t.value for t in chart.ticks] == [0, 1, 2, 3, 4, 5]
    assert chart.ticks[0].y == BASELINE and chart.ticks[-1].y == TOP
    assert chart.legend == [
        {"label": "Fluoroscopy", "colour": COLOURS["fluoroscopy"]},
        {"label": "CT", "colour": COLOURS["ct"]},
    ]
    assert not chart.empty


def test_an_empty_month_or_guidance_draws_no_sliver():
    chart = stacked_bars(
        MONTHS,
        [Series("mri", "MRI", [0, 0, 4]), Series("ultrasound", "Ultrasound", [0, 0, 0])],
    )
    assert [s.title for s in chart.segments] == ["Mar: 4 MRI"]
    assert all(s.height > 0 for s in chart.segments)
    assert [c.total for c in chart.columns] == [0, 0, 4]
    assert [item["label"] for item in chart.legend] == ["MRI"]  # nothing to show for US


def test_a_year_with_nothing_still_has_an_axis_and_says_so():
    chart = stacked_bars(MONTHS, [])
    assert chart.empty
    assert chart.segments == [] and chart.legend == []
    assert chart.top == 1
    assert [t.value for t in chart.ticks] == [0, 1]
    assert len(chart.columns) == 3 and all(c.total == 0 for c in chart.columns)


def test_everything_fits_inside_the_drawing():
    chart = stacked_bars(
        [f"M{i}" for i in range(12)],
        [Series("landmark", "Landmark", [i * 7 for i in range(12)])],
    )
    for s in chart.segments:
        assert chart.plot_left <= s.x and s.x + s.width <= chart.plot_right
        assert TOP - 0.1 <= s.y and s.y + s.height <= BASELINE + 0.1
    assert all(c.total_y > 0 for c in chart.columns)
    assert chart.view_box == f"0 0 {chart.width} {chart.height}"


def test_an_unknown_series_gets_a_neutral_colour_and_bad_data_is_refused():
    chart = stacked_bars(["Jan"], [Series("other", "Other", [1])])
    assert chart.segments[0].colour == "#6c757d"
    with pytest.raises(ValueError, match="values for"):
        stacked_bars(MONTHS, [Series("ct", "CT", [1])])
    with pytest.raises(ValueError, match="negative"):
        stacked_bars(["Jan"], [Series("ct", "CT", [-1])])


def test_last_months_cross_a_year_and_end_with_todays():
    from datetime import date

    from curriculum.charts import last_months

    assert last_months(date(2026, 2, 28), 3) == [
        date(2025, 12, 1),
        date(2026, 1, 1),
        date(2026, 2, 1),
    ]
    assert len(last_months(date(2026, 12, 31), 12)) == 12
    assert last_months(date(2026, 12, 31), 12)[0] == date(2026, 1, 1)


def test_the_cusum_chart_holds_both_limits_the_curve_and_the_relapse_watch():
    from curriculum.charts import cusum_chart

    values = [-0.5, -1.0, -1.5, -2.0, -2.5, -3.0, -2.2, -1.4]  # competent at case 6
    watch = [0.8, 1.6]  # cases 7 and 8
    chart = cusum_chart(values, 2.7, 2.7, {6: "competent"}, watch, relapse=8)
    low, high = chart.ticks[0].value, chart.ticks[-1].value
    assert low <= -3.0 and high >= 2.7  # every value and both limits on the scale
    assert [t.value for t in chart.limits] == [-2.7, 2.7]
    assert len(chart.points.split()) == 8 and len(chart.watch_points.split()) == 2
    competent, relapse = chart.marks
    assert (competent.total, relapse.total) == (6, 8)
    # The relapse is marked on the watch line, where it is, not on the curve.
    assert f"{relapse.x},{relapse.total_y}" == chart.watch_points.split()[-1]
    # Higher values are drawn higher: the watch at 1.6 above the curve's −1.4.
    assert relapse.total_y < float(chart.points.split()[-1].split(",")[1])
