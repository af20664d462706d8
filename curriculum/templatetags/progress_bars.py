"""`{% requirement_bar r %}`: one requirement's progress bar, built in Python.

The Progress page draws about 30 of these; as an {% include %} they cost more than the
rest of the page (DESIGN §8 wants trainee pages within 3× the base page).
"""

from django import template
from django.utils.html import format_html

register = template.Library()


@register.simple_tag
def requirement_bar(r) -> str:
    """Counted / required, pending shown apart, and what is missing in words."""
    name = r.requirement.name
    pending = (
        format_html(' <span class="text-primary">(+{} pending)</span>', r.pending)
        if r.pending
        else ""
    )
    label = f"{name}: {r.counted} of {r.required} signed off" + (
        f", {r.pending} pending" if r.pending else ""
    )
    pending_bar = (
        format_html(
            '<div class="progress pct-{}"><div class="progress-bar progress-bar-striped bg-info">'
            "</div></div>",
            r.pending_percent,
        )
        if r.pending_percent
        else ""
    )
    missing = (
        format_html('<div class="small text-body-secondary mt-1">{}</div>', r.missing)
        if r.missing
        else ""
    )
    return format_html(
        '<div class="mb-3"><div class="d-flex justify-content-between gap-2 small"><span>{}</span>'
        '<span class="text-nowrap"><strong>{}</strong> / {}{}</span></div>'
        '<div class="progress-stacked" role="img" aria-label="{}">'
        '<div class="progress pct-{}"><div class="progress-bar bg-success"></div></div>{}</div>{}</div>',
        name,
        r.counted,
        r.required,
        pending,
        label,
        r.percent,
        pending_bar,
        missing,
    )
