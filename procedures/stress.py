"""Stress ultrasound as data (issue 11, point 3): an instability examination's finding,
computed from its measurements, and the injections it justifies.

A stress ultrasound examination measures, on the side examined and on the other side, a
distance at rest and under stress (a joint's translation, a ligament's gapping), in mm.
The finding is **lax** when the side examined opens more than the other by at least the
structure's threshold:

    (stress − rest on the side examined) − (stress − rest on the other side) ≥ threshold

and **stable** otherwise; none until the four measurements are in. The thresholds live in
the catalogue (`StressStructure.threshold_mm`, curriculum/data/default_curriculum.toml),
each with its source, and a program may set its own there.

Why it matters: a posterior labral tear is often the result of posterior glenohumeral
instability, which stress ultrasound shows and an injection of the labrum alone does not
treat. A labrum or ligament injection (`ProcedureType.needs_stress_exam`) carries a
teaching flag when the trainee recorded no stress examination of that joint and side in
the 90 days before it.
"""

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.db import models

from .models import Entry, ProcedureType, Side

EXAM_WINDOW_DAYS = 90
MEASUREMENTS = ("rest_mm", "stress_mm", "other_rest_mm", "other_stress_mm")


class Finding(models.TextChoices):
    STABLE = "stable", "Stable"
    LAX = "lax", "Lax"


def measured(entry: Entry) -> bool:
    """The four measurements and the structure are recorded."""
    return entry.stress_structure_id is not None and all(
        getattr(entry, name) is not None for name in MEASUREMENTS
    )


def side_to_side(entry: Entry) -> Decimal | None:
    """How much more the side examined opens under stress than the other side, in mm."""
    if not all(getattr(entry, name) is not None for name in MEASUREMENTS):
        return None
    return (entry.stress_mm - entry.rest_mm) - (entry.other_stress_mm - entry.other_rest_mm)


def finding(entry: Entry, threshold_mm: Decimal) -> Finding | None:
    difference = side_to_side(entry)
    if difference is None:
        return None
    return Finding.LAX if difference >= threshold_mm else Finding.STABLE


def covers(exam: Entry, injection: Entry) -> bool:
    """Whether `exam` (a stress examination, loaded with its structure) justifies
    `injection`: the same joint, the same side (or both sides examined), performed in the
    90 days up to the injection."""
    if exam.stress_structure is None:
        return False
    if exam.stress_structure.joint != injection.procedure.region:
        return False
    if exam.side not in (injection.side, Side.BILATERAL):
        return False
    days = (injection.performed_on - exam.performed_on).days
    return 0 <= days <= EXAM_WINDOW_DAYS


class ExamFlag(models.TextChoices):
    NO_EXAM = (
        "no_exam",
        "No stress ultrasound examination of this joint and side in the 90 days before",
    )


NO_EXAM = ExamFlag.NO_EXAM


def exam_flags(entries) -> dict[int, ExamFlag]:
    """{entry id: flag} for the labrum and ligament injections among `entries` (loaded with
    their procedure) that no stress examination of the trainee's covers. One query at most
    (the trainees' examinations in the dates concerned), none without such an injection."""
    wanted = [e for e in entries if e.procedure.needs_stress_exam]
    if not wanted:
        return {}
    earliest = min(e.performed_on for e in wanted) - timedelta(days=EXAM_WINDOW_DAYS)
    latest = max(e.performed_on for e in wanted)
    exams = list(
        Entry.objects.filter(
            trainee_id__in={e.trainee_id for e in wanted},
            procedure__kind=ProcedureType.Kind.STRESS_EXAM,
            performed_on__gte=earliest,
            performed_on__lte=latest,
            stress_structure__isnull=False,
        )
        .exclude(status=Entry.Status.DRAFT)
        .select_related("stress_structure")
    )
    flags = {}
    for entry in wanted:
        if not any(e.trainee_id == entry.trainee_id and covers(e, entry) for e in exams):
            flags[entry.pk] = NO_EXAM
    return flags


@dataclass(frozen=True)
class ExamSection:
    """The entry page's stress examination: the measurements, the difference, the finding."""

    entry: Entry

    @property
    def structure(self):
        return self.entry.stress_structure

    @property
    def difference(self) -> Decimal | None:
        return side_to_side(self.entry)

    @property
    def finding(self) -> Finding | None:
        if self.structure is None:
            return None
        return finding(self.entry, self.structure.threshold_mm)

    @property
    def other_side(self) -> str:
        return {Side.LEFT: "Right", Side.RIGHT: "Left"}.get(self.entry.side, "Other side")
