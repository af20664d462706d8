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
from django.forms.widgets import ChoiceWidget
from django.utils.safestring import mark_safe

register = template.Library()

CHOICE_INPUTS = (forms.CheckboxSelectMultiple, forms.RadioSelect)


def _esc(value) -> str:
    """conditional_escape() without its lazy-string wrapper (a field calls it a dozen
    times): safe strings as they are, anything else escaped as Django escapes it."""
    if hasattr(value, "__html__"):
        return value.__html__()
    return escape(str(value))


def _attrs(attrs: dict) -> str:
    """flatatt() without its per-call overhead: options are rendered by the hundred."""
    parts = []
    for key, value in attrs.items():
        if value is True:
            parts.append(f" {key}")
        elif value is not False and value is not None:
            parts.append(f' {key}="{escape(str(value))}"')
    return "".join(parts)


def choice_groups(widget: ChoiceWidget, name: str, value: list, attrs: dict) -> list:
    """What ChoiceWidget.optgroups gives, with each option's "value", "label", "attrs"
    and "type" only: Django makes every option a dict of ten entries and copies the
    widget's attributes for each, which cost the entry form's nineteen rows of choices
    a millisecond (its rule of which option is selected, its ids and its checked
    attribute are kept; tests/procedures/test_field_tag.py holds the two alike)."""
    groups = []
    has_selected = False
    inherited = widget.build_attrs(widget.attrs, attrs) if widget.option_inherits_attrs else {}
    for index, (option_value, option_label) in enumerate(widget.choices):
        if option_value is None:
            option_value = ""
        if isinstance(option_label, (list, tuple)):
            group_name, subindex, choices = option_value, 0, option_label
        else:
            group_name, subindex, choices = None, None, [(option_value, option_label)]
        subgroup = []
        groups.append((group_name, subgroup, index))
        for subvalue, sublabel in choices:
            selected = (not has_selected or widget.allow_multiple_selected) and str(
                subvalue
            ) in value
            has_selected |= selected
            option_attrs = dict(inherited)
            if selected:
                option_attrs.update(widget.checked_attribute)
            if "id" in option_attrs:
                position = f"{index}_{subindex}" if subindex is not None else str(index)
                option_attrs["id"] = widget.id_for_label(option_attrs["id"], position)
            subgroup.append(
                {
                    "value": subvalue,
                    "label": sublabel,
                    "attrs": option_attrs,
                    "type": widget.input_type,
                }
            )
            if subindex is not None:
                subindex += 1
    return groups


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
    name, value = bound_field.html_name, bound_field.value()
    if isinstance(field_widget, ChoiceWidget):
        # The widget's own context without its optgroups, then those made here.
        widget = forms.Widget.get_context(field_widget, name, value, attrs)["widget"]
        widget["optgroups"] = choice_groups(field_widget, name, widget["value"], widget["attrs"])
    else:
        widget = field_widget.get_context(name, value, attrs)["widget"]
    attrs = dict(widget["attrs"])
    if isinstance(field_widget, CHOICE_INPUTS):
        return _checks(widget, invalid)
    if isinstance(field_widget, forms.Select):
        attrs["class"] = f"form-select{invalid} {attrs.get('class', '')}".strip()
        multiple = " multiple" if widget.get("allow_multiple_selected") else ""
        return mark_safe(  # every value is escaped, here and in _options
            f'<select name="{_esc(widget["name"])}"{_attrs(attrs)}{multiple}>'
            f"{_options(widget['optgroups'])}</select>"
        )
    if isinstance(field_widget, forms.Textarea):
        attrs["class"] = f"form-control{invalid} {attrs.get('class', '')}".strip()
        return mark_safe(
            f'<textarea name="{_esc(widget["name"])}"{_attrs(attrs)}>\n'
            f"{_esc(widget['value'] or '')}</textarea>"
        )
    value = f' value="{_esc(widget["value"])}"' if widget["value"] is not None else ""
    if isinstance(field_widget, forms.HiddenInput):
        return mark_safe(
            f'<input type="hidden" name="{_esc(widget["name"])}"{value}{_attrs(attrs)}>'
        )
    attrs["class"] = f"form-control{invalid} {attrs.get('class', '')}".strip()
    return mark_safe(
        f'<input type="{_esc(widget["type"])}" name="{_esc(widget["name"])}"{value}{_attrs(attrs)}>'
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
    asterisk = '<span class="asteriskField">*</span>' if bound_field.field.required else ""
    grouped = isinstance(bound_field.field.widget, CHOICE_INPUTS)
    if grouped:
        label_html = f'<legend class="form-label fs-6">{_esc(text)}{asterisk}</legend>'
    else:
        label_html = (
            f'<label for="{_esc(field_id)}" class="form-label">{_esc(text)}{asterisk}</label>'
        )
    errors = "".join(
        f'<div class="invalid-feedback d-block"><strong>{_esc(e)}</strong></div>'
        for e in bound_field.errors
    )
    if error_id:
        errors = f'<div id="{_esc(error_id)}">{errors}</div>'
    help_html = (
        f'<div id="{_esc(help_id)}" class="form-text">{_esc(bound_field.help_text)}</div>'
        if help_id
        else ""
    )
    tag = "fieldset" if grouped else "div"
    # Every value above is escaped (_esc), or is the widget rendered above.
    return mark_safe(
        f'<{tag} id="div_{_esc(field_id)}" class="mb-3">{label_html}{widget}{errors}{help_html}</{tag}>'
    )
