"""procedures.fields.SettledChoices: a choice widget copied without normalising its
choices again gives the copy Django's own copy would, independent of the original."""

import copy

from django import forms

from procedures.fields import SettledChoices, settle_choices
from procedures.forms import EntryForm


def test_every_choice_widget_of_the_entry_form_is_settled():
    for name, field in EntryForm.base_fields.items():
        if isinstance(field.widget, forms.widgets.ChoiceWidget):
            assert isinstance(field.widget, SettledChoices), name


def test_a_settled_copy_is_djangos_copy():
    choices = [("a", "A"), ("Group", [("b", "B"), ("c", "C")])]
    plain = forms.RadioSelect(attrs={"data-buttons": True}, choices=choices)
    settled = forms.RadioSelect(attrs={"data-buttons": True}, choices=choices)
    settle_choices(settled)
    assert isinstance(settled, forms.RadioSelect)
    ours, theirs = copy.deepcopy(settled), copy.deepcopy(plain)
    assert ours.choices == theirs.choices and ours.attrs == theirs.attrs
    assert ours.render("x", "b") == theirs.render("x", "b")
    # The copy is its own: changing it leaves the original as it was.
    ours.choices.append(("d", "D"))
    ours.attrs["class"] = "changed"
    assert ("d", "D") not in settled.choices and "class" not in settled.attrs


def test_other_widgets_are_left_alone():
    widget = forms.TextInput()
    settle_choices(widget)
    assert type(widget) is forms.TextInput
