"""Detect text that looks like a patient identifier.

Precept never stores patient names, record numbers or birth dates (DESIGN §3). Names
cannot be detected reliably, but record numbers and dates can: a run of seven or more
digits, or a full date in any common writing, is refused with an explanation.
"""

import re

_MONTHS = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
_DAY = r"\d{1,2}(?:st|nd|rd|th)?"
_SEP = r"[\s\-./,]*"
_PATTERNS = [
    (re.compile(r"\b\d{4}[-/.]\d{1,2}[-/.]\d{1,2}\b"), "a full date"),
    (re.compile(r"\b\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}\b"), "a full date"),
    # 12 March 1961, 12-Mar-1961, 12Mar1961, 12th of March 1961
    (re.compile(rf"\b{_DAY}(?:\s+of)?{_SEP}{_MONTHS}{_SEP}\d{{2,4}}\b", re.I), "a full date"),
    # March 12, 1961; Mar-12-1961
    (re.compile(rf"\b{_MONTHS}{_SEP}{_DAY}[\s\-./,]+\d{{2,4}}\b", re.I), "a full date"),
    (re.compile(r"\d(?:[ \-]?\d){6,}"), "a run of seven or more digits (a record number?)"),
]


def find_identifier(text: str) -> str | None:
    """Return a description of the first identifier-like run in `text`, or None."""
    for pattern, what in _PATTERNS:
        if pattern.search(text):
            return what
    return None
