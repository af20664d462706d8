"""The Radiation page of a trainee (issue 12): their dose per month, their medians per
procedure type against the program's, their learning curve, and their CT-guided work's
estimated patient dose. The rules and the SQL are procedures.radiation's; this module
stores what they compute and puts it in the page's shape.

Cost: the trainee's figures are stored (RadiationSnapshot, recomputed when their record
version moves, as progress is; Cohort shows them marked while the background recomputes
them), the program's medians once a day in the background (ProgramDoseReference); a
page reads both and the catalogue: a bounded number of queries whatever the size of the
logbook or the program.
"""

import statistics
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from functools import cached_property

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django_tasks import task

from procedures.models import Modality, ProcedureType
from procedures.radiation import (
    BAND_WORDS,
    DAP,
    FLUORO_TIME,
    K_FACTORS,
    K_SOURCE,
    K_WORDS,
    ROLLING_WINDOW,
    SINGLE_LEVEL,
    Comparison,
    comparable,
    effective_dose,
    fluoro_series,
    monthly_sums,
    over_twice,
    program_medians,
    rolling_median,
    trainee_medians,
)
from programs.dosimetry import Level, since_last_quarter
from programs.models import DoseAlert, DoseReading, Enrollment, Program
from programs.sql import claim_refresh, db_date, placeholders, read_date, read_json

from .charts import Series, last_months, line_chart, stacked_bars
from .models import ProgramDoseReference, RadiationSnapshot

MONTHS = 12


def _key(procedure_id: int, band: int, measure: str) -> str:
    return f"{procedure_id}:{band}:{measure}"


def _medians_json(medians: dict) -> dict:
    return {_key(*k): [n, str(value)] for k, (n, value) in medians.items()}


def _compute(trainee_ids: list[int], today: date) -> dict[int, dict]:
    """{trainee id: their stored figures (RadiationSnapshot's fields)}: three queries for
    them all. The months are those a page can show until the record changes again (from
    MONTHS + 1 months back: the snapshot may be read a month later)."""
    sums = monthly_sums(trainee_ids, last_months(today, MONTHS + 1)[0])
    medians = trainee_medians(trainee_ids)
    series = fluoro_series(trainee_ids)
    return {pk: _figures(sums[pk], medians[pk], series[pk]) for pk in set(trainee_ids)}


def _figures(sums: list, medians: dict, series: dict) -> dict:
    months: dict[str, dict] = {}
    ct: dict[str, list] = {}
    for row in sums:
        month = months.setdefault(row.month, {"f": [0, "0", "0", "0"], "c": [0, "0", 0, "0"]})
        if row.guidance == Modality.FLUOROSCOPY:
            cases, time_s, dap, kerma = month["f"]
            month["f"] = [
                cases + row.cases,
                str(Decimal(time_s) + row.fluoro_time_s),
                str(Decimal(dap) + row.dap),
                str(Decimal(kerma) + row.air_kerma),
            ]
        else:
            estimated = effective_dose(row.dlp, row.region) or 0
            cases, dlp, dlp_cases, dose = month["c"]
            month["c"] = [
                cases + row.cases,
                str(Decimal(dlp) + row.dlp),
                dlp_cases + row.dlp_cases,
                str(Decimal(dose) + estimated),
            ]
            cases, dlp_cases, dlp = ct.get(str(row.procedure_id), [0, 0, "0"])
            ct[str(row.procedure_id)] = [
                cases + row.cases,
                dlp_cases + row.dlp_cases,
                str(Decimal(dlp) + row.dlp),
            ]
    # The learning curves, one per procedure type: a few hundred numbers, read with the
    # rest instead of by a query of their own on every view.
    curves = {str(pid): [str(v) for v in values] for pid, values in series.items()}
    return {
        "medians": _medians_json(medians),
        "months": months,
        "ct": ct,
        "curves": curves,
    }


FIGURES = ("medians", "months", "ct", "curves")


def radiation_snapshots(
    enrollments: list[Enrollment],
    today: date | None = None,
    figures=FIGURES,
    force=False,
    later=None,
) -> dict:
    """{enrollment pk: {"medians", "months", "ct", "curves"}}: the stored figures where they
    are of the enrollment's current record version, recomputed (and stored) where not. One
    query when nothing changed (the enrollments' versions joined with their snapshots,
    and of the figures only those named: Cohort reads the medians alone);
    when some changed, however many, four more: three for their figures and one INSERT …
    ON CONFLICT. The versions are read before the figures: a write racing with the
    computing leaves the snapshot older than the record (recomputed next time), never
    newer."""
    today = today or timezone.localdate()
    if not enrollments:
        return {}
    found, versions, behind = {}, {}, []
    medians_only = tuple(figures) == ("medians",)
    for pk, current, stored, on, *values in _stored(enrollments, figures):
        versions[pk] = current
        complete = all(value is not None for value in values)
        if not force and stored == current and on is not None and on <= today and complete:
            found[pk] = dict(zip(figures, values, strict=True))
        elif medians_only and values[0] is not None:
            # Cohort shows the medians it has while newer ones are computed in the
            # background: one case more moves a median little, and fifty trainees'
            # medians are not worth a director's wait.
            found[pk] = {"medians": values[0], "behind": True}
            behind.append(pk)
    if behind:
        _refresh_later(behind, later)
    stale = [e for e in enrollments if e.pk not in found]
    if stale and medians_only:
        # Cohort, for a trainee it has never seen: the medians alone (one query), stored
        # without the rest, which the Radiation page computes when next read (a null is
        # stale there).
        medians = trainee_medians([e.trainee_id for e in stale])
        fresh = {e.pk: {"medians": _medians_json(medians[e.trainee_id])} for e in stale}
        _store(stale, fresh, versions, today, {"months": None, "ct": None, "curves": None})
        found.update(fresh)
    elif stale:
        computed = _compute([e.trainee_id for e in stale], today)
        fresh = {e.pk: computed[e.trainee_id] for e in stale}
        _store(stale, fresh, versions, today, {})
        found.update(fresh)
    return found


def _stored(enrollments: list[Enrollment], figures) -> list[tuple]:
    """(enrollment id, its record version, the snapshot's version, day, *figures) of each
    enrollment, the snapshot's parts None where it has none. In SQL: for Cohort's fifty
    trainees the ORM's query and row conversion cost more than the database (1.5 ms)."""
    ids = sorted(e.pk for e in enrollments)
    columns = "".join(f", s.{name}" for name in figures)
    query = (
        f"SELECT e.id, e.record_version, s.record_version, s.computed_on{columns}"
        f" FROM {Enrollment._meta.db_table} e"
        f" LEFT JOIN {RadiationSnapshot._meta.db_table} s ON s.enrollment_id = e.id"
        f" WHERE e.id IN ({placeholders(ids)})"
    )
    with connection.cursor() as cursor:
        cursor.execute(query, ids)
        return [
            (pk, current, stored, read_date(on), *(read_json(v) for v in values))
            for pk, current, stored, on, *values in cursor.fetchall()
        ]


def _refresh_later(enrollment_ids: list[int], later=None) -> None:
    """Queue the recomputing of these enrollments' figures, once: the snapshots not yet
    asked for are claimed by one UPDATE (… RETURNING: SQLite 3.35+, PostgreSQL). With
    `later` (curriculum.refresh.Later) the page queues them with its other figures."""
    claimed = claim_refresh(RadiationSnapshot._meta.db_table, enrollment_ids)
    if claimed and later is not None:
        later.radiation.extend(claimed)
    elif claimed:
        transaction.on_commit(lambda: refresh_radiation.enqueue(enrollment_ids=claimed))


@task()
def refresh_radiation(*, enrollment_ids: list[int]) -> None:
    """The task: recompute these enrollments' figures (the worker runs it)."""
    enrollments = list(Enrollment.objects.filter(pk__in=enrollment_ids))
    radiation_snapshots(enrollments, force=True)


def _store(stale, fresh: dict, versions: dict, today: date, blanks: dict) -> None:
    """One INSERT … ON CONFLICT for the stale enrollments' figures."""
    RadiationSnapshot.objects.bulk_create(
        [
            RadiationSnapshot(
                enrollment_id=e.pk,
                computed_on=today,
                record_version=versions.get(e.pk, 0),
                refresh_requested=False,
                **blanks,
                **fresh[e.pk],
            )
            for e in stale
        ],
        update_conflicts=True,
        unique_fields=["enrollment"],
        update_fields=["computed_on", "record_version", "refresh_requested", *FIGURES],
    )


def store_program_reference(program_id: int, today: date) -> dict:
    """Compute and store a program's medians for `today`: two queries (one INSERT … ON
    CONFLICT)."""
    medians = _medians_json(program_medians(program_id))
    ProgramDoseReference.objects.bulk_create(
        [
            ProgramDoseReference(
                program_id=program_id, medians=medians, computed_on=today, requested_on=today
            )
        ],
        update_conflicts=True,
        unique_fields=["program"],
        update_fields=["medians", "computed_on", "requested_on"],
    )
    return medians


@task()
def refresh_program_reference(*, program_id: int) -> None:
    """The task: compute a program's medians for today (the worker runs it, not a
    request)."""
    store_program_reference(program_id, timezone.localdate())


def program_reference(program: Program, today: date | None = None) -> tuple[dict, date]:
    """(the program's medians as stored JSON, the day they are of). Computed in the
    request only the first time; after that a page shows the stored ones and, on the
    first request of a new day, queues their recomputing (`refresh_program_reference`,
    once a day: `requested_on` is claimed by one UPDATE), as does the nightly
    `manage.py refresh_dose_reference`. Tens of thousands of cases take a few hundred
    milliseconds to sort: no one's page waits for them, and the page says the day."""
    today = today or timezone.localdate()
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT medians, computed_on FROM {ProgramDoseReference._meta.db_table}"
            " WHERE program_id = %s",
            [program.pk],
        )
        stored = cursor.fetchone()
    if stored is None:
        return store_program_reference(program.pk, today), today
    medians, on = read_json(stored[0]), read_date(stored[1])
    if on < today:
        claimed = (
            ProgramDoseReference.objects.filter(program=program)
            .filter(Q(requested_on__isnull=True) | Q(requested_on__lt=today))
            .update(requested_on=today)
        )
        if claimed:
            transaction.on_commit(lambda: refresh_program_reference.enqueue(program_id=program.pk))
    return medians, on


# --- The page -------------------------------------------------------------------------------


@dataclass(frozen=True)
class TypeFacts:
    """What the page shows of a procedure type (model instances, with their JSON lists
    decoded, cost the page a millisecond)."""

    pk: int
    name: str
    slug: str
    region: str
    needs_levels: bool


def _type_facts() -> dict[int, TypeFacts]:
    return {
        row[0]: TypeFacts(*row)
        for row in ProcedureType.objects.values_list("pk", "name", "slug", "region", "needs_levels")
    }


@dataclass
class MonthRow:
    label: str
    fluoro_cases: int
    fluoro_min: Decimal
    dap_gycm2: Decimal
    air_kerma: Decimal
    ct_cases: int
    dlp: Decimal
    effective_msv: Decimal


@dataclass
class GroupRow:
    procedure: TypeFacts
    band: str  # "" where the type has no levels
    fluoro: Comparison
    dap: Comparison
    flagged: bool = field(init=False)

    def __post_init__(self):
        self.flagged = self.fluoro.flagged or self.dap.flagged


@dataclass
class CurveRow:
    case: int
    fluoro_time_s: Decimal
    rolling: Decimal | None


@dataclass
class CtRow:
    procedure: TypeFacts
    cases: int
    dlp_cases: int
    dlp: Decimal
    k: Decimal | None
    k_words: str
    effective_msv: Decimal | None


@dataclass
class RadiationPage:
    months: list[MonthRow]
    charts: dict
    groups: list[GroupRow]
    reference_on: date
    curve_choices: list[tuple[int, str]] = field(default_factory=list)
    curve_procedure: TypeFacts | None = None
    curve_band: str = ""
    curve: object = None  # charts.LineChart
    curve_rows: list[CurveRow] = field(default_factory=list)
    curve_reference: Decimal | None = None
    ct: list[CtRow] = field(default_factory=list)
    k_source: str = K_SOURCE

    @cached_property
    def flagged(self) -> list[GroupRow]:
        return [g for g in self.groups if g.flagged]

    @property
    def ct_effective_msv(self) -> Decimal:
        return sum((r.effective_msv or 0 for r in self.ct), Decimal(0))


def _months(stored: dict, today: date) -> list[MonthRow]:
    rows = []
    for first in last_months(today, MONTHS):
        month = stored.get(first.strftime("%Y-%m"), {})
        f_cases, time_s, dap, kerma = month.get("f", [0, "0", "0", "0"])
        c_cases, dlp, _, dose = month.get("c", [0, "0", 0, "0"])
        rows.append(
            MonthRow(
                label=first.strftime("%b %Y"),
                fluoro_cases=f_cases,
                fluoro_min=(Decimal(time_s) / 60).quantize(Decimal("0.1")),
                dap_gycm2=(Decimal(dap) / 1000).quantize(Decimal("0.01")),
                air_kerma=Decimal(kerma).quantize(Decimal("0.1")),
                ct_cases=c_cases,
                dlp=Decimal(dlp).quantize(Decimal("1")),
                effective_msv=Decimal(dose).quantize(Decimal("0.01")),
            )
        )
    return rows


def _charts(months: list[MonthRow]) -> dict:
    labels = [m.label[:3] for m in months]
    titles = [m.label for m in months]

    def chart(key: str, label: str, values) -> object:
        return stacked_bars(labels, [Series(key, label, [round(v) for v in values])], titles)

    return {
        "fluoro": chart("fluoroscopy", "min fluoroscopy", [m.fluoro_min for m in months]),
        "dap": chart("fluoroscopy", "Gy·cm² dose-area product", [m.dap_gycm2 for m in months]),
        "dlp": chart("ct", "mGy·cm dose-length product", [m.dlp for m in months]),
    }


def _comparison(mine: dict, theirs: dict, key: str) -> Comparison:
    cases, value = mine.get(key, [0, None])
    program_cases, program_value = theirs.get(key, [0, None])
    return Comparison(
        cases=cases,
        value=Decimal(value) if value is not None else None,
        program_cases=program_cases,
        program_value=Decimal(program_value) if program_value is not None else None,
    )


def _groups(mine: dict, theirs: dict, types: dict[int, TypeFacts]) -> list[GroupRow]:
    seen = sorted({tuple(map(int, k.split(":")[:2])) for k in mine})
    rows = []
    for procedure_id, band in seen:
        procedure = types.get(procedure_id)
        if procedure is None:
            continue
        rows.append(
            GroupRow(
                procedure=procedure,
                band=BAND_WORDS[band] if procedure.needs_levels else "",
                fluoro=_comparison(mine, theirs, _key(procedure_id, band, FLUORO_TIME)),
                dap=_comparison(mine, theirs, _key(procedure_id, band, DAP)),
            )
        )
    rows.sort(key=lambda r: (r.procedure.name, r.band))
    return rows


def radiation_page(
    enrollment: Enrollment, procedure_id: int | None = None, today: date | None = None
) -> RadiationPage:
    """Everything the Radiation page shows of `enrollment`'s trainee; the learning curve
    of `procedure_id` (one of theirs with fluoroscopy times), else of their most frequent."""
    today = today or timezone.localdate()
    stored = radiation_snapshots([enrollment], today)[enrollment.pk]
    reference, reference_on = program_reference(enrollment.program, today)
    types = _type_facts()
    mine = stored["medians"]
    months = _months(stored["months"], today)
    page = RadiationPage(
        months=months,
        charts=_charts(months),
        groups=_groups(mine, reference, types),
        reference_on=reference_on,
    )
    # The learning curve: one procedure type's cases under fluoroscopy, one level where
    # the type has levels (several levels take longer: another curve).
    curves = {int(pid): values for pid, values in stored.get("curves", {}).items()}
    cases = {pid: len(values) for pid, values in curves.items() if pid in types}
    page.curve_choices = sorted(
        ((pid, types[pid].name) for pid in cases), key=lambda choice: choice[1]
    )
    if cases:
        chosen = procedure_id if procedure_id in cases else max(cases, key=cases.get)
        procedure = types[chosen]
        values = [Decimal(v) for v in curves[chosen]]
        rolling = rolling_median(values)
        page.curve_procedure = procedure
        page.curve_band = BAND_WORDS[SINGLE_LEVEL] if procedure.needs_levels else ""
        reference_key = _key(chosen, SINGLE_LEVEL, FLUORO_TIME)
        if reference_key in reference:
            page.curve_reference = Decimal(reference[reference_key][1])
        page.curve = line_chart(rolling, page.curve_reference)
        page.curve_rows = [
            CurveRow(case=i + 1, fluoro_time_s=v, rolling=r)
            for i, (v, r) in enumerate(zip(values, rolling, strict=True))
            if (i + 1) % ROLLING_WINDOW == 0 or i + 1 == len(values)
        ]
    for pid, (n, dlp_cases, dlp) in stored["ct"].items():
        procedure = types.get(int(pid))
        if procedure is None:
            continue
        k = K_FACTORS.get(procedure.region)
        page.ct.append(
            CtRow(
                procedure=procedure,
                cases=n,
                dlp_cases=dlp_cases,
                dlp=Decimal(dlp),
                k=k,
                k_words=K_WORDS.get(procedure.region, ""),
                effective_msv=effective_dose(Decimal(dlp), procedure.region),
            )
        )
    page.ct.sort(key=lambda r: r.procedure.name)
    return page


# --- Cohort -------------------------------------------------------------------------------


def _dose_facts(person_ids: list[int], today: date) -> list[tuple]:
    """(person, level) of each alert of this quarter or the last, and (person, 0) for each
    reading of the last four months: one query for Cohort's page of trainees (none for an
    empty page: PostgreSQL refuses "IN ()")."""
    if not person_ids:
        return []
    marks = placeholders(person_ids)
    query = (
        f"SELECT person_id, level FROM {DoseAlert._meta.db_table}"
        f" WHERE person_id IN ({marks}) AND quarter >= %s"
        f" UNION ALL SELECT DISTINCT person_id, 0 FROM {DoseReading._meta.db_table}"
        f" WHERE person_id IN ({marks}) AND period_end > %s"
    )
    params = [
        *person_ids,
        db_date(since_last_quarter(today)),
        *person_ids,
        db_date(today - timedelta(days=122)),
    ]
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        return cursor.fetchall()


@dataclass
class CohortRadiation:
    """A trainee's radiation on Cohort: their median fluoroscopy time against the
    program's (the median, over their procedure types and bands with enough cases on both
    sides, of their median over the program's), how many are flagged, and their
    dosimetry: the highest level crossed this quarter or the last, or whether they have a
    reading from the last four months at all."""

    ratio: Decimal | None
    flagged: int
    dose_level: int | None
    recent_reading: bool
    updating: bool = False  # cases signed since the medians were computed: being counted

    @property
    def dose_words(self) -> str:
        if self.dose_level == Level.LIMIT:
            return "Over a dose limit"
        if self.dose_level:
            return Level(self.dose_level).label
        return "Within the levels" if self.recent_reading else "No recent reading"


def cohort_radiation(
    enrollments: list[Enrollment], program: Program, today: date | None = None, later=None
) -> dict[int, CohortRadiation]:
    """{enrollment pk: CohortRadiation} for a Cohort page's enrollments (one program):
    the stored figures, the program's medians, the recent alerts and the latest readings;
    four queries when nothing changed, whatever the number of trainees."""
    if not enrollments:
        return {}
    today = today or timezone.localdate()
    stored = radiation_snapshots(enrollments, today, figures=("medians",), later=later)
    reference, _ = program_reference(program, today)
    theirs = {key: (n, float(value)) for key, (n, value) in reference.items()}
    trainees = {e.trainee_id for e in enrollments}
    levels: dict[int, int] = {}
    recent = set()
    for person, level in _dose_facts(sorted(trainees), today):
        if level:
            levels[person] = max(level, levels.get(person, 0))
        else:
            recent.add(person)
    result = {}
    for enrollment in enrollments:
        mine = stored.get(enrollment.pk, {}).get("medians", {})
        ratios, flagged = [], 0
        # Floats, not Decimals, for fifty trainees' groups; the rule is the page's.
        for group in {key.rsplit(":", 1)[0] for key in mine}:
            over = False
            for measure in (FLUORO_TIME, DAP):
                key = f"{group}:{measure}"
                if key not in mine or key not in theirs:
                    continue
                (n, value), (pn, pvalue) = mine[key], theirs[key]
                value = float(value)
                over = over or over_twice(n, value, pn, pvalue)
                if measure == FLUORO_TIME and comparable(n, pn, pvalue):
                    ratios.append(value / pvalue)
            flagged += over  # a procedure type and band: one flag
        result[enrollment.pk] = CohortRadiation(
            ratio=Decimal(statistics.median(ratios)).quantize(Decimal("0.1")) if ratios else None,
            flagged=flagged,
            dose_level=levels.get(enrollment.trainee_id),
            recent_reading=enrollment.trainee_id in recent,
            updating=stored.get(enrollment.pk, {}).get("behind", False),
        )
    return result
