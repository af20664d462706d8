"""The Radiation page's tables (curriculum.radiation), built in Python: a trainee with
fifty procedure types and bands has fifty rows of seven cells, which as a template cost
the page more than everything else on it (DESIGN §8 wants it within 3× the base page).
Every value is escaped here."""

from html import escape

from django import template
from django.utils.safestring import mark_safe

register = template.Library()

DASH = "—"


def _cell(value) -> str:
    return escape(str(value)) if value is not None else DASH


def _num(value) -> str:
    return f'<td class="text-end">{_cell(value)}</td>'


def _program(comparison) -> str:
    ratio = (
        f' <span class="text-body-secondary">({escape(str(comparison.ratio))}×)</span>'
        if comparison.ratio is not None
        else ""
    )
    return f'<td class="text-end">{_cell(comparison.program_value)}{ratio}</td>'


@register.simple_tag
def dose_group_rows(groups) -> str:
    """The rows of "Against the program": one per procedure type and band."""
    rows = []
    for g in groups:
        band = (
            f'<br><span class="fw-normal text-body-secondary">{escape(g.band)}</span>'
            if g.band
            else ""
        )
        flag = '<span class="badge text-bg-warning">Over 2×</span>' if g.flagged else ""
        warning = ' class="table-warning"' if g.flagged else ""
        rows.append(
            f"<tr{warning}>"
            f'<th scope="row">{escape(g.procedure.name)}{band}</th>'
            f"{_num(g.fluoro.cases)}{_num(g.fluoro.value)}{_program(g.fluoro)}"
            f"{_num(g.dap.value)}{_program(g.dap)}<td>{flag}</td></tr>"
        )
    return mark_safe("".join(rows))  # escaped above


@register.simple_tag
def dose_month_rows(months) -> str:
    """The per-month table's rows: the numbers of the three charts."""
    return mark_safe(  # escaped in _num
        "".join(
            f'<tr><th scope="row">{escape(m.label)}</th>{_num(m.fluoro_cases)}'
            f"{_num(m.fluoro_min)}{_num(m.dap_gycm2)}{_num(m.air_kerma)}{_num(m.ct_cases)}"
            f"{_num(m.dlp)}{_num(m.effective_msv)}</tr>"
            for m in months
        )
    )


@register.simple_tag
def curve_rows(rows) -> str:
    """The learning curve's table: every tenth case and the latest."""
    return mark_safe(  # escaped in _num
        "".join(
            f'<tr><th scope="row">{r.case}</th>{_num(r.fluoro_time_s)}{_num(r.rolling)}</tr>'
            for r in rows
        )
    )
