"""`{% entry_facts entry %}`: what a supervisor needs to judge an entry at a glance.

A simple tag rather than an {% include %}: the Sign-off queue shows fifty of these.
"""

from html import escape

from django import template
from django.utils.safestring import mark_safe

from procedures.models import Entry

register = template.Library()


@register.simple_tag
def entry_facts(entry: Entry) -> str:
    facts = [entry.get_guidance_display()]
    if entry.site:
        facts.append(entry.site)
    facts.append(entry.get_role_display())
    if entry.fluoro_time_s is not None:
        dose = f", {entry.dap} mGy·cm²" if entry.dap is not None else ""
        facts.append(f"{entry.fluoro_time_s} s fluoro{dose}")
    if entry.dlp is not None:
        facts.append(f"DLP {entry.dlp} mGy·cm")
    if entry.carm_operator:
        facts.append(f"C-arm: {entry.get_carm_operator_display().lower()}")
    items = "".join(f'<li class="list-inline-item">{escape(str(f))}</li>' for f in facts)
    alarm = " text-danger fw-semibold" if entry.complication != Entry.Complication.NONE else ""
    complication = escape(entry.get_complication_display().lower())
    items += f'<li class="list-inline-item{alarm}">Complications: {complication}</li>'
    return mark_safe(f'<ul class="list-inline small text-body-secondary mb-0">{items}</ul>')
