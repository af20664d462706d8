"""`{% dops_list assessments link_entry %}`: DOPS as a list, each with its rating, the
O-SCORE words, the comments, who assessed and which requirement it counts for.

Built in Python: Progress shows twenty of these, and as a template they cost more than
the rest of the page (DESIGN §8). Every value is escaped here.
"""

from html import escape

from django import template
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.safestring import mark_safe

register = template.Library()


def _counts(a) -> str:
    target = getattr(a, "counts_for", None)
    if target is None:
        return "counts for no requirement"
    if getattr(a, "counts", False):
        return f"counts for {escape(target.name)}"
    return f"for {escape(target.name)}: rated below its {target.min_autonomy}, does not count"


def _item(a, link_entry: bool) -> str:
    comments = ""
    if a.comments:
        text = "<br>".join(escape(line) for line in a.comments.splitlines())
        comments = (
            f'<blockquote class="dops-comments border-start border-3 ps-2 my-1">{text}</blockquote>'
        )
    entry = ""
    if link_entry and a.entry_id:
        url = reverse("procedures:entry_detail", args=[a.entry_id])
        entry = f' · <a href="{url}">the log entry</a>'
    return (
        '<li class="dops-item border rounded p-2 mb-2">'
        '<div class="d-flex flex-wrap justify-content-between column-gap-2">'
        f"<strong>{escape(a.procedure.name)}</strong>"
        f'<span class="text-body-secondary">{escape(a.get_guidance_display())} · '
        f"{date_format(a.observed_on, 'j M Y')}</span></div>"
        f'<div class="dops-rating">Global rating <strong>{a.rating}/5</strong>: '
        f"{escape(str(a.rating_words))}</div>{comments}"
        f'<div class="small text-body-secondary">By {escape(str(a.assessor))} · '
        f"{_counts(a)}{entry}</div></li>"
    )


@register.simple_tag
def dops_list(assessments, link_entry: bool = False) -> str:
    items = "".join(_item(a, link_entry) for a in assessments)
    return mark_safe(f'<ul class="list-unstyled dops-list">{items}</ul>')  # escaped above
