"""Model choice fields that refuse anything that cannot be a database id before querying,
and choice widgets that copy their choices without normalising them again.

Django looks a submitted value up as it comes: "9223372036854775808" overflows SQLite's
integers (and PostgreSQL's bigint), which is a 500 instead of "Select a valid choice".
"""

import copy
import re

from django import forms
from django.core.exceptions import ValidationError

ID = re.compile(r"[0-9]{1,18}")


def _is_id(value) -> bool:
    return isinstance(value, int) or bool(ID.fullmatch(str(value).strip()))


class IdModelChoiceField(forms.ModelChoiceField):
    def to_python(self, value):
        if value not in self.empty_values and not isinstance(value, self.queryset.model):
            if not _is_id(value):
                raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)


class IdModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    def _check_values(self, value):
        for item in value:
            if not _is_id(item):
                raise ValidationError(
                    self.error_messages["invalid_choice"],
                    code="invalid_choice",
                    params={"value": item},
                )
        return super()._check_values(value)


class SettledChoices:
    """A choice widget that copies its choices as they are. Every form copies its fields
    (BaseForm.__init__), and Django's ChoiceWidget.__deepcopy__ sets the copy's choices
    through the setter, which normalises them again, though they were normalised when
    set: the entry form's thirty-nine choice widgets spent about 2 ms of each page on it
    (measured on the benchmark's "Log a procedure"). The same copy, without that pass."""

    def __deepcopy__(self, memo):
        obj = copy.copy(self)
        obj.attrs = self.attrs.copy()
        obj._choices = copy.copy(self._choices)
        memo[id(self)] = obj
        return obj


_SETTLED: dict[type, type] = {}


def settle_choices(widget: forms.Widget) -> None:
    """Make a choice widget (a Select, RadioSelect, CheckboxSelectMultiple…) one that
    copies its choices as they are (`SettledChoices`); it stays an instance of its own
    class. Other widgets are left alone."""
    if not isinstance(widget, forms.widgets.ChoiceWidget) or isinstance(widget, SettledChoices):
        return
    kind = type(widget)
    if kind not in _SETTLED:
        _SETTLED[kind] = type(kind.__name__, (SettledChoices, kind), {"__module__": __name__})
    widget.__class__ = _SETTLED[kind]
