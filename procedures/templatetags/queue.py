"""`{% queue_row entry %}`: one row of the Sign-off queue, with its own Sign off and Return.

Rendered in Python, as the Logbook's rows are: the queue shows fifty rows, each with two
forms and five rating buttons, and as a template they took 40 ms, ten times the base page.
The markup is the same a template would give; every value is escaped here.
"""

from html import escape

from django import template
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.safestring import mark_safe

from .entries import entry_facts

register = template.Library()

PASSWORD_HELP = "Your signature: asked at your first sign-off, then again after a while."


def _errors(form, name: str, error_id: str, block: str = "") -> str:
    if form is None or not form.errors.get(name):
        return ""
    return "".join(
        f'<div class="invalid-feedback{block}" id="{error_id}">{escape(str(e))}</div>'
        for e in form.errors[name]
    )


def _value(form, name: str) -> str:
    value = form.data.get(name, "") if form is not None else ""
    return escape(str(value))


def ratings(prefix: str, ratings_list, chosen: str) -> str:
    """The five O-SCORE buttons (radios): a number and a few words each; the full anchor
    is the accessible name. `chosen`: the value checked, as a string ("" for none)."""
    buttons = []
    for value, short, anchor in ratings_list:
        checked = " checked" if str(value) == chosen else ""
        buttons.append(
            f'<input type="radio" class="btn-check" name="autonomy" value="{value}" '
            f'id="{prefix}-r{value}" required{checked}>'
            f'<label class="btn btn-outline-primary rating" for="{prefix}-r{value}">'
            f'<span aria-hidden="true"><span class="rating-n">{value}</span>'
            f'<span class="rating-words">{escape(short)}</span></span>'
            f'<span class="visually-hidden">{escape(anchor)}</span></label>'
        )
    return f'<div class="ratings">{"".join(buttons)}</div>'


@register.simple_tag
def rating_buttons(prefix: str, ratings_list, chosen) -> str:
    """The same buttons for the "Sign off selected" panel."""
    return mark_safe(ratings(prefix, ratings_list, "" if chosen is None else str(chosen)))


def _flag(entry) -> str:
    """An ablation's teaching flag (procedures.series), or a labrum or ligament
    injection's (procedures.stress), to see before signing."""
    flag = getattr(entry, "flag", None)
    if flag is None:
        return ""
    return (
        '<div class="small mt-1 queue-flag"><span class="badge text-bg-warning">Teaching flag'
        f"</span> {escape(flag.label)}</div>"
    )


def _notes(entry) -> str:
    """What the apps above say of the entry (procedures.panels.queue_notes): the trainee's
    entrustment level in its competency, a lapse in warning colours."""
    lines = []
    for note in getattr(entry, "notes", ()):
        badge = "text-bg-warning" if note.get("warning") else "text-bg-light border"
        lines.append(
            f'<div class="small mt-1 queue-note">{escape(note["label"])}: '
            f'<span class="badge {badge}">{escape(note["value"])}</span></div>'
        )
    return "".join(lines)


def _safety(entry) -> str:
    """A safety-bundle case's flags (procedures.safety): red ones first."""
    rows = []
    for flag in getattr(entry, "safety_flags", ()):
        badge = "text-bg-danger" if flag.red else "text-bg-warning"
        words = "Red flag" if flag.red else "Teaching flag"
        rows.append(
            f'<div class="small mt-1 queue-flag"><span class="badge {badge}">{words}</span> '
            f"{escape(flag.label)}</div>"
        )
    return "".join(rows)


def _acknowledge(entry, signing) -> str:
    """The box a supervisor ticks to sign an entry with a red flag."""
    red = [f for f in getattr(entry, "safety_flags", ()) if f.red]
    if not red:
        return ""
    pk = entry.pk
    error = _errors(signing, "acknowledge", f"e{pk}-acknowledge-error", " d-block")
    described = f' aria-describedby="e{pk}-acknowledge-error"' if error else ""
    words = escape("; ".join(f.label.lower() for f in red))
    return (
        '<div class="form-check mt-2">'
        f'<input class="form-check-input{" is-invalid" if error else ""}" type="checkbox" '
        f'name="acknowledge" id="e{pk}-acknowledge"{described}>'
        f'<label class="form-check-label" for="e{pk}-acknowledge">I acknowledge the red '
        f"flag: {words}</label>{error}</div>"
    )


@register.simple_tag(takes_context=True)
def queue_row(context, entry) -> str:
    pk = entry.pk
    token = escape(str(context.get("csrf_token", "")))
    chosen = context.get("chosen_trainee")
    hidden = (
        f'<input type="hidden" name="csrfmiddlewaretoken" value="{token}">'
        '<input type="hidden" name="from" value="queue">'
        f'<input type="hidden" name="submission" value="{entry.submission or ""}">'
        + (f'<input type="hidden" name="trainee" value="{chosen.pk}">' if chosen else "")
        + f'<input type="hidden" name="page" value="{context["page_obj"].number}">'
    )
    signing = entry.refused_form if entry.refused == "sign_off" else None
    returning = entry.refused_form if entry.refused == "return" else None
    name = escape(entry.procedure.name)
    trainee = escape(str(entry.trainee))
    performed = date_format(entry.performed_on, "j M Y")
    limit = context["max_comment"]

    autonomy_error = _errors(signing, "autonomy", f"e{pk}-autonomy-error", " d-block")
    described = f' aria-describedby="e{pk}-autonomy-error"' if autonomy_error else ""
    comment_error = _errors(signing, "comment", f"e{pk}-comment-error")
    comment = _value(signing, "comment")
    password = ""
    if context.get("ask_password"):
        password_error = _errors(signing, "password", f"e{pk}-password-error")
        invalid = " is-invalid" if password_error else ""
        errors_id = f" e{pk}-password-error" if password_error else ""
        password = (
            '<div class="mt-2 row-password">'
            f'<label class="form-label small mb-1" for="e{pk}-password">Your password</label>'
            f'<input type="password" class="form-control{invalid}" name="password" '
            f'id="e{pk}-password" autocomplete="current-password" required '
            f'aria-describedby="e{pk}-password-help{errors_id}">{password_error}'
            f'<div class="form-text" id="e{pk}-password-help">{PASSWORD_HELP}</div></div>'
        )
    return_error = _errors(returning, "comment", f"e{pk}-return-error")
    return_described = f' aria-describedby="e{pk}-return-error"' if return_error else ""

    html = (
        f'<li class="list-group-item queue-item" id="entry-{pk}">'
        '<div class="d-flex gap-3 align-items-start">'
        f'<input class="form-check-input queue-select mt-1 flex-shrink-0" type="checkbox" '
        f'form="bulk-signoff" name="entries" value="{pk}:{entry.submission or ""}" '
        f'id="select-{pk}"{" checked" if entry.selected else ""} '
        f'aria-label="Select {name} by {trainee} on {performed}">'
        '<div class="flex-grow-1 min-w-0">'
        '<div class="d-flex flex-wrap justify-content-between gap-1">'
        f'<a class="fw-semibold" href="{entry.get_absolute_url()}">{name}</a>'
        '<span class="small text-body-secondary">waiting since '
        f"{date_format(entry.submitted_at, 'j M')}</span></div>"
        f"<div>{trainee} · {performed}</div>{entry_facts(entry)}{_notes(entry)}"
        f"{_flag(entry)}{_safety(entry)}</div></div>"
        # Sign off: a rating, the password when it is due, the button.
        f'<form method="post" action="{reverse("procedures:entry_sign_off", args=[pk])}" '
        f'class="queue-signoff mt-2">{hidden}'
        f"<fieldset{described}>"
        f'<legend class="visually-hidden">Autonomy (O-SCORE) for {name} by {trainee}</legend>'
        + ratings(f"e{pk}", context["ratings"], _value(signing, "autonomy"))
        + f"{autonomy_error}</fieldset>"
        f'<details class="mt-2"{" open" if comment or comment_error else ""}>'
        '<summary class="small">Add a comment</summary>'
        f'<label class="form-label visually-hidden" for="e{pk}-comment">Comment (optional)</label>'
        f'<textarea class="form-control mt-1{" is-invalid" if comment_error else ""}" '
        f'name="comment" id="e{pk}-comment" rows="2" data-max-length="{limit}">{comment}'
        f"</textarea>{comment_error}</details>{_acknowledge(entry, signing)}{password}"
        '<div class="d-flex flex-wrap gap-2 mt-2 align-items-start">'
        '<button type="submit" class="btn btn-success">Sign off</button></div></form>'
        # Return: what needs correcting, then the button.
        f'<details class="queue-return mt-2"{" open" if returning is not None else ""}>'
        '<summary class="small">Return to trainee…</summary>'
        f'<form method="post" action="{reverse("procedures:entry_return", args=[pk])}" '
        f'class="mt-1">{hidden}'
        f'<label class="form-label" for="e{pk}-return">What needs correcting</label>'
        f'<textarea class="form-control{" is-invalid" if return_error else ""}" name="comment" '
        f'id="e{pk}-return" rows="2" data-max-length="{limit}" required{return_described}>'
        f"{_value(returning, 'comment')}</textarea>{return_error}"
        '<button type="submit" class="btn btn-outline-danger mt-2">Return to trainee</button>'
        "</form></details></li>"
    )
    return mark_safe(html)  # every value above is escaped
