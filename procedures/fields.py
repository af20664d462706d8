"""Model choice fields that refuse anything that cannot be a database id before querying.

Django looks a submitted value up as it comes: "9223372036854775808" overflows SQLite's
integers (and PostgreSQL's bigint), which is a 500 instead of "Select a valid choice".
"""

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
