"""One background task for the stored figures a page read stale (Cohort: the trainees'
radiation medians and their competence counts), instead of one task per kind: queuing a
task writes a row, and Cohort's first view after a sign-off paid for two (PostgreSQL,
measured)."""

from dataclasses import dataclass, field

from django.db import transaction
from django_tasks import task

from programs.models import Enrollment

from .competence import competence_for
from .radiation import radiation_snapshots


@dataclass
class Later:
    """The enrollments whose figures a page has claimed for recomputing, by kind; `queue`
    asks the background for all of them at once, when the page's writes are committed."""

    radiation: list[int] = field(default_factory=list)
    competence: list[int] = field(default_factory=list)

    def queue(self) -> None:
        radiation, competence = sorted(self.radiation), sorted(self.competence)
        if radiation or competence:
            transaction.on_commit(
                lambda: refresh_snapshots.enqueue(radiation=radiation, competence=competence)
            )


@task()
def refresh_snapshots(*, radiation: list[int], competence: list[int]) -> None:
    """The task: recompute these enrollments' radiation figures and competence (the
    worker runs it)."""
    if radiation:
        radiation_snapshots(list(Enrollment.objects.filter(pk__in=radiation)), force=True)
    if competence:
        competence_for(list(Enrollment.objects.filter(pk__in=competence)))
