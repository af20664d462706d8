"""`{% field %}`'s options (procedures.templatetags.fields.choice_groups) against Django's
own ChoiceWidget.optgroups: the same groups, values, labels, ids, selections and checked
attributes, for every choice widget of the entry form, empty and with choices made."""

import pytest

from procedures.forms import EntryForm
from procedures.models import Injectate, ProcedureType
from procedures.templatetags.fields import choice_groups
from tests.factories import entry_post

KEPT = ("value", "label", "attrs", "type")


def _comparable(groups):
    """The groups with each option's parts the tag uses, values and labels as text."""
    return [
        (
            group,
            [{k: str(o[k]) if k in ("value", "label") else o[k] for k in KEPT} for o in options],
            index,
        )
        for group, options, index in groups
    ]


@pytest.mark.parametrize("bound", [False, True])
def test_the_options_are_djangos(alice, bob, bound):
    data = entry_post(
        bob,
        injectates=Injectate.objects.get(slug="contrast").pk,
        carm_operator="radiographer",
        self_rating=4,
        age_band="40-49",
    )
    form = EntryForm(data if bound else None, trainee=alice)
    form.group_procedures([ProcedureType.objects.get(slug="lumbar-tfesi").pk])
    checked = 0
    for name, field in form.fields.items():
        widget = field.widget
        if not hasattr(widget, "optgroups"):
            continue
        bound_field = form[name]
        attrs = bound_field.build_widget_attrs(dict(widget.attrs))
        attrs["id"] = bound_field.auto_id
        attrs = widget.build_attrs(widget.attrs, attrs)
        value = widget.format_value(bound_field.value())
        theirs = _comparable(widget.optgroups(bound_field.html_name, value, attrs))
        ours = _comparable(choice_groups(widget, bound_field.html_name, value, attrs))
        assert ours == theirs, name
        checked += 1
    assert checked >= 15
