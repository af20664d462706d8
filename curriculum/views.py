"""Progress pages: the trainee's Progress, a supervisor's trainees, a director's Cohort,
and the DOPS form. Numbers come from curriculum.progress; templates only display them."""

from collections import defaultdict
from datetime import timedelta
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import dateformat, timezone
from django.utils.html import escape
from django.utils.safestring import mark_safe

from procedures.backlog import CappedCount, returned_count, waiting_by_supervisor
from procedures.models import Entry, EntryEvent, Modality, MonthlyCount, ProcedureType
from procedures.signatures import signature_alerts
from programs.access import get_enrollment, supervisors_ever
from programs.dosimetry import Level
from programs.models import Enrollment

from .charts import Series, last_months, stacked_bars
from .cohort_facts import cohort_facts
from .competence import cohort_counts
from .competence_views import competency_param, progress_competence
from .dops import with_counts_for
from .forms import AssessmentForm
from .models import ObservedAssessment
from .progress import preferred_requirement, program_stages, progress_for
from .radiation import cohort_radiation
from .refresh import Later
from .scope import PERSON, CohortScope, cohort_scope
from .sorting import CohortSort

CHART_MONTHS = 12
# Only what "recent activity" shows: the full entry and user rows are wide.
RECENT_EVENT_FIELDS = [
    "at",
    "action",
    "entry_id",
    "entry_number",
    "performed_on",
    "procedure__name",
    *[f"actor__{name}" for name in PERSON],
]
PROGRESS_DOPS = 20  # the newest DOPS on Progress; the portfolio and the DOPS CSV have all
RETURNED_LIST_LIMIT = 50
COHORT_PAGE_SIZE = 50  # trainees per Cohort page; the CSV has them all


def _monthly_chart(trainee_id: int) -> dict:
    """Entries (all but drafts) per month by guidance over the last twelve months (one
    query of the stored monthly counts)."""
    months = last_months(timezone.localdate(), CHART_MONTHS)
    keys = [m.strftime("%Y-%m") for m in months]
    # Stored per-month counts (kept by database triggers): at most twelve rows per
    # guidance, however many entries the trainee has. In SQL: the ORM took 0.49 ms to build
    # what PostgreSQL answered in 0.10 (measured).
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT month, guidance, n FROM {MonthlyCount._meta.db_table}"
            " WHERE trainee_id = %s AND month >= %s AND month <= %s",
            [trainee_id, keys[0], keys[-1]],
        )
        rows = cursor.fetchall()
    counts = defaultdict(int)
    for month, guidance, n in rows:
        counts[month, guidance] = n
    series = [
        {
            "key": modality.value,
            "label": modality.label,
            "data": [counts[k, modality.value] for k in keys],
        }
        for modality in Modality
        if any(counts[k, modality.value] for k in keys)
    ]
    labels = [m.strftime("%b %Y") for m in months]
    return {
        "labels": labels,
        "series": series,
        # Drawn on the server as SVG: no chart library to download (issue 10 point 7).
        "svg": stacked_bars(
            [m.strftime("%b") for m in months],
            [Series(s["key"], s["label"], s["data"]) for s in series],
            titles=labels,
        ),
        "period": f"{labels[0]} to {labels[-1]}",
        # The same numbers as a table, for screen readers and for print.
        "rows": [
            {"label": label, "values": [s["data"][i] for s in series]}
            for i, label in enumerate(labels)
        ],
    }


def _progress_context(
    enrollment: Enrollment, competency: int | None = None, can_decide: bool = False
) -> dict:
    """What Progress shows of `enrollment`; reads the trainee's id only (the page names the
    trainee from `enrollment.trainee` when it is someone else's). `competency`: the one
    whose learning curve is shown."""
    progress = progress_for([enrollment])[enrollment.pk]
    trainee_id = enrollment.trainee_id
    events = list(
        EntryEvent.objects.filter(trainee_id=trainee_id)
        .exclude(action=EntryEvent.Action.CREATED)
        .select_related("procedure", "actor")
        .only(*RECENT_EVENT_FIELDS)
        .order_by("-at", "-id")[:8]
    )
    # The newest DOPS, with their ratings and comments; one more tells that there are more.
    assessments = list(
        ObservedAssessment.objects.filter(trainee_id=trainee_id)
        .with_related()
        .order_by("-observed_on", "-id")[: PROGRESS_DOPS + 1]
    )
    return {
        "enrollment": enrollment,
        "progress": progress,
        "events": events,
        "assessments": with_counts_for(assessments[:PROGRESS_DOPS], enrollment.program),
        "more_assessments": len(assessments) > PROGRESS_DOPS,
        "chart": _monthly_chart(trainee_id),
        # Stored with Cohort's facts: one query when nothing changed, not two.
        "bundle": cohort_facts([enrollment])[1].get(trainee_id),
        **progress_competence(enrollment, competency, can_decide),
    }


def my_progress(request: HttpRequest) -> HttpResponse:
    """The signed-in trainee's progress (their first active enrollment)."""
    # Not the trainee's row: they are the signed-in user, and their own page does not name
    # them (the join cost 0.3 ms on PostgreSQL, measured).
    enrollment = Enrollment.objects.current(request.user).select_related("program").first()
    if enrollment is None:
        return render(request, "curriculum/not_enrolled.html", {"page": "progress"})
    context = _progress_context(enrollment, competency_param(request))
    return render(request, "curriculum/progress.html", {"page": "progress", "own": True, **context})


def trainee_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """A trainee's progress for their supervisor or their program's director."""
    enrollment = get_enrollment(request, pk)
    own = enrollment.trainee_id == request.user.pk
    # Only the supervisors of an active enrollment see it here (programs.access).
    is_supervisor = enrollment.active and enrollment.supervisors.filter(pk=request.user.pk).exists()
    is_director = enrollment.program.directors.filter(pk=request.user.pk).exists()
    context = _progress_context(enrollment, competency_param(request), is_director and not own)
    return render(
        request,
        "curriculum/progress.html",
        {
            "page": "progress" if own else "trainees",
            "own": own,
            "can_assess": is_supervisor and not own,
            "can_decide": is_director and not own,
            **context,
        },
    )


def my_trainees(request: HttpRequest) -> HttpResponse:
    """A supervisor's trainees: current stage, overall progress, waiting for my sign-off."""
    enrollments = list(
        Enrollment.objects.filter(supervisors=request.user, active=True)
        .select_related("trainee", "program")
        .order_by("trainee__last_name", "trainee__first_name", "pk")
    )
    progress = progress_for(enrollments)
    waiting = dict(
        Entry.objects.awaiting(request.user)
        .order_by()
        .values("trainee_id")
        .annotate(n=Count("id"))
        .values_list("trainee_id", "n")
    )
    rows = [
        {"enrollment": e, "progress": progress[e.pk], "waiting": waiting.get(e.trainee_id, 0)}
        for e in enrollments
    ]
    return render(request, "curriculum/my_trainees.html", {"page": "trainees", "rows": rows})


def cohort_in_order(scope: CohortScope, sort: CohortSort):
    """(enrollments, progress) of the whole scope in `sort` order. By name: the queryset,
    paged in the database, and no progress yet (None). By a percent: every trainee's
    progress (the same bounded queries as one page, as for the CSV), sorted in Python."""
    if sort.key == "name":
        return sort.ordered(scope.enrollments), None
    everyone = list(scope.enrollments)
    progress = progress_for(everyone)
    return sort.by_progress(everyone, progress), progress


def _page_links(page, filters: dict) -> list[dict]:
    """Links to nearby pages, each keeping the filters; None where pages are elided."""
    links = []
    for number in page.paginator.get_elided_page_range(page.number, on_each_side=2):
        if number == page.paginator.ELLIPSIS:
            links.append(None)
        else:
            query = urlencode({**filters, "page": number})
            links.append({"number": number, "url": f"?{query}", "current": number == page.number})
    return links


def cohort(request: HttpRequest) -> HttpResponse:
    """The director's cohort: trainees × stages, a page of COHORT_PAGE_SIZE trainees at a
    time; old sign-offs and returned entries over the whole cohort."""
    scope = cohort_scope(request)
    program = scope.program
    stages = program_stages(program)
    sort = CohortSort.parse(request.GET.get("sort"), stages)
    ordered, everyone_progress = cohort_in_order(scope, sort)
    # get_page: a page number that is not one shows the first (or the last) page, never 500.
    page = Paginator(ordered, COHORT_PAGE_SIZE).get_page(request.GET.get("page"))
    enrollments = list(page.object_list)
    progress = everyone_progress or progress_for(enrollments)
    filters = {**scope.filters, **sort.filters}
    headings = [
        {"label": "Trainee", "key": "name"},
        {"label": "Overall", "key": "overall"},
        *(
            {"label": f"Stage {st.order}", "title": st.name, "key": f"stage-{st.order}"}
            for st in stages
        ),
    ]
    for heading in headings:
        query = urlencode({**scope.filters, "sort": sort.toggled(heading["key"])})
        heading.update(url=f"?{query}", aria_sort=sort.aria(heading["key"]))

    # The whole cohort (every page), as a subquery: no list of ids however many trainees.
    # Its backlog is read a bounded amount at a time (procedures.backlog): counts stop at
    # "100+" and the returned list at its oldest RETURNED_LIST_LIMIT.
    trainee_ids = scope.enrollments.order_by().values("trainee_id")
    cutoff = timezone.now() - timedelta(days=30)
    overdue = waiting_by_supervisor(trainee_ids, supervisors_ever(program), cutoff)
    # Returned entries as plain rows, and the people and procedures they name in one query
    # each: the joined query of model instances took longer to plan and load than these.
    in_cohort = Entry.objects.filter(trainee_id__in=trainee_ids)
    returned = list(
        in_cohort.filter(status=Entry.Status.RETURNED)
        .order_by("updated_at")
        .values("pk", "updated_at", "trainee_id", "supervisor_id", "procedure_id")[
            :RETURNED_LIST_LIMIT
        ]
    )
    returned_total = (
        CappedCount(len(returned))
        if len(returned) < RETURNED_LIST_LIMIT
        else returned_count(in_cohort)
    )
    by_id = {s.pk: s for s in scope.supervisors}
    named = {row["supervisor_id"] for row in overdue}
    named.update(row[key] for row in returned for key in ("trainee_id", "supervisor_id"))
    by_id.update(get_user_model().objects.only(*PERSON).in_bulk(named - set(by_id) - {None}))
    procedures = dict(
        ProcedureType.objects.filter(pk__in={row["procedure_id"] for row in returned}).values_list(
            "pk", "name"
        )
        if returned
        else ()
    )
    now = timezone.now()
    for row in overdue:
        row["supervisor"] = by_id.get(row["supervisor_id"])
        row["days"] = (now - row["oldest"]).days
    # The entry links: one reverse() for the page ("/entries/"), not one per row.
    entry_url = reverse("procedures:entry_detail", args=[0])[:-2]
    for row in returned:
        row["trainee"] = by_id.get(row["trainee_id"])
        row["supervisor"] = by_id.get(row["supervisor_id"])
        row["procedure"] = procedures.get(row["procedure_id"], "")
        row["html"] = _returned_item(row, entry_url)
    progress_url = reverse("curriculum:trainee_progress", args=[0])[:-2]
    flagged, bundles = cohort_facts(enrollments)
    later = Later()  # the stale figures' recomputing, one task for both kinds
    radiation = cohort_radiation(enrollments, program, later=later)
    competence = cohort_counts(enrollments, later=later)
    later.queue()
    rows = [
        _cohort_row(
            e,
            progress[e.pk],
            progress_url,
            flagged.get(e.trainee_id, 0),
            bundles.get(e.trainee_id),
            radiation.get(e.pk),
            competence.get(e.pk),
        )
        for e in enrollments
    ]
    # The whole program's, whichever supervisor is chosen: a changed record is everyone's
    # concern. Entries of past enrollments in the program count too.
    program_trainees = Enrollment.objects.filter(program=program).values("trainee_id")
    return render(
        request,
        "curriculum/cohort.html",
        {
            "page": "cohort",
            "program": program,
            "programs": scope.programs,
            "stages": stages,
            "rows": rows,
            "trainee_page": page,
            "page_links": _page_links(page, filters) if page.has_other_pages() else [],
            "csv_url": f"{reverse('curriculum:cohort_csv')}?{urlencode(filters)}",
            "sort": sort,
            "headings": headings,
            "supervisors": scope.supervisors,
            "chosen_supervisor": scope.chosen_supervisor,
            "overdue": overdue,
            "returned": returned,
            "returned_total": returned_total,
            "signatures": signature_alerts(program_trainees),
        },
    )


def _returned_item(row: dict, entry_url: str) -> str:
    """One item of Cohort's list of returned entries as HTML, made here as the matrix rows
    are: the template took 3.0 ms to write the fifty items on SQLite (a date filter and five
    lookups each), these 1.5 (measured). The names are escaped; the date is the template's
    ("j M", in the current time zone)."""
    trainee, supervisor = row["trainee"], row["supervisor"]
    on = dateformat.format(timezone.localtime(row["updated_at"]), "j M")
    return mark_safe(  # noqa: S308 (every part is escaped or a number)
        f'<li class="list-group-item small"><a href="{escape(entry_url)}{row["pk"]}/">'
        f"{escape(row['procedure'])}</a> · {escape(trainee) if trainee else '—'}"
        f" · returned by {escape(supervisor) if supervisor else '—'} on {escape(on)}</li>"
    )


def _bundle_cell(bundle) -> str:
    """Cohort's safety-bundle cell: the percent of the trainee's transforaminal cases with
    every check done, and of how many (procedures.safety)."""
    if bundle is None:
        return '<td class="text-center text-body-secondary">—</td>'
    low = " text-warning-emphasis fw-semibold" if bundle.percent < 100 else ""
    return (
        f'<td class="text-center{low}">{bundle.percent}%'
        f'<span class="small text-body-secondary"> of {bundle.cases}</span></td>'
    )


def _competence_cell(competence) -> str:
    """Cohort's competence cell (curriculum.competence): the competencies lapsed to direct
    supervision, and those ready for a committee's decision."""
    if competence is None:
        return '<td class="text-center text-body-secondary">—</td>'
    lapsed, ready = competence.lapsed, competence.ready
    parts = []
    if lapsed:
        parts.append(f'<span class="badge text-bg-warning">{lapsed} lapsed</span>')
    parts.append(
        f"{ready} ready" if ready else '<span class="text-body-secondary">none ready</span>'
    )
    updating = (
        ' <span class="small text-body-secondary" title="New cases are being counted">'
        "(updating)</span>"
        if competence.behind
        else ""
    )
    return f'<td class="text-center">{" · ".join(parts)}{updating}</td>'


def _radiation_cell(radiation) -> str:
    """Cohort's radiation cell (curriculum.radiation.cohort_radiation): the trainee's
    median fluoroscopy time against the program's, their flags, their dosimetry."""
    if radiation is None:
        return '<td class="text-center text-body-secondary">—</td>'
    ratio = f"{radiation.ratio}×" if radiation.ratio is not None else "—"
    flags = (
        f'<span class="text-warning-emphasis fw-semibold"> · {radiation.flagged} over 2×</span>'
        if radiation.flagged
        else ""
    )
    level = radiation.dose_level
    badge = (
        "text-bg-danger"
        if level == Level.LIMIT
        else "text-bg-warning"
        if level
        else "text-bg-light border"
    )
    # Medians a sign-off has made stale are shown, marked, while the background recomputes
    # them (curriculum.radiation.radiation_snapshots).
    updating = (
        ' <span class="small text-body-secondary" title="New cases are being counted">'
        "(updating)</span>"
        if radiation.updating
        else ""
    )
    return (
        f'<td class="text-center">{ratio}{flags}{updating}<br>'
        f'<span class="badge {badge}">{escape(radiation.dose_words)}</span></td>'
    )


def _cohort_row(
    enrollment: Enrollment,
    progress,
    progress_url: str,
    flagged: int = 0,
    bundle=None,
    radiation=None,
    competence=None,
) -> dict:
    """One trainee's cells, computed here, and the table row as HTML: the matrix has
    trainees × stages of them, and the template language spent a third of the page's time
    on them (one node per cell attribute, measured at 50 trainees)."""
    cells = []
    for stage in progress.stages:
        if stage.current:
            cells.append(("current", f"{stage.percent}%", " (current stage)"))
        elif stage.complete:
            cells.append(("complete", f"✓ {stage.percent}%", ""))
        else:
            cells.append(("", f"{stage.percent}%", ""))
    name = enrollment.trainee.display_name
    percent = f"{progress.percent}%"
    # Every value but the name and the link is made here from numbers and fixed words.
    html = "".join(
        [
            f'<tr><th scope="row"><a href="{escape(progress_url)}{enrollment.pk}/">'
            f"{escape(name)}</a></th>",
            f'<td class="text-center fw-semibold">{percent}</td>',
            f'<td class="text-center{" text-warning-emphasis fw-semibold" if flagged else " text-body-secondary"}">'
            f"{flagged}</td>",
            _bundle_cell(bundle),
            _radiation_cell(radiation),
            _competence_cell(competence),
            *(
                f'<td class="text-center {state}">{text}'
                + (f'<span class="visually-hidden">{hidden}</span>' if hidden else "")
                + "</td>"
                for state, text, hidden in cells
            ),
            "</tr>",
        ]
    )
    return {
        "enrollment": enrollment,
        "name": name,
        "cells": cells,  # (css class, text, words for screen readers)
        "percent": percent,
        "flagged": flagged,
        "bundle": bundle,
        "progress": progress,
        "html": mark_safe(html),  # noqa: S308 (every part above is escaped or a number)
    }


def assessment_create(request: HttpRequest, pk: int) -> HttpResponse:
    """A supervisor records a DOPS for one of their trainees (optionally from an entry)."""
    enrollment = get_enrollment(request, pk)
    if not (enrollment.active and enrollment.supervisors.filter(pk=request.user.pk).exists()):
        # Seen (own enrollment, or a director's) but not theirs to assess: an ended
        # enrollment takes no new DOPS, even from someone who both directs and supervised.
        raise PermissionDenied
    trainee = enrollment.trainee
    program = enrollment.program
    entry = counts_for = None
    if request.method == "POST":
        form = AssessmentForm(request.POST, trainee=trainee, program=program)
        if form.is_valid():
            assessment = form.save(commit=False)
            assessment.trainee = trainee
            assessment.assessor = request.user
            assessment.save()
            messages.success(
                request,
                f"Observed assessment recorded for {trainee.display_name}. "
                + _counts_for_words(assessment),
            )
            return redirect("curriculum:trainee_progress", pk=enrollment.pk)
    else:
        initial = {"observed_on": timezone.localdate()}
        entry_pk = request.GET.get("entry", "")
        if entry_pk.isascii() and entry_pk.isdigit() and len(entry_pk) < 19:
            entry = get_object_or_404(
                Entry.objects.visible_to(request.user)
                .filter(trainee=trainee)
                .exclude(status=Entry.Status.DRAFT)
                .select_related("procedure"),
                pk=entry_pk,
            )
            initial.update(
                entry=entry.pk,
                observed_on=entry.performed_on,
                procedure=entry.procedure_id,
                guidance=entry.guidance,
            )
        form = AssessmentForm(initial=initial, trainee=trainee, program=program)
        if entry is not None:
            counts_for = preferred_requirement(
                form.requirements, entry.procedure_id, entry.guidance, None
            )
            form.initial["requirement"] = counts_for.pk if counts_for else None
    return render(
        request,
        "curriculum/assessment_form.html",
        {
            "page": "trainees",
            "form": form,
            "enrollment": enrollment,
            "entry": entry,
            "counts_for": counts_for,
            "requirement_data": form.requirement_data(),
        },
    )


def _counts_for_words(assessment: ObservedAssessment) -> str:
    """What the saved DOPS counts for, in a sentence for the confirmation."""
    requirement = assessment.requirement
    if requirement is None:
        return "It counts for no requirement: none of the program asks for this procedure."
    if assessment.rating < (requirement.min_autonomy or 0):
        return (
            f"Rated {assessment.rating}, below the {requirement.min_autonomy} that "
            f"“{requirement.name}” asks, it does not count towards it."
        )
    return f"It counts for “{requirement.name}”."
