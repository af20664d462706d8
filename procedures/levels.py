"""Vertebral levels: parsing, normalising and checking them against a spinal region.

Levels are written the way clinicians write them: single levels ("L4") or adjacent
segments, in full or in shorthand ("L4-L5", "L4–L5", "l4/l5", "L4-5", "L4/5", "C5-6",
"T12-L1", "L4 L5"), in any case and spacing, listed with commas, semicolons or "and"
("L3-4 and L4-5"). The lower level of a segment may leave out its letter when it is the
upper's ("L4-5" is L4–L5; "L5-S1" needs its S). They are stored normalised ("L4–L5,
L5–S1", with an en dash) so that the same levels always read the same.
"""

import re
import unicodedata

SPINE = (
    [f"C{i}" for i in range(1, 8)]
    + [f"T{i}" for i in range(1, 13)]
    + [f"L{i}" for i in range(1, 6)]
    + ["S1"]
)
_POSITION = {level: i for i, level in enumerate(SPINE)}

# Which single levels belong to a region. A segment belongs to the region of its upper
# level, so C7–T1 is cervical, T12–L1 thoracic and L5–S1 lumbar.
REGION_LEVELS = {
    "cervical": {lv for lv in SPINE if lv.startswith("C")},
    "thoracic": {lv for lv in SPINE if lv.startswith("T")},
    "lumbar": {lv for lv in SPINE if lv.startswith("L")} | {"S1"},
    "spine": set(SPINE),
}

# One level, or a segment: the upper level, then a dash, a slash or only spaces, then the
# lower level with or without its letter.
_SEGMENT = re.compile(
    r"^([CTLS])\s*(\d{1,2})(?:\s*[-/]\s*|\s+)(?:([CTLS])\s*)?(\d{1,2})$|^([CTLS])\s*(\d{1,2})$"
)
# Every dash a keyboard or a dictation app may produce, read as "-".
_DASHES = re.compile(r"[\u2010-\u2015\u2212\uFE58\uFE63\uFF0D]")
_LIST = re.compile(r"\s*(?:[,;&]|\bAND\b)\s*")


def _clean(text: str) -> str:
    """Full-width letters and digits, non-breaking spaces and every dash made plain."""
    return _DASHES.sub("-", unicodedata.normalize("NFKC", text)).upper()


class LevelError(ValueError):
    """A level string that cannot be accepted; the message is shown to the user."""


def parse_levels(text: str, region: str) -> str:
    """Return `text` normalised, or raise LevelError saying what is wrong.

    `region` is a ProcedureType.Region value; regions without levels accept none.
    """
    allowed = REGION_LEVELS.get(region)
    if allowed is None:
        raise LevelError("This procedure is not done at vertebral levels; leave Levels empty.")
    parts = [p.strip() for p in _LIST.split(_clean(text)) if p.strip()]
    if not parts:
        raise LevelError("Enter the vertebral level or levels, for example L4–L5.")
    normalised = []
    for part in parts:
        match = _SEGMENT.match(part)
        if not match:
            raise LevelError(
                f"“{part}” is not a vertebral level. Write levels like L4, L4–L5 or L4-5, "
                "separated by commas or “and”."
            )
        if match.group(5):  # a single level
            upper, lower = match.group(5) + match.group(6), None
        else:
            upper = match.group(1) + match.group(2)
            lower = (match.group(3) or match.group(1)) + match.group(4)
        for level in filter(None, (upper, lower)):
            if level not in _POSITION:
                raise LevelError(f"{level} is not a vertebral level (C1–C7, T1–T12, L1–L5, S1).")
        if upper not in allowed:
            raise LevelError(f"{upper} is outside this procedure’s region ({region}).")
        if lower is not None:
            if _POSITION[lower] != _POSITION[upper] + 1:
                raise LevelError(
                    f"{upper}–{lower} is not a pair of adjacent levels; write one segment, "
                    "for example L4–L5, or list levels separated by commas."
                )
            normalised.append(f"{upper}–{lower}")
        else:
            normalised.append(upper)
    if len(set(normalised)) != len(normalised):
        raise LevelError("A level is listed twice.")
    return ", ".join(normalised)
