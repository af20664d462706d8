"""`{% field form.name %}`: a Bootstrap 5 form field rendered in Python.

Django renders every widget, and every <option> of a select, through a template of its
own, and crispy-forms adds a wrapper template per field: about 15 ms for the entry form,
five times the base page. DESIGN §8 wants trainee pages within 3× the base page, so the
pages people use at the point of care (Log a procedure, the Logbook filters, the queue)
render their fields here: the same markup as crispy-bootstrap5 (label, widget,
`is-invalid`, error and help text), built from the widget's own context, so widget
attributes, formats and choices still come from Django. Other forms keep `|crispy`.
"""

from html import escape

from django import forms, template
from django.forms.utils import flatatt
from django.utils.html import conditional_escape, format_html, format_html_join
from django.utils.safestring import mark_safe

register = template.Library()

CHOICE_INPUTS = (forms.CheckboxSelectMultiple, forms.RadioSelect)


def _attrs(attrs: dict) -> str:
    """flatatt() without its per-call overhead: options are rendered by the hundred."""
    parts = []
    for key, value in attrs.items():
        if value is True:
            parts.append(f" {key}")
        elif value is not False and value is not None:
            parts.append(f' {key}="{escape(str(value))}"')
    return "".join(parts)


def _options(optgroups) -> str:
    """<option>s, inside an <optgroup> where the choices are grouped; the option's attrs
    carry "selected" when it is chosen."""
    html = []
    for group, options, _ in optgroups:
        rows = "".join(
            f'<option value="{escape(str(option["value"]))}"{_attrs(option["attrs"])}>'
            f"{escape(str(option['label']))}</option>"
            for option in options
        )
        html.append(f'<optgroup label="{escape(str(group))}">{rows}</optgroup>' if group else rows)
    return "".join(html)


def _checks(widget: dict, invalid: str) -> str:
    """Checkboxes or radios; each option's attrs carry its id and "checked". A widget
    with `data-buttons` shows them as a row of buttons (Bootstrap's .btn-check): one tap
    each on a phone, where a <select> takes two."""
    rows = []
    name = escape(widget["name"])
    buttons = "data-buttons" in widget["attrs"]
    for _, options, _ in widget["optgroups"]:
        for option in options:
            attrs = {k: v for k, v in option["attrs"].items() if k not in ("class", "data-buttons")}
            if buttons:
                rows.append(
                    f'<input type="{option["type"]}" class="btn-check{invalid}" '
                    f'name="{name}" value="{escape(str(option["value"]))}"{_attrs(attrs)}>'
                    f'<label class="btn btn-outline-primary" '
                    f'for="{escape(str(attrs.get("id", "")))}">'
                    f"{escape(str(option['label']))}</label>"
                )
                continue
            rows.append(
                f'<div class="form-check"><input type="{option["type"]}" '
                f'class="form-check-input{invalid}" name="{name}" '
                f'value="{escape(str(option["value"]))}"{_attrs(attrs)}>'
                f'<label class="form-check-label" for="{escape(str(attrs.get("id", "")))}">'
                f"{escape(str(option['label']))}</label></div>"
            )
    if buttons:
        return mark_safe(f'<div class="choice-buttons">{"".join(rows)}</div>')  # escaped above
    return mark_safe("".join(rows))  # every value above is escaped


def render_widget(bound_field, describedby: str) -> str:
    field_widget = bound_field.field.widget
    invalid = " is-invalid" if bound_field.errors else ""
    attrs = bound_field.build_widget_attrs(dict(field_widget.attrs))
    if bound_field.auto_id and "id" not in attrs:
        attrs["id"] = bound_field.auto_id
    if describedby:
        attrs["aria-describedby"] = describedby
    if bound_field.errors:
        attrs["aria-invalid"] = "true"
    widget = field_widget.get_context(bound_field.html_name, bound_field.value(), attrs)["widget"]
    attrs = dict(widget["attrs"])
    if isinstance(field_widget, CHOICE_INPUTS):
        return _checks(widget, invalid)
    if isinstance(field_widget, forms.Select):
        attrs["class"] = f"form-select{invalid} {attrs.get('class', '')}".strip()
        multiple = mark_safe(" multiple") if widget.get("allow_multiple_selected") else ""
        return format_html(
            '<select name="{}"{}{}>{}</select>',
            widget["name"],
            flatatt(attrs),
            multiple,
            mark_safe(_options(widget["optgroups"])),  # every value is escaped there
        )
    if isinstance(field_widget, forms.Textarea):
        attrs["class"] = f"form-control{invalid} {attrs.get('class', '')}".strip()
        return format_html(
            '<textarea name="{}"{}>\n{}</textarea>',
            widget["name"],
            flatatt(attrs),
            widget["value"] or "",
        )
    if isinstance(field_widget, forms.HiddenInput):
        return format_html(
            '<input type="hidden" name="{}"{}{}>',
            widget["name"],
            format_html(' value="{}"', widget["value"]) if widget["value"] is not None else "",
            flatatt(attrs),
        )
    attrs["class"] = f"form-control{invalid} {attrs.get('class', '')}".strip()
    return format_html(
        '<input type="{}" name="{}"{}{}>',
        widget["type"],
        widget["name"],
        format_html(' value="{}"', widget["value"]) if widget["value"] is not None else "",
        flatatt(attrs),
    )


@register.simple_tag
def field(bound_field, *, label: str | None = None):
    """A whole Bootstrap field: label, widget, errors, help text."""
    if isinstance(bound_field.field.widget, forms.HiddenInput):
        return render_widget(bound_field, "")
    field_id = bound_field.auto_id
    help_id = f"{field_id}_helptext" if bound_field.help_text else ""
    error_id = f"{field_id}_error" if bound_field.errors else ""
    widget = render_widget(bound_field, " ".join(filter(None, [error_id, help_id])))
    text = label if label is not None else bound_field.label
    asterisk = (
        mark_safe('<span class="asteriskField">*</span>') if bound_field.field.required else ""
    )
    grouped = isinstance(bound_field.field.widget, CHOICE_INPUTS)
    if grouped:
        label_html = format_html('<legend class="form-label fs-6">{}{}</legend>', text, asterisk)
    else:
        label_html = format_html(
            '<label for="{}" class="form-label">{}{}</label>', field_id, text, asterisk
        )
    errors = format_html_join(
        "",
        '<div class="invalid-feedback d-block"><strong>{}</strong></div>',
        ((conditional_escape(e),) for e in bound_field.errors),
    )
    if error_id:
        errors = format_html('<div id="{}">{}</div>', error_id, errors)
    help_html = (
        format_html('<div id="{}" class="form-text">{}</div>', help_id, bound_field.help_text)
        if help_id
        else ""
    )
    tag = "fieldset" if grouped else "div"
    return format_html(
        '<{} id="div_{}" class="mb-3">{}{}{}{}</{}>',
        tag,
        field_id,
        label_html,
        widget,
        errors,
        help_html,
        tag,
    )
