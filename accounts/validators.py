"""What a person's name may hold: no control characters.

A name is printed on pages, in signatures and in email subjects. A line break in it would
split an email header (Django refuses to send it: BadHeaderError), a tab or NUL is never
part of a name; all are typing or pasting accidents, or an attempt at header injection.
"""

import unicodedata

from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible

# Cc: C0 and C1 controls (NUL, tab, line feed, carriage return, ...); Zl, Zp: the Unicode
# line and paragraph separators, which some mail software also breaks lines at.
CONTROL_CATEGORIES = {"Cc", "Zl", "Zp"}


def has_control_characters(value: str) -> bool:
    return any(unicodedata.category(char) in CONTROL_CATEGORIES for char in value)


def one_line(value: str) -> str:
    """`value` with every control character (line breaks, tabs, NUL) as a single space."""
    cleaned = "".join(
        " " if unicodedata.category(char) in CONTROL_CATEGORIES else char for char in value
    )
    return " ".join(cleaned.split())


@deconstructible
class NoControlCharacters:
    """Refuse line breaks, tabs, NUL and other control characters, naming the field."""

    def __init__(self, what: str):
        self.what = what

    def __call__(self, value):
        if value and has_control_characters(str(value)):
            raise ValidationError(
                f"{self.what} cannot contain line breaks, tabs or other control characters.",
                code="control_characters",
            )

    def __eq__(self, other):
        return isinstance(other, NoControlCharacters) and other.what == self.what
