"""The DOPS as pages show them: on an entry's page (a panel, procedures.panels), on
Progress and in the portfolio, each with its rating in O-SCORE words, its comments and the
requirement it counts for."""

from django.http import HttpRequest
from django.urls import reverse

from procedures.models import Entry
from programs.models import Enrollment, Program

from .models import ObservedAssessment
from .progress import assessment_requirements, dops_target


def with_counts_for(assessments: list[ObservedAssessment], program: Program | None) -> list:
    """Set `counts_for` and `counts` on these DOPS (read `with_related`): the requirement
    of `program` each counts for, as the progress engine decides it (`dops_target`), and
    whether its rating reaches that requirement's minimum.

    A DOPS whose own requirement is still an active one of `program`, in an active stage,
    is taken at its word (the form checked that it matches); the program's curriculum is
    read only for the others: DOPS recorded before the form asked, and those whose
    requirement was retired or is another program's, which the engine does not count for
    it. (The engine also leaves out a DOPS older than a requirement's window; pages list it
    with the requirement it was for.)"""
    requirements = by_id = None
    for a in assessments:
        own = a.requirement
        if own is not None and program is not None and _still_the_programs(own, program):
            target = own
        else:
            if requirements is None:
                requirements = assessment_requirements(program) if program is not None else []
                by_id = {r.pk: r for r in requirements}
            target = dops_target(
                requirements, a.requirement_id, a.procedure_id, a.guidance, a.rating, by_id=by_id
            )
        a.counts_for = target
        a.counts = target is not None and a.rating >= (target.min_autonomy or 0)
    return assessments


def _still_the_programs(requirement, program: Program) -> bool:
    stage = requirement.stage
    return requirement.active and stage.active and stage.program_id == program.pk


def _assessing_enrollment(user, trainee_id: int) -> int | None:
    """The active enrollment of this trainee that names `user` as a supervisor (the first
    if several): where a DOPS they record goes. One query."""
    if user.pk == trainee_id:
        return None
    return (
        Enrollment.objects.current(trainee_id)
        .filter(supervisors=user)
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
    if assessments:  # what each counts for is the program's to say
        enrollment = Enrollment.objects.current(entry.trainee_id).select_related("program").first()
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
