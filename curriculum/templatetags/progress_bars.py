"""`{% requirement_bars requirements %}`: a stage's requirement progress bars, built in
Python.

The Progress page draws about 30 of these; as an {% include %} they cost more than the
rest of the page (DESIGN §8 wants trainee pages within 3× the base page).
"""

from html import escape

from django import template
from django.utils.safestring import mark_safe

register = template.Library()


def bar(r) -> str:
    """Counted / required, pending shown apart, and what is missing in words: one
    requirement's bar as HTML, every value escaped (f-strings: format_html's escaping of
    each argument cost more than the rest of the bar)."""
    name = escape(r.requirement.name)
    pending = f' <span class="text-primary">(+{r.pending} pending)</span>' if r.pending else ""
    label = f"{name}: {r.counted} of {r.required} signed off" + (
        f", {r.pending} pending" if r.pending else ""
    )
    pending_bar = (
        f'<div class="progress pct-{int(r.pending_percent)}"><div class="progress-bar '
        'progress-bar-striped bg-info"></div></div>'
        if r.pending_percent
        else ""
    )
    missing = (
        f'<div class="small text-body-secondary mt-1">{escape(str(r.missing))}</div>'
        if r.missing
        else ""
    )
    return (
        '<div class="mb-3"><div class="d-flex justify-content-between gap-2 small">'
        f'<span>{name}</span><span class="text-nowrap"><strong>{r.counted}</strong> / '
        f'{r.required}{pending}</span></div><div class="progress-stacked" role="img" '
        f'aria-label="{label}"><div class="progress pct-{int(r.percent)}"><div '
        f'class="progress-bar bg-success"></div></div>{pending_bar}</div>{missing}</div>'
    )


@register.simple_tag
def requirement_bars(requirements) -> str:
    """Every requirement's bar of a stage, in one tag (one call, not thirty)."""
    return mark_safe("".join(bar(r) for r in requirements))  # escaped in bar()
