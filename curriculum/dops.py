"""The DOPS as pages show them: on an entry's page (a panel, procedures.panels), on
Progress and in the portfolio, each with its rating in O-SCORE words, its comments and the
requirement it counts for."""

from django.http import HttpRequest
from django.urls import reverse

from procedures.models import Entry
from programs.models import Enrollment, Program

from .models import ObservedAssessment
from .progress import assessment_requirements, matches, preferred_requirement


def with_counts_for(assessments: list[ObservedAssessment], program: Program | None) -> list:
    """Set `counts_for` and `counts` on these DOPS (read `with_related`): the requirement
    each was recorded against, or for one recorded before the form asked, the requirement
    of `program` that the engine counts it for (`preferred_requirement`); and whether its
    rating reaches that requirement's minimum. No query while the program's curriculum is
    cached (`program` is only read for DOPS without a requirement)."""
    requirements = None
    for a in assessments:
        if a.requirement_id is not None:
            target = a.requirement
        else:
            if requirements is None:
                requirements = assessment_requirements(program) if program is not None else []
            target = preferred_requirement(requirements, a.procedure_id, a.guidance, a.rating)
            if target is not None and not matches(target, a.procedure_id, a.guidance):
                target = None
        a.counts_for = target
        a.counts = target is not None and a.rating >= (target.min_autonomy or 0)
    return assessments


def _assessing_enrollment(user, trainee_id: int) -> int | None:
    """The active enrollment of this trainee that names `user` as a supervisor (the first
    if several): where a DOPS they record goes. One query."""
    if user.pk == trainee_id:
        return None
    return (
        Enrollment.objects.filter(trainee_id=trainee_id, supervisors=user, active=True)
        .order_by("start_date", "pk")
        .values_list("pk", flat=True)
        .first()
    )


def entry_assessments_panel(request: HttpRequest, entry: Entry) -> dict | None:
    """The entry page's DOPS section: the DOPS recorded on this entry that the user may
    read, and, for a supervisor who may assess the trainee, "Record a DOPS" prefilled from
    the entry. Nothing for a draft or when there is nothing to show. Two queries."""
    if entry.status == Entry.Status.DRAFT:
        return None
    assessments = list(
        ObservedAssessment.objects.visible_to(request.user)
        .filter(entry=entry)
        .with_related()
        .order_by("observed_on", "pk")
    )
    enrollment_pk = _assessing_enrollment(request.user, entry.trainee_id)
    if not assessments and enrollment_pk is None:
        return None
    program = None
    if any(a.requirement_id is None for a in assessments):  # recorded before it was asked
        enrollment = (
            Enrollment.objects.filter(trainee_id=entry.trainee_id, active=True)
            .select_related("program")
            .order_by("start_date", "pk")
            .first()
        )
        program = enrollment.program if enrollment else None
    with_counts_for(assessments, program)
    record_url = ""
    if enrollment_pk is not None:
        url = reverse("curriculum:assessment_create", args=[enrollment_pk])
        record_url = f"{url}?entry={entry.pk}"
    return {
        "template": "curriculum/_entry_dops.html",
        "assessments": assessments,
        "record_url": record_url,
    }
