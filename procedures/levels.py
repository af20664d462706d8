"""Vertebral levels: parsing, normalising and checking them against a spinal region.

Levels are written the way clinicians write them: single levels ("L4") or adjacent
segments ("L4-L5", "L4–L5", "l4/l5"), separated by commas. They are stored normalised
("L4–L5, L5–S1", with an en dash) so that the same levels always read the same.
"""

import re

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

_SEGMENT = re.compile(r"^([CTLS]\d{1,2})(?:\s*[-–—/]\s*([CTLS]\d{1,2}))?$")


class LevelError(ValueError):
    """A level string that cannot be accepted; the message is shown to the user."""


def parse_levels(text: str, region: str) -> str:
    """Return `text` normalised, or raise LevelError saying what is wrong.

    `region` is a ProcedureType.Region value; regions without levels accept none.
    """
    allowed = REGION_LEVELS.get(region)
    if allowed is None:
        raise LevelError("This procedure is not done at vertebral levels; leave Levels empty.")
    parts = [p.strip() for p in re.split(r"[,;]", text) if p.strip()]
    if not parts:
        raise LevelError("Enter the vertebral level or levels, for example L4–L5.")
    normalised = []
    for part in parts:
        match = _SEGMENT.match(part.upper())
        if not match:
            raise LevelError(
                f"“{part}” is not a vertebral level. Write levels like L4 or L4–L5, "
                "separated by commas."
            )
        upper, lower = match.group(1), match.group(2)
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
