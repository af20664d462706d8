"""Home (`/`): what to do next, one section per role the user holds (issue 10 point 4).

- Trainee: returned entries to fix (with the supervisor's comment), drafts older than a
  week, entries waiting on the supervisor for more than two weeks, and the next requirement
  to work on from the progress engine.
- Supervisor: how many entries wait in the Sign-off queue, and those waiting more than 30
  days (the rule Cohort uses, procedures.backlog).
- Director: Cohort's flags over the programs they direct: sign-offs waiting more than 30
  days per supervisor, entries returned and not resubmitted, signatures that no longer
  match their entry.

Someone holding several roles sees each of their sections. Every list is read a bounded
amount at a time: LIST_LIMIT items shown and a count that stops at
procedures.backlog.COUNT_CAP (the supervisor's list reads one more item and counts only
when there are more). The number of queries is the same with ten entries or a hundred
thousand.
"""

import operator
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from functools import reduce

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_safe

from procedures.backlog import COUNT_CAP, CappedCount, returned_count, waiting_by_supervisor
from procedures.models import Entry, EntryEvent
from procedures.signatures import signature_alerts
from programs.access import request_roles, supervisors_ever
from programs.dosimetry import since_last_quarter
from programs.models import DoseAlert, Enrollment, Program

from .progress import progress_for

LIST_LIMIT = 5
DRAFT_DAYS = 7  # a draft untouched since it was started this long ago is worth a reminder
WAITING_DAYS = 14  # a trainee's entry waiting this long: worth asking the supervisor about
OVERDUE_DAYS = 30  # as Cohort and the reminders (DESIGN §5)
PERSON = ["title", "first_name", "last_name", "username"]
# What an item of Home's lists shows of an entry (status and revision: the model's guard).
ENTRY_FIELDS = [
    "performed_on",
    "status",
    "revision",
    "created_at",
    "updated_at",
    "submitted_at",
    "procedure",
]


@dataclass
class ShortList:
    """Up to LIST_LIMIT items of a longer list, how many there are in all (a CappedCount),
    and where to see them all."""

    items: list
    total: CappedCount
    more_url: str = ""

    @property
    def more(self) -> CappedCount:
        return CappedCount(self.total - len(self.items))


def short_list(queryset: QuerySet, more_url: str = "") -> ShortList:
    """The first LIST_LIMIT of `queryset` (ordered), and the total: one query, two when
    there are more than LIST_LIMIT."""
    items = list(queryset[: LIST_LIMIT + 1])
    if len(items) <= LIST_LIMIT:
        return ShortList(items, CappedCount(len(items)), more_url)
    total = CappedCount(queryset.order_by()[: COUNT_CAP + 1].count())
    return ShortList(items[:LIST_LIMIT], total, more_url)


@dataclass
class NextRequirement:
    stage: object
    stage_number: int
    stages: int
    requirement: object  # RequirementProgress
    unmet: int  # requirements of the stage still unmet, this one included


@dataclass
class TraineeSection:
    returned: ShortList
    old_drafts: ShortList
    long_waiting: ShortList
    enrollment: Enrollment | None = None
    next: NextRequirement | None = None
    curriculum_complete: bool = False
    # The highest dose level (programs.dosimetry.Level) crossed this quarter or the last.
    dose_level: int | None = None


@dataclass
class SupervisorSection:
    """The queue's length is the navigation's `waiting_count` (counted once a request)."""

    overdue: ShortList
    oldest_days: int | None = None


@dataclass
class DirectorSection:
    programs: list[Program]
    overdue: list[dict] = field(default_factory=list)  # per supervisor, the longest first
    overdue_total: CappedCount = CappedCount(0)
    returned_total: CappedCount = CappedCount(0)
    signatures_total: int = 0

    @property
    def flagged(self) -> bool:
        return bool(self.overdue or self.returned_total or self.signatures_total)


def _logbook(status: str) -> str:
    return f"{reverse('procedures:entry_list')}?status={status}"


# Home's lists of the trainee's own entries, oldest first: {key: (status, the time the
# list goes by, how many days old that time must be, or None; the Logbook's filter)}.
OWN_LISTS = {
    "returned": (Entry.Status.RETURNED, "updated_at", None),
    "old_drafts": (Entry.Status.DRAFT, "created_at", DRAFT_DAYS),
    "long_waiting": (Entry.Status.SUBMITTED, "submitted_at", WAITING_DAYS),
}


def _own_lists(user, now) -> dict[str, ShortList]:
    """OWN_LISTS of `user`'s entries, each its first LIST_LIMIT and how many it has (up to
    the cap), in two queries whatever the size of the Logbook: one SQL statement for the
    ids and counts of all three, then those entries with what the lists show. Built through
    the ORM, the three lists and their counts took five queries and 6.4 ms on PostgreSQL
    (compiling each joined query cost more than running it), 4.0 ms on SQLite; these take
    2.8 and 1.5 (measured, 60 × 3,000 benchmark)."""
    table = Entry._meta.db_table
    parts, params = [], []
    for key, (status, column, days) in OWN_LISTS.items():
        where, where_params = "e.trainee_id = %s AND e.status = %s", [user.pk, status]
        if days is not None:
            where += f" AND e.{column} < %s"
            cutoff = now - timedelta(days=days)
            where_params.append(connection.ops.adapt_datetimefield_value(cutoff))
        parts += [
            f"SELECT %s, e.id, NULL FROM (SELECT e.id FROM {table} e WHERE {where}"
            f" ORDER BY e.{column}, e.id LIMIT {LIST_LIMIT}) e",
            f"SELECT %s, NULL, COUNT(*) FROM (SELECT 1 FROM {table} e WHERE {where}"
            f" LIMIT {COUNT_CAP + 1}) c",
        ]
        params += [key, *where_params, key, *where_params]
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        rows = cursor.fetchall()
    ids, totals = defaultdict(list), {}
    for key, pk, n in rows:
        if pk is None:
            totals[key] = CappedCount(n)
        else:
            ids[key].append(pk)
    shown = [pk for found in ids.values() for pk in found]
    # Only what the lists show: full entry rows with two joined tables cost more to build
    # and load than the queries take to run.
    entries = (
        Entry.objects.filter(trainee=user, pk__in=shown)
        .select_related("procedure", "supervisor")
        .only(*ENTRY_FIELDS, "procedure__name", *[f"supervisor__{name}" for name in PERSON])
        .order_by()
        .in_bulk()
        if shown
        else {}
    )
    lists = {}
    for key, (status, column, _) in OWN_LISTS.items():
        items = [entries[pk] for pk in ids[key] if pk in entries]
        items.sort(key=lambda e, column=column: (getattr(e, column), e.pk))
        lists[key] = ShortList(items, totals[key], _logbook(status))
    return lists


def _trainee_section(user, now) -> TraineeSection:
    """At most about eight queries, whatever the size of the Logbook."""
    lists = _own_lists(user, now)
    returned = lists["returned"]
    # The supervisor's words from each shown entry's latest return (one query).
    if returned.items:
        comments = {}
        for entry_id, comment in (
            EntryEvent.objects.filter(
                entry__in=[e.pk for e in returned.items], action=EntryEvent.Action.RETURNED
            )
            .order_by("entry_id", "at", "id")
            .values_list("entry_id", "comment")
        ):
            comments[entry_id] = comment  # the last one wins: the latest return
        for entry in returned.items:
            entry.return_comment = comments.get(entry.pk, "")
    old_drafts, long_waiting = lists["old_drafts"], lists["long_waiting"]
    for entry in old_drafts.items:
        entry.age_days = (now - entry.created_at).days
    for entry in long_waiting.items:
        entry.age_days = (now - entry.submitted_at).days
    section = TraineeSection(returned, old_drafts, long_waiting)
    # Personal dosimetry's banner (issue 12): a level crossed lately (one query).
    section.dose_level = (
        DoseAlert.objects.filter(person=user, quarter__gte=since_last_quarter(timezone.localdate()))
        .order_by("-level")
        .values_list("level", flat=True)
        .first()
    )

    # The same enrollment as the Progress page: the first active one. Its program's row is
    # not read: the progress engine reads the curriculum's version itself, and nothing here
    # names the program (the join cost 0.4 ms on PostgreSQL, measured).
    enrollment = Enrollment.objects.current(user).only("program").first()
    if enrollment is None:
        return section
    section.enrollment = enrollment
    progress = progress_for([enrollment])[enrollment.pk]
    current = progress.current_stage
    if current is None:
        section.curriculum_complete = progress.complete
        return section
    unmet = [r for r in current.requirements if not r.met]
    if unmet:
        section.next = NextRequirement(
            stage=current.stage,
            stage_number=progress.stages.index(current) + 1,
            stages=len(progress.stages),
            requirement=unmet[0],
            unmet=len(unmet),
        )
    return section


def _supervisor_section(user, now) -> SupervisorSection:
    """One query, two when more than LIST_LIMIT are overdue."""
    overdue = short_list(
        Entry.objects.awaiting(user)
        .filter(submitted_at__lt=now - timedelta(days=OVERDUE_DAYS))
        .select_related("procedure", "trainee")
        .only(*ENTRY_FIELDS, "procedure__name", *[f"trainee__{name}" for name in PERSON]),
        reverse("procedures:signoff_queue"),
    )
    for entry in overdue.items:
        entry.age_days = (now - entry.submitted_at).days
    section = SupervisorSection(overdue=overdue)
    if overdue.items:
        section.oldest_days = overdue.items[0].age_days
    return section


def _director_section(user, now) -> DirectorSection:
    """Cohort's flags over every program `user` directs, the programs taken together:
    about eight queries, however many programs, trainees or entries."""
    programs = list(Program.objects.filter(directors=user).order_by("name"))
    section = DirectorSection(programs=programs)
    # The programs' ids as a list (a director directs a few): as a nested subquery, the
    # planner ran the trainee list once per supervisor on PostgreSQL (46 ms at 60 trainees).
    trainee_ids = Enrollment.objects.filter(
        program__in=[p.pk for p in programs], active=True
    ).values("trainee_id")
    # Everyone who supervises, or once supervised, in any of the programs: one subquery.
    supervisors = (
        get_user_model()
        .objects.filter(reduce(operator.or_, (Q(pk__in=supervisors_ever(p)) for p in programs)))
        .values("pk")
    )
    overdue = waiting_by_supervisor(trainee_ids, supervisors, now - timedelta(days=OVERDUE_DAYS))
    if overdue:
        names = (
            get_user_model()
            .objects.only(*PERSON)
            .in_bulk([row["supervisor_id"] for row in overdue[:LIST_LIMIT]])
        )
        for row in overdue:
            row["supervisor"] = names.get(row["supervisor_id"])
            row["days"] = (now - row["oldest"]).days
    section.overdue = overdue[:LIST_LIMIT]
    section.overdue_total = CappedCount(min(sum(row["n"] for row in overdue), COUNT_CAP + 1))
    section.returned_total = returned_count(Entry.objects.filter(trainee_id__in=trainee_ids))
    # As Cohort: every trainee ever in the programs, a changed record is everyone's concern.
    everyone = Enrollment.objects.filter(program__in=[p.pk for p in programs]).values("trainee_id")
    section.signatures_total = signature_alerts(everyone).total
    return section


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    """The signed-in user's home: a section for each role they hold. Someone with no role
    yet (not enrolled as a trainee, supervising and directing nothing) is told why there is
    no Logbook here and who can change that."""
    flags = request_roles(request)  # the navigation's too: asked once
    now = timezone.now()
    context = {
        "page": "home",
        "no_role": not any(flags.values()),
        "trainee": _trainee_section(request.user, now) if flags["is_trainee"] else None,
        "supervisor": _supervisor_section(request.user, now) if flags["is_supervisor"] else None,
        "director": _director_section(request.user, now) if flags["is_director"] else None,
        "draft_days": DRAFT_DAYS,
        "waiting_days": WAITING_DAYS,
        "overdue_days": OVERDUE_DAYS,
    }
    return render(request, "curriculum/home.html", context)
