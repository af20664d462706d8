"""Recording dosimeter readings and what follows (issue 12, point 3): the rules are
programs.dosimetry's; this is the one door by which a reading is written, the levels it
crosses stored, and the program's directors told, once per crossing."""

from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from procedures.mail import email_on_commit
from programs.dosimetry import (
    DoseStatus,
    Level,
    Quantity,
    Reading,
    crossings,
    dose_status,
    limit_crossings,
    limits_of,
    quarter_words,
    since_last_quarter,
    years_ago,
)
from programs.models import DoseAlert, DoseReading, Enrollment

# The readings a page lists (the totals count every reading of the last five years).
LISTED = 12


def _readings(person_id: int, today: date) -> list[Reading]:
    return [
        Reading(
            period_end=end,
            doses={Quantity.WHOLE_BODY: wb, Quantity.LENS: ln, Quantity.EXTREMITY: ex},
        )
        for end, wb, ln, ex in DoseReading.objects.filter(
            person_id=person_id, period_end__gt=years_ago(today, 5)
        ).values_list("period_end", "whole_body", "lens", "extremity")
    ]


@dataclass
class Dosimetry:
    status: DoseStatus
    readings: list  # the latest LISTED DoseReadings
    alerts: list  # DoseAlerts of this quarter and the one before
    more: bool

    @property
    def alert_level(self) -> int | None:
        """The highest level crossed this quarter or the last (the banner's)."""
        return max((a.level for a in self.alerts), default=None)


def dosimetry_of(enrollment: Enrollment, today: date | None = None) -> Dosimetry:
    """The Radiation page's dosimetry section for the enrollment's trainee, under their
    program's limits: the last five years' readings (the totals; the latest LISTED are
    listed) and the recent alerts. Two queries."""
    today = today or timezone.localdate()
    person = enrollment.trainee_id
    rows = list(
        DoseReading.objects.filter(person_id=person, period_end__gt=years_ago(today, 5))
        .select_related("recorded_by")
        .order_by("-period_end", "-id")
    )
    alerts = list(
        DoseAlert.objects.filter(person_id=person, quarter__gte=since_last_quarter(today))
    )
    return Dosimetry(
        status=dose_status(
            [Reading(period_end=r.period_end, doses=r.doses) for r in rows],
            limits_of(enrollment.program),
            today,
        ),
        readings=rows[:LISTED],
        alerts=alerts,
        more=len(rows) > LISTED,
    )


def _enrollment_of(person) -> Enrollment | None:
    return Enrollment.objects.current(person).select_related("program").first()


def record_reading(
    *, person, by, period_start: date, period_end: date, whole_body, lens, extremity
) -> DoseReading:
    """Store a reading (the form has checked it), then the levels it makes the person's
    doses cross (programs.dosimetry): each crossing is stored once (DoseAlert), and the
    program's directors get one e-mail per quarter and quantity newly crossed, naming the
    highest level, if it is this quarter or the last. Older crossings (a backlog typed in)
    are stored and shown, not mailed: nothing can be done about them now."""
    today = timezone.localdate()
    with transaction.atomic():
        reading = DoseReading.objects.create(
            person=person,
            recorded_by=by,
            period_start=period_start,
            period_end=period_end,
            whole_body=whole_body,
            lens=lens,
            extremity=extremity,
        )
        enrollment = _enrollment_of(person)
        if enrollment is not None:
            _raise_alerts(person, enrollment, today)
    return reading


def _raise_alerts(person, enrollment: Enrollment, today: date) -> None:
    limits = limits_of(enrollment.program)
    readings = _readings(person.pk, today)
    found = crossings(readings, limits) | limit_crossings(readings, limits, today)
    known = set(DoseAlert.objects.filter(person=person).values_list("quarter", "quantity", "level"))
    recent = since_last_quarter(today)
    newly: dict = {}  # (quarter, quantity) → (highest level newly crossed, dose)
    for quarter, quantity, level, dose in sorted(found):
        if (quarter, quantity, level) in known:
            continue
        try:
            with transaction.atomic():
                DoseAlert.objects.create(
                    person=person, quarter=quarter, quantity=quantity, level=level, dose=dose
                )
        except IntegrityError:
            continue  # a concurrent reading stored this crossing (and mailed it) first
        if quarter >= recent and level >= newly.get((quarter, quantity), (0, None))[0]:
            newly[quarter, quantity] = (level, dose)
    if newly:
        directors = list(enrollment.program.directors.all())
        for (quarter, quantity), (level, dose) in sorted(newly.items()):
            _mail_directors(person, enrollment, directors, quarter, quantity, level, dose)


def _mail_directors(
    person, enrollment: Enrollment, directors: list, quarter, quantity: str, level, dose
) -> None:
    program = enrollment.program
    what = Level(level).label.lower()
    url = settings.PRECEPT_BASE_URL + reverse("curriculum:trainee_radiation", args=[enrollment.pk])
    for director in directors:
        email_on_commit(
            f"Precept: {person.display_name} reached the {what} ({Quantity(quantity).label})",
            f"{person.display_name}'s {Quantity(quantity).label} dose reached the {what} "
            f"of {program.name} in {quarter_words(quarter)}: {dose} mSv.\n\n"
            f"Their readings and totals are on their Radiation page: {url}\n",
            director.email,
        )
