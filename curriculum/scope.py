"""The Cohort's scope, shared by its pages (Cohort, its CSV, the committee view and the
calibration of ratings): one of the director's programs, optionally narrowed to one
supervisor's trainees."""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.http import Http404, HttpRequest

from programs.models import Enrollment, Program

# Only what the pages show of a person: the full user rows are wide.
PERSON = ["title", "first_name", "last_name", "username"]


@dataclass
class CohortScope:
    """What the Cohort page and its CSV show: one of the director's programs, optionally
    narrowed to one supervisor's trainees, and the filters that say so."""

    program: Program
    programs: list[Program]
    supervisors: list
    chosen_supervisor: object | None
    enrollments: QuerySet  # active enrollments in the scope, in display order

    @property
    def filters(self) -> dict[str, int]:
        """The query string that chooses this scope again (page links, the CSV link)."""
        filters = {"program": self.program.pk}
        if self.chosen_supervisor is not None:
            filters["supervisor"] = self.chosen_supervisor.pk
        return filters


def cohort_scope(request: HttpRequest) -> CohortScope:
    """The cohort the director asked for; 404 for someone who directs no program or for a
    program that is not theirs (missing and not yours look the same)."""
    programs = list(Program.objects.filter(directors=request.user).order_by("name"))
    if not programs:
        raise Http404("You direct no program.")
    program_param = request.GET.get("program", "")
    program = next((p for p in programs if str(p.pk) == program_param), None)
    if program is None:
        if program_param:  # someone else's program, or no program at all: looks the same
            raise Http404("No such program.")
        program = programs[0]

    # Only what the rows show: a page of wide user rows and fifty copies of the program
    # cost more to load than the rest of the page.
    enrollments = (
        Enrollment.objects.filter(program=program, active=True)
        .select_related("trainee")
        .only("program", "trainee", "start_date", *[f"trainee__{name}" for name in PERSON])
    )
    # A subquery, not a join: no DISTINCT over the program's enrollments, only the names.
    on_roster = Enrollment.supervisors.through.objects.filter(
        enrollment__program=program, enrollment__active=True
    ).values("user_id")
    supervisors = list(
        get_user_model()
        .objects.filter(pk__in=on_roster)
        .only(*PERSON)
        .order_by("last_name", "first_name", "username")
    )
    supervisor_param = request.GET.get("supervisor", "")
    chosen_supervisor = next((s for s in supervisors if str(s.pk) == supervisor_param), None)
    if chosen_supervisor is not None:
        enrollments = enrollments.filter(supervisors=chosen_supervisor)
    return CohortScope(
        program=program,
        programs=programs,
        supervisors=supervisors,
        chosen_supervisor=chosen_supervisor,
        enrollments=enrollments.order_by("trainee__last_name", "trainee__first_name", "pk"),
    )
