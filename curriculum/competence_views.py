"""Competence pages (issue 13): the committee view (trainees × competencies, coloured by
level and readiness), a director's entrustment decision for one trainee and one
competency, and the calibration of supervisors' ratings. The grid on Progress is
`progress_competence`, used by curriculum.views."""

import uuid
from html import escape as html_escape
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_safe

from procedures.models import Entry, Modality
from programs.access import get_enrollment
from programs.models import Enrollment
from programs.sql import fetch

from .charts import cusum_chart
from .competence import Competence, competence_for, definitions
from .cusum import cusum
from .decisions import (
    decision_refused,
    decisions_of,
    latest_by_competency,
    latest_decisions,
    record_decision,
)
from .entrustment import Level, leniency_from_sums
from .forms import DecisionForm
from .models import Competency, EntrustmentDecision
from .scope import PERSON, cohort_scope

COMMITTEE_PAGE_SIZE = 50
MODALITY_LABELS = dict(Modality.choices)
# The level in a few words, for the grid's cells.
LEVEL_SHORT = {
    Level.NOT_YET: "Not yet",
    Level.DIRECT: "Direct",
    Level.INDIRECT: "Indirect",
    Level.UNSUPERVISED: "Unsupervised",
}


def competency_param(request: HttpRequest) -> int | None:
    """?competency=<id> for the learning curve on Progress; anything else is ignored."""
    value = request.GET.get("competency", "")
    return int(value) if value.isascii() and value.isdigit() and len(value) < 10 else None


def progress_competence(enrollment: Enrollment, chosen: int | None, can_decide=False) -> dict:
    """What Progress shows of competence: the grid, the agreement of the two ratings,
    the decisions, and the chosen competency's learning curve. Two queries when nothing
    changed."""
    competence = competence_for([enrollment], curves=chosen is not None)[enrollment.pk]
    decisions = decisions_of(enrollment.trainee_id) if competence.decided else []
    latest = latest_by_competency(decisions)
    for row in competence.rows:
        row.decision = latest.get(row.competency.pk)
    curve = None
    if chosen is not None:
        row = competence.of(chosen)
        if row is not None:
            curve = learning_curve(row, competence)
    decide_url = reverse("curriculum:decision", args=[enrollment.pk, 0]) if can_decide else ""
    return {
        "competence": competence,
        "decisions": decisions,
        "curve": curve,
        "grid": grid_items(competence, decide_url),
    }


def grid_items(competence: Competence, decide_url: str = "") -> str:
    """The competency grid on Progress as list items, made here from numbers and fixed
    words (names escaped): twelve rows of a dozen template tags each cost Progress a
    millisecond (measured). `decide_url`: the director's link, with 0 for the competency."""
    items = []
    for row in competence.rows:
        name = html_escape(row.competency.name)
        facts = []
        entrustment, readiness = row.entrustment, row.readiness
        if not row.evidence.observations:
            facts.append("No case or DOPS yet")
        else:
            last = entrustment.last_case.strftime("%-d %b %Y") if entrustment.last_case else "none"
            facts.append(f"Last case: {last}")
            facts.append(
                '<span class="badge text-bg-success">Ready for a decision</span>'
                if readiness.ready
                else f"Not enough evidence: {html_escape(', '.join(readiness.missing))}"
            )
        curve = row.curve
        if curve.cases:
            if curve.relapse_at:
                words = f"Relapse alert at case {curve.relapse_at}"
            elif curve.competent_at:
                words = f"Competent at case {curve.competent_at}"
            else:
                words = (
                    f"Learning curve: {curve.cases} case{pluralize(curve.cases)}, "
                    f"{curve.failures} failure{pluralize(curve.failures)}"
                )
            facts.append(f'<a href="?competency={row.competency.pk}#curve">{words}</a>')
        decision = getattr(row, "decision", None)
        if decision is not None:
            facts.append(
                f"<strong>Decided: {decision.get_level_display()}</strong>, "
                f"{decision.decided_on.strftime('%-d %b %Y')}"
            )
        if decide_url:
            url = decide_url.replace("/0/decision/", f"/{row.competency.pk}/decision/")
            facts.append(
                f'<a href="{url}">Record a decision<span class="visually-hidden"> on '
                f"{name} ({MODALITY_LABELS[row.competency.modality]})</span></a>"
            )
        items.append(
            '<li class="list-group-item"><div class="d-flex flex-wrap justify-content-between '
            f'gap-2"><span class="fw-semibold">{name} <span class="fw-normal '
            f'text-body-secondary">({MODALITY_LABELS[row.competency.modality]})</span>'
            f'</span><span class="level-badge {row.css}">{entrustment.label}</span>'
            f'</div><div class="small text-body-secondary">{" · ".join(facts)}</div></li>'
        )
    if not items:
        items.append('<li class="list-group-item">The program defines no competencies yet.</li>')
    return mark_safe("".join(items))  # every part escaped or made of numbers and fixed words


def pluralize(n: int) -> str:
    return "" if n == 1 else "s"


def learning_curve(row, competence: Competence) -> dict:
    """The CUSUM chart of one competency: the curve, its two limits, the case that crossed
    the competence limit and the relapse alert, with the rule beside it and the numbers
    as a table."""
    failures = [mark == "1" for mark in (row.failures or "")]
    rule = competence.rule
    result = cusum(failures, rule)
    values = result.values
    marks = {}
    if result.competent_at:
        marks[result.competent_at] = "crossed the competence limit"
    chart = (
        cusum_chart(values, rule.h0, rule.h1, marks, result.watch, result.relapse_at)
        if values
        else None
    )
    return {
        "row": row,
        "rule": rule,
        "s": rule.s,
        "fail_step": 1 - rule.s,
        "h0": rule.h0,
        "h1": rule.h1,
        "result": result,
        "svg": chart,
        "table": [
            {
                "case": n,
                "failed": failed,
                "value": value,
                # the relapse watch runs from the case after the competence crossing
                "watch": result.watch[n - 1 - (len(values) - len(result.watch))]
                if n > len(values) - len(result.watch)
                else None,
            }
            for n, (failed, value) in enumerate(zip(failures, values, strict=True), start=1)
        ],
    }


# --- The committee view ---------------------------------------------------------------------


@require_safe
def committee(request: HttpRequest) -> HttpResponse:
    """Trainees × competencies of a program the director directs: each cell the level,
    lapsed or not, ready for a decision or not, and the decision in force; a page of
    COMMITTEE_PAGE_SIZE trainees at a time."""
    scope = cohort_scope(request)
    program = scope.program
    page = Paginator(scope.enrollments, COMMITTEE_PAGE_SIZE).get_page(request.GET.get("page"))
    enrollments = list(page.object_list)
    competence = competence_for(enrollments)
    defs = definitions(program.pk, program.curriculum_version)
    latest = latest_decisions([e.trainee_id for e in enrollments])
    decide_url = reverse("curriculum:decision", args=[0, 0])
    rows = [
        _committee_row(e, competence[e.pk], latest.get(e.trainee_id, {}), decide_url)
        for e in enrollments
    ]
    filters = scope.filters
    return render(
        request,
        "curriculum/committee.html",
        {
            "page": "cohort",
            "program": program,
            "programs": scope.programs,
            "supervisors": scope.supervisors,
            "chosen_supervisor": scope.chosen_supervisor,
            "competencies": defs.competencies,
            "policy": defs.policy,
            "rows": rows,
            "trainee_page": page,
            "filters": urlencode(filters),
        },
    )


def _committee_row(enrollment, competence: Competence, decided: dict, decide_url: str) -> str:
    """One trainee's row as HTML: made here from numbers and fixed words (the name
    escaped), as Cohort's rows are."""
    base = decide_url.split("/0/", 1)[0]
    cells = []
    for row in competence.rows:
        level = LEVEL_SHORT[Level(row.level)]
        ready = row.readiness.ready
        marks = []
        if row.curve.relapse_at:
            marks.append(f"learning-curve relapse alert at case {row.curve.relapse_at}")
        marks.append("ready" if ready else "not enough evidence")
        decision = decided.get(row.competency.pk)
        if decision:
            marks.append(f"decided: {LEVEL_SHORT[Level(decision[0])].lower()}")
        words = "; ".join(marks)
        url = f"{base}/{enrollment.pk}/competencies/{row.competency.pk}/decision/"
        cells.append(
            f'<td class="competency-cell {row.css}{" ready" if ready else ""}">'
            f'<a href="{url}" title="{escape(str(row.competency))}: {level}; {words}">'
            f"{level}{' (lapsed)' if row.lapsed else ''}"
            f'<span aria-hidden="true">{" ✓" if ready else ""}{" ★" if decision else ""}'
            f"{' ⚠' if row.curve.relapse_at else ''}</span>"
            f'<span class="visually-hidden"> ({words})</span></a></td>'
        )
    name = escape(enrollment.trainee.display_name)
    progress = reverse("curriculum:trainee_progress", args=[enrollment.pk])
    return f'<tr><th scope="row"><a href="{progress}">{name}</a></th>{"".join(cells)}</tr>'


# --- A decision -----------------------------------------------------------------------------


def decision(request: HttpRequest, pk: int, competency: int) -> HttpResponse:
    """The director's entrustment decision for one trainee (enrollment `pk`) and one
    competency: the evidence, the decisions before, and the form that signs a new one."""
    enrollment = get_enrollment(request, pk)
    refused = decision_refused(request.user, enrollment)
    if refused:
        raise PermissionDenied(refused)
    chosen = Competency.objects.filter(
        pk=competency, program_id=enrollment.program_id, active=True
    ).first()
    if chosen is None:
        raise Http404("No such competency in this program.")
    if request.method == "POST":
        form = DecisionForm(request.POST, request=request)
        if form.is_valid():
            # Sent twice (a double tap, a resent form), it is recorded once.
            record_decision(
                director=request.user,
                enrollment=enrollment,
                competency=chosen,
                level=form.cleaned_data["level"],
                decided_on=form.cleaned_data["decided_on"],
                rationale=form.cleaned_data["rationale"],
                form_key=form.cleaned_data["form_key"],
            )
            messages.success(
                request,
                f"Decision signed: {chosen} for {enrollment.trainee.display_name}.",
            )
            return redirect(f"{reverse('curriculum:committee')}?program={enrollment.program_id}")
    else:
        form = DecisionForm(
            request=request,
            initial={"decided_on": timezone.localdate(), "form_key": uuid.uuid4()},
        )
    competence = competence_for([enrollment], curves=True)[enrollment.pk]
    row = competence.of(chosen.pk)
    earlier = [d for d in decisions_of(enrollment.trainee_id) if d.competency_id == chosen.pk]
    return render(
        request,
        "curriculum/decision_form.html",
        {
            "page": "cohort",
            "enrollment": enrollment,
            "competency": chosen,
            "row": row,
            "curve": learning_curve(row, competence) if row else None,
            "earlier": earlier,
            "form": form,
            "committee_url": f"{reverse('curriculum:committee')}?program={enrollment.program_id}",
            "meaning": EntrustmentDecision.MEANING,
        },
        status=200 if form.is_bound is False or form.is_valid() else 400,
    )


# --- Calibration ----------------------------------------------------------------------------


@require_safe
def calibration(request: HttpRequest) -> HttpResponse:
    """Each supervisor's mean O-SCORE rating over the program's signed-off cases, with a
    leniency z-score against the program (curriculum.entrustment.leniency_from_sums),
    flagged beyond ±2 with at least 20 ratings. One aggregate query."""
    scope = cohort_scope(request)
    program = scope.program
    # The program's own: its trainees' cases signed by its supervisors (on its roster
    # now), never a colleague's from another program who signed for one of them there.
    roster = Enrollment.supervisors.through._meta.db_table
    rows = fetch(
        "SELECT e.supervisor_id, COUNT(*), SUM(e.autonomy), SUM(e.autonomy * e.autonomy)"
        f" FROM {Entry._meta.db_table} e"
        " WHERE e.status = %s AND e.autonomy IS NOT NULL"
        f" AND e.trainee_id IN (SELECT trainee_id FROM {Enrollment._meta.db_table}"
        " WHERE program_id = %s)"
        f" AND e.supervisor_id IN (SELECT r.user_id FROM {roster} r"
        f" JOIN {Enrollment._meta.db_table} en ON en.id = r.enrollment_id"
        " WHERE en.program_id = %s)"
        " GROUP BY e.supervisor_id",
        [Entry.Status.SIGNED_OFF, program.pk, program.pk],
    )
    sums = {supervisor: (int(n), int(total)) for supervisor, n, total, _ in rows}
    squares = sum(int(sq) for *_, sq in rows)
    found = leniency_from_sums(sums, squares)
    people = {u.pk: u for u in _people([row.assessor for row in found])}
    n = sum(count for count, _ in sums.values())
    mean = sum(total for _, total in sums.values()) / n if n else None
    return render(
        request,
        "curriculum/calibration.html",
        {
            "page": "cohort",
            "program": program,
            "programs": scope.programs,
            "rows": [
                {"supervisor": people.get(row.assessor), "row": row}
                for row in sorted(found, key=lambda r: (r.z is None, -(abs(r.z or 0))))
            ],
            "ratings": n,
            "mean": mean,
        },
    )


def _people(ids: list[int]):
    return get_user_model().objects.filter(pk__in=ids).only(*PERSON)
