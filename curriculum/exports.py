"""Exports: the logbook and the DOPS as CSV, the printable portfolio, and the Cohort as CSV.

Both read entries through `Entry.objects.visible_to`, so a supervisor's or director's
export never includes a trainee's drafts. Three queries for the entries whatever their
number (entries with joins, injectates, signatures).
"""

import csv
import unicodedata

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from procedures import safety, stress
from procedures.models import Entry
from procedures.radiation import effective_dose
from procedures.series import BlockRecord, block_records
from procedures.signatures import record_failures, verify_signature
from programs.access import get_enrollment
from programs.models import Enrollment

from .cohort_facts import cohort_facts
from .competence import competence_for, definitions
from .competence_views import progress_competence
from .decisions import latest_decisions
from .dops import with_counts_for
from .entrustment import Level
from .models import ObservedAssessment
from .progress import program_stages, progress_for
from .radiation import cohort_radiation
from .scope import cohort_scope
from .sorting import CohortSort
from .views import cohort_in_order

# Spreadsheets run a cell that starts with one of these as a formula (CSV injection,
# OWASP "CSV Injection"): checked after NFKC, so the full-width ＝＋－＠ and the small
# ﹦﹢﹣﹫ count too, and the minus sign U+2212, which some spreadsheets read as "-".
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "\u2212")
NO_BLOCK = BlockRecord()

HEADER = [
    "Date performed",
    "Procedure",
    "Guidance",
    "Side",
    "Levels",
    "Approach",
    "Purpose",
    "Injectates",
    "Injectate volume (ml)",
    "Role",
    "Supervisor",
    "Status",
    "Revision",
    "Fluoroscopy time (s)",
    "Dose-area product (mGy·cm²)",
    "Dose-length product (mGy·cm)",
    "Complications",
    "Pain relief (%)",
    "Age band",
    "Sex",
    "Notes",
    "Signed off by",
    "Signed off at",
    "Autonomy",
    "Signature verified",
    "Pain before (block)",
    "Pain diary (after the block)",
    "Peak relief (%)",
    "Series with the block of",
    "Series outcome",
    "Ablation rests on the block of",
    "Teaching flag",
    "Contrast under live fluoroscopy",
    "Digital subtraction used",
    "Contrast pattern",
    "Needle repositioned after vascular uptake",
    "Images retained",
    "Safety flags",
    "Structure examined (stress ultrasound)",
    "Side examined at rest (mm)",
    "Side examined under stress (mm)",
    "Other side at rest (mm)",
    "Other side under stress (mm)",
    "Side-to-side difference (mm)",
    "Finding",
    "Justified by the stress examination of",
    "Reference air kerma (mGy)",
    "Digital subtraction runs",
    "C-arm operated by",
    "CTDIvol (mGy)",
    "CT scans",
    "Estimated patient effective dose, CT (mSv)",
    "Own rating (O-SCORE)",
]


def _leading_visible(text: str) -> str:
    """The first character a spreadsheet may act on: past spaces and invisible format
    characters (zero-width space, byte-order mark, direction marks), compatibility-folded."""
    for char in text:
        if char.isspace() and char not in "\t\r\n":
            continue
        if unicodedata.category(char) == "Cf":
            continue
        return unicodedata.normalize("NFKC", char)[:1]
    return ""


def neutralise(value) -> str:
    """A cell a spreadsheet will show as text, never run as a formula: one that starts
    (after spaces or invisible characters) with a formula character gets a leading '."""
    text = "" if value is None else str(value)
    return "'" + text if _leading_visible(text).startswith(FORMULA_STARTS) else text


def _entries(request, trainee, *, signed_off_only=False) -> list[Entry]:
    entries = (
        Entry.objects.visible_to(request.user)
        .filter(trainee=trainee)
        .select_related("procedure", "supervisor", "stress_structure")
        .prefetch_related("injectates", "signatures")
        .order_by("performed_on", "id")
    )
    if signed_off_only:
        entries = entries.filter(status=Entry.Status.SIGNED_OFF)
    result = list(entries)
    for entry in result:
        entry.current_signature = next(
            (s for s in entry.signatures.all() if s.revision == entry.revision), None
        )
    return result


def _stress_cells(e: Entry, by_id: dict) -> list:
    """A stress examination's structure, measurements, difference and finding; for an
    injection, the date of the examination that justified it (procedures.stress)."""
    structure = e.stress_structure
    result = stress.finding(e, structure.threshold_mm) if structure else None
    exam = by_id.get(e.exam_id)
    return [
        structure.name if structure else "",
        e.rest_mm,
        e.stress_mm,
        e.other_rest_mm,
        e.other_stress_mm,
        stress.side_to_side(e) if structure else None,
        result.label if result else "",
        exam.performed_on.isoformat() if exam else "",
    ]


def _safety_flags_cell(e: Entry) -> str:
    """A bundle procedure's flags, from the injectates already prefetched: no query."""
    section = safety.safety_section(e, e.injectates.all())
    return "; ".join(("RED: " if f.red else "") + f.label for f in section.flags) if section else ""


def _yes_no(value) -> str:
    return "" if value is None else ("yes" if value else "no")


def _verified_cell(verification) -> str:
    if verification.verified:
        return "yes"
    if verification.failed:
        return "NO: the record was changed after signing"
    return ""


def _csv_response(request, trainee) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    filename = f"precept-logbook-{trainee.username}-{timezone.localdate():%Y-%m-%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.write("\ufeff")  # so that spreadsheet programs read UTF-8 (mGy·cm², en dashes)
    writer = csv.writer(response)
    writer.writerow(HEADER)
    entries = _entries(request, trainee)
    verifications = [verify_signature(e) for e in entries]
    record_failures(verifications)
    records = block_records(trainee.pk, entries)
    by_id = {e.pk: e for e in entries}
    for e, verification in zip(entries, verifications, strict=True):
        block = records.get(e.pk, NO_BLOCK)
        signature = e.current_signature if e.status == Entry.Status.SIGNED_OFF else None
        row = [
            e.performed_on.isoformat(),
            e.procedure.name,
            e.get_guidance_display(),
            e.get_side_display(),
            e.levels,
            e.get_approach_display(),
            e.get_purpose_display(),
            "; ".join(i.name for i in e.injectates.all()),
            e.volume_ml,
            e.get_role_display(),
            e.supervisor.display_name if e.supervisor else "",
            e.get_status_display(),
            e.revision,
            e.fluoro_time_s,
            e.dap,
            e.dlp,
            e.get_complication_display(),
            e.pain_relief_pct,
            e.get_age_band_display(),
            e.get_sex_display(),
            e.notes,
            signature.signer_name if signature else "",
            timezone.localtime(signature.signed_at).isoformat(timespec="minutes")
            if signature
            else "",
            signature.autonomy if signature else "",
            _verified_cell(verification),
            block.before,
            block.diary,
            block.peak_relief,
            block.series_with.performed_on.isoformat() if block.series_with else "",
            block.outcome,
            block.rests_on.performed_on.isoformat() if block.rests_on else "",
            block.flag,
            _yes_no(e.live_contrast),
            _yes_no(e.dsa),
            e.get_contrast_pattern_display(),
            _yes_no(e.repositioned),
            _yes_no(e.images_retained),
            _safety_flags_cell(e),
            *_stress_cells(e, by_id),
            e.air_kerma,
            e.dsa_runs,
            e.get_carm_operator_display(),
            e.ctdi_vol,
            e.ct_scans,
            effective_dose(e.dlp, e.procedure.region),
            e.self_rating or "",
        ]
        writer.writerow([neutralise(cell) for cell in row])
    return response


def _own_enrollment(request) -> Enrollment | None:
    return Enrollment.objects.current(request.user).select_related("trainee", "program").first()


def my_logbook_csv(request: HttpRequest) -> HttpResponse:
    return _csv_response(request, request.user)


def trainee_logbook_csv(request: HttpRequest, pk: int) -> HttpResponse:
    enrollment = get_enrollment(request, pk)
    return _csv_response(request, enrollment.trainee)


DOPS_HEADER = [
    "Date observed",
    "Procedure",
    "Guidance",
    "Global rating",
    "Rating in words (O-SCORE)",
    "Counts for",
    "Counts",
    "Assessor",
    "Log entry",
    "Comments",
]


def _assessments(request, trainee, enrollment: Enrollment | None) -> list[ObservedAssessment]:
    """The trainee's DOPS that request.user may read, oldest first, each with the
    requirement it counts for (curriculum.dops.with_counts_for). One query."""
    assessments = list(
        ObservedAssessment.objects.visible_to(request.user)
        .filter(trainee=trainee)
        .with_related()
        .order_by("observed_on", "id")
    )
    return with_counts_for(assessments, enrollment.program if enrollment else None)


def _dops_csv_response(request, trainee, enrollment: Enrollment | None) -> HttpResponse:
    """The trainee's DOPS as CSV, scoped as the portfolio is; every cell neutralised."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    filename = f"precept-dops-{trainee.username}-{timezone.localdate():%Y-%m-%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.write("\ufeff")  # so that spreadsheet programs read UTF-8 (“ ”, en dashes)
    writer = csv.writer(response)
    writer.writerow(DOPS_HEADER)
    entry_url = reverse("procedures:entry_detail", args=[0])[:-2]
    for a in _assessments(request, trainee, enrollment):
        row = [
            a.observed_on.isoformat(),
            a.procedure.name,
            a.get_guidance_display(),
            a.rating,
            a.rating_words,
            a.counts_for.name if a.counts_for else "",
            "yes" if a.counts else "no",
            a.assessor.display_name,
            request.build_absolute_uri(f"{entry_url}{a.entry_id}/") if a.entry_id else "",
            a.comments,
        ]
        writer.writerow([neutralise(cell) for cell in row])
    return response


def my_dops_csv(request: HttpRequest) -> HttpResponse:
    return _dops_csv_response(request, request.user, _own_enrollment(request))


def trainee_dops_csv(request: HttpRequest, pk: int) -> HttpResponse:
    enrollment = get_enrollment(request, pk)
    return _dops_csv_response(request, enrollment.trainee, enrollment)


def _portfolio(request, enrollment: Enrollment | None, trainee) -> HttpResponse:
    progress = progress_for([enrollment])[enrollment.pk] if enrollment else None
    entries = _entries(request, trainee, signed_off_only=True)
    # Every signature printed is checked, from the prefetched injectates and signatures.
    records = block_records(trainee.pk, entries)
    # The examinations the injections name (a few): their dates, in one query.
    exam_ids = {e.exam_id for e in entries if e.exam_id}
    exam_dates = (
        dict(Entry.objects.filter(pk__in=exam_ids).values_list("pk", "performed_on"))
        if exam_ids
        else {}
    )
    for entry in entries:
        entry.verification = verify_signature(entry)
        entry.block = records.get(entry.pk)
        if entry.stress_structure is not None:
            result = stress.finding(entry, entry.stress_structure.threshold_mm)
            entry.stress_finding = result.label.lower() if result else ""
            entry.stress_difference = stress.side_to_side(entry)
        if entry.exam_id:
            entry.exam_date = exam_dates.get(entry.exam_id)
        # From the prefetched injectates: no query.
        entry.safety = safety.safety_section(entry, entry.injectates.all())
    record_failures(entry.verification for entry in entries)
    return render(
        request,
        "curriculum/portfolio.html",
        {
            "page": "progress" if trainee == request.user else "trainees",
            "trainee": trainee,
            "enrollment": enrollment,
            "progress": progress,
            "entries": entries,
            "failed_signatures": sum(entry.verification.failed for entry in entries),
            "assessments": _assessments(request, trainee, enrollment),
            "dops_csv_url": reverse("curriculum:my_dops_csv")
            if trainee == request.user
            else reverse("curriculum:trainee_dops_csv", args=[enrollment.pk]),
            "printed_on": timezone.localdate(),
            **(progress_competence(enrollment, None) if enrollment else {}),
        },
    )


def my_portfolio(request: HttpRequest) -> HttpResponse:
    return _portfolio(request, _own_enrollment(request), request.user)


def trainee_portfolio(request: HttpRequest, pk: int) -> HttpResponse:
    enrollment = get_enrollment(request, pk)
    return _portfolio(request, enrollment, enrollment.trainee)


def _competence_cells(competence, decided: dict) -> list[str]:
    """Each competency's level from the cases ("lapsed" where it did), and the decision in
    force: "Indirect supervision; decided: Indirect supervision, 2026-12-07"."""
    cells = []
    for row in competence.rows:
        cell = row.entrustment.label
        decision = decided.get(row.competency.pk)
        if decision:
            level, day = decision
            cell += f"; decided: {Level(level).label}, {day.isoformat()}"
        cells.append(cell)
    return cells


def cohort_csv(request: HttpRequest) -> HttpResponse:
    """The Cohort page's matrix for the whole cohort (every page of it), with the page's
    filters: one row per trainee, each stage's percent, the current stage and overall.
    The same bounded queries as one page, whatever the number of trainees."""
    scope = cohort_scope(request)
    stages = program_stages(scope.program)
    competencies = definitions(scope.program.pk, scope.program.curriculum_version).competencies
    # In the page's order, as the director sorted it.
    ordered, progress = cohort_in_order(scope, CohortSort.parse(request.GET.get("sort"), stages))
    enrollments = list(ordered)
    progress = progress or progress_for(enrollments)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    filename = f"precept-cohort-{scope.program.slug}-{timezone.localdate():%Y-%m-%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.write("\ufeff")  # so that spreadsheet programs read UTF-8
    writer = csv.writer(response)
    writer.writerow(
        [
            "Trainee",
            "Username",
            "Started",
            *[f"Stage {s.order}: {s.name} (%)" for s in stages],
            "Current stage",
            "Overall (%)",
            "Ablation flags",
            "Fluoroscopy time against the program (×)",
            "Procedures over twice the program's dose",
            "Dosimetry",
            *[f"{c.name} ({c.get_modality_display()})" for c in competencies],
        ]
    )
    flagged, _ = cohort_facts(enrollments)
    radiation = cohort_radiation(enrollments, scope.program)
    # Fresh, never a stale standing: a file has no "(updating)" to say it is.
    competence = competence_for(enrollments)
    decided = latest_decisions([e.trainee_id for e in enrollments])
    for enrollment in enrollments:
        p = progress[enrollment.pk]
        current = p.current_stage
        row = [
            enrollment.trainee.display_name,
            enrollment.trainee.username,
            enrollment.start_date.isoformat(),
            *[s.percent for s in p.stages],
            f"Stage {current.stage.order}: {current.stage.name}" if current else "Complete",
            p.percent,
            flagged.get(enrollment.trainee_id, 0),
            radiation[enrollment.pk].ratio or "",
            radiation[enrollment.pk].flagged,
            radiation[enrollment.pk].dose_words,
            *_competence_cells(competence[enrollment.pk], decided.get(enrollment.trainee_id, {})),
        ]
        writer.writerow([neutralise(cell) for cell in row])
    return response
