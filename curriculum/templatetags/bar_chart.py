"""`{% bar_chart svg chart_id title %}`: the stacked bar chart (curriculum.charts) as SVG.

Built in Python rather than as a template: a year of months by guidance is some sixty
rectangles with six values each, and as a template they cost Progress more than the rest
of the page (DESIGN §8 wants trainee pages within 3× the base page). Every value is
escaped here.
"""

from html import escape

from django import template
from django.utils.safestring import mark_safe

register = template.Library()


def _e(value) -> str:
    return escape(str(value))


def _grid(svg) -> str:
    """The scale's lines and their numbers."""
    return "".join(
        f'<line x1="{svg.plot_left}" x2="{svg.plot_right}" y1="{t.y}" y2="{t.y}"/>'
        f'<text x="{svg.tick_label_x}" y="{t.y}" text-anchor="end" '
        f'dominant-baseline="middle">{t.value}</text>'
        for t in svg.ticks
    )


def _empty(svg, text: str) -> str:
    if not svg.empty:
        return ""
    x, y = svg.middle
    return f'<text class="bar-chart-empty" x="{x}" y="{y}" text-anchor="middle">{_e(text)}</text>'


def _figure(svg, chart_id: str, title: str, drawing: str, after: str = "") -> str:
    """The chart as an image named by its title, which points to the numbers' table."""
    cid = _e(chart_id)
    return mark_safe(  # every part is escaped by its maker
        '<figure class="bar-chart mb-1">'
        f'<svg viewBox="{svg.view_box}" class="bar-chart-svg" role="img" '
        f'aria-labelledby="{cid}-title" focusable="false">'
        f'<title id="{cid}-title">{_e(title)}. The numbers are in the table below.</title>'
        f"{drawing}</svg>{after}</figure>"
    )


@register.simple_tag
def bar_chart(
    svg, chart_id: str, title: str, empty_text: str = "No procedures logged in these months"
) -> str:
    e = _e
    none = ": none" if svg.empty else ""
    bars = "".join(
        f'<rect x="{s.x}" y="{s.y}" width="{s.width}" height="{s.height}" '
        f'fill="{e(s.colour)}"><title>{e(s.title)}</title></rect>'
        for s in svg.segments
    )
    labels = "".join(
        f'<text x="{c.x}" y="{svg.axis_label_y}" text-anchor="middle">{e(c.label)}</text>'
        + (
            f'<text class="bar-chart-total" x="{c.x}" y="{c.total_y}" '
            f'text-anchor="middle">{c.total}</text>'
            if c.total
            else ""
        )
        for c in svg.columns
    )
    legend = ""
    if svg.legend:
        items = "".join(
            '<li class="list-inline-item"><svg class="bar-chart-swatch" viewBox="0 0 10 10" '
            'aria-hidden="true" focusable="false">'
            f'<rect width="10" height="10" fill="{e(item["colour"])}"/></svg> '
            f"{e(item['label'])}</li>"
            for item in svg.legend
        )
        legend = (
            f'<figcaption><ul class="bar-chart-legend list-inline small mb-0">{items}</ul>'
            "</figcaption>"
        )
    drawing = (
        f'<g class="bar-chart-grid">{_grid(svg)}</g><g class="bar-chart-bars">{bars}</g>'
        f'<g class="bar-chart-labels">{labels}</g>{_empty(svg, empty_text)}'
    )
    return _figure(svg, chart_id, f"{title}{none}", drawing, legend)


@register.simple_tag
def chart_table(chart) -> str:
    """The chart's numbers as a table: its accessible alternative."""
    head = "".join(f'<th scope="col">{escape(str(s["label"]))}</th>' for s in chart["series"])
    rows = "".join(
        f'<tr><th scope="row">{escape(str(row["label"]))}</th>'
        + "".join(f"<td>{n}</td>" for n in row["values"])
        + "</tr>"
        for row in chart["rows"]
    )
    return mark_safe(  # escaped above
        f'<table class="table table-sm"><thead><tr><th scope="col">Month</th>{head}</tr>'
        f"</thead><tbody>{rows}</tbody></table>"
    )


@register.simple_tag
def line_chart_svg(
    svg, chart_id: str, title: str, reference_label: str = "", limit_labels: str = ""
) -> str:
    """A learning curve (curriculum.charts.line_chart) as SVG; its numbers are in a table
    beside it."""
    e = _e
    labels = "".join(
        f'<text x="{c.x}" y="{svg.axis_label_y}" text-anchor="middle">{e(c.label)}</text>'
        for c in svg.cases
    )
    reference = ""
    if svg.reference_y is not None:
        reference = (
            f'<line class="line-chart-reference" x1="{svg.plot_left}" x2="{svg.plot_right}" '
            f'y1="{svg.reference_y}" y2="{svg.reference_y}"><title>{e(reference_label)}</title></line>'
        )
    line = f'<polyline class="line-chart-line" points="{e(svg.points)}"/>' if svg.points else ""
    names = limit_labels.split("|") if limit_labels else []
    for limit, name in zip(svg.limits, names, strict=False):
        reference += (
            f'<line class="line-chart-limit" x1="{svg.plot_left}" x2="{svg.plot_right}" '
            f'y1="{limit.y}" y2="{limit.y}"><title>{e(name)}</title></line>'
        )
    if svg.watch_points:
        line += f'<polyline class="line-chart-watch" points="{e(svg.watch_points)}"/>'
    marks = "".join(
        f'<circle class="line-chart-mark" cx="{m.x}" cy="{m.total_y}" r="4">'
        f"<title>Case {m.total}: {e(m.label)}</title></circle>"
        for m in svg.marks
    )
    drawing = (
        f'<g class="bar-chart-grid">{_grid(svg)}</g>{reference}{line}{marks}'
        f'<g class="bar-chart-labels">{labels}</g>'
        f"{_empty(svg, 'Not enough cases for a curve yet')}"
    )
    return _figure(svg, chart_id, title, drawing)
