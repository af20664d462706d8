"""A trainee's competence as pages show it (issue 13): per competency of their program,
the entrustment level with its lapse, the evidence a committee needs, the two ratings'
agreement and the learning curve. The rules are pure functions (curriculum.entrustment,
curriculum.cusum); this module reads the cases, stores what they give and applies today.

Stored per enrollment in `EntrustmentSnapshot`, right by construction: the snapshot
records the enrollment's `record_version` (bumped by database triggers on every write of
the trainee's entries and DOPS) and the program's `curriculum_version` (bumped by writes
of its competencies, its competency policy and the catalogue's failure definitions), and
is recomputed whenever either differs. Nothing stored depends on the day: the lapse and
"recent" evidence are applied when read (`Standing.on`, `readiness_of`).

Cases are the trainee's signed-off entries of a competency's procedure types under its
one modality that the trainee performed (with the supervisor present or available, or
supervising a junior: a case only observed or assisted shows nothing of their own
competence), rated by the supervisor who signed them; a case with the supervisor present
is under direct supervision, the kind that restores a lapsed level. Observations are
those cases and the DOPS of the same procedure types and modality. A narrative is a
sign-off comment or a DOPS comment.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from django.db import connection, transaction
from django.utils import timezone
from django_tasks import task

from procedures.models import Entry, Signature
from programs.models import Enrollment, Program
from programs.sql import claim_refresh, placeholders, read_json

from .cusum import CusumRule, cusum
from .entrustment import (
    Case,
    Entrustment,
    Evidence,
    Level,
    Observation,
    Readiness,
    Standing,
    evidence,
    readiness_of,
    standing,
)
from .models import (
    Competency,
    CompetencyPolicy,
    EntrustmentDecision,
    EntrustmentSnapshot,
    ObservedAssessment,
)
from .progress import CURRICULUM_CACHES

# --- A program's definitions, kept per process by curriculum version -----------------------


@dataclass(frozen=True)
class Definitions:
    policy: CompetencyPolicy
    competencies: list[Competency]
    # (procedure type id, guidance) → the competencies a case of it counts for
    by_case: dict[tuple[int, str], list[Competency]]
    # procedure type id → (complications that fail, the rating at or below which it fails)
    failure: dict[int, tuple[frozenset[str], int]]

    @property
    def cusum_rule(self) -> CusumRule:
        return self.policy.cusum_rule

    def lapse_days(self, competency: Competency) -> int:
        return competency.lapse_days or self.policy.lapse_days


_definitions: dict[int, tuple[int, Definitions]] = {}
CURRICULUM_CACHES.append(_definitions)  # cleared with the rest (progress.clear_curriculum_cache)


def definitions(program_id: int, version: int) -> Definitions:
    """The program's active competencies and policy at curriculum `version` (as read
    with the versions of the snapshots, so that what is stored is never newer than its
    stamp): no query while the version is the one kept, three when not."""
    kept = _definitions.get(program_id)
    if kept is not None and kept[0] == version:
        return kept[1]
    policy = CompetencyPolicy.objects.filter(program_id=program_id).first() or CompetencyPolicy(
        program_id=program_id
    )
    competencies = list(
        Competency.objects.filter(program_id=program_id, active=True)
        .prefetch_related("procedure_types")
        .order_by("order", "id")
    )
    by_case: dict[tuple[int, str], list[Competency]] = defaultdict(list)
    failure = {}
    for competency in competencies:
        for procedure in competency.procedure_types.all():
            by_case[procedure.pk, competency.modality].append(competency)
            failure[procedure.pk] = (
                frozenset(procedure.failure_complications),
                procedure.failure_rating,
            )
    found = Definitions(policy, competencies, dict(by_case), failure)
    _definitions[program_id] = (version, found)
    return found


# --- What pages read ------------------------------------------------------------------------


@dataclass(frozen=True)
class Agreement:
    """The trainee's own ratings against their supervisors' on the same cases."""

    pairs: int = 0
    same: int = 0
    difference: int = 0  # the sum of (own − supervisor's)

    @property
    def percent(self) -> int | None:
        return round(100 * self.same / self.pairs) if self.pairs else None

    @property
    def bias(self) -> float | None:
        """Mean own − supervisor's: above 0 the trainee rates themselves higher."""
        return self.difference / self.pairs if self.pairs else None

    def words(self) -> str:
        if not self.pairs:
            return "No case rated by both yet"
        bias = self.bias
        if abs(bias) < 0.25:
            leaning = "close to their supervisors on average"
        elif bias > 0:
            leaning = f"{bias:.1f} points above their supervisors on average"
        else:
            leaning = f"{-bias:.1f} points below their supervisors on average"
        return f"Same rating on {self.percent}% of {self.pairs} cases; {leaning}"


@dataclass(frozen=True)
class CurveSummary:
    cases: int = 0
    failures: int = 0
    competent_at: int | None = None
    relapse_at: int | None = None


@dataclass
class CompetencyStanding:
    competency: Competency
    entrustment: Entrustment
    readiness: Readiness
    evidence: Evidence
    agreement: Agreement
    curve: CurveSummary
    failures: str | None = None  # "0"/"1" per case, when curves were asked for

    @property
    def level(self) -> int:
        return self.entrustment.level

    @property
    def lapsed(self) -> bool:
        return self.entrustment.lapsed

    @property
    def css(self) -> str:
        """The grid cell's colour class: a lapse stands out whatever the level."""
        if self.lapsed:
            return "lapsed"
        return f"level-{int(self.level)}"


@dataclass
class Competence:
    """A trainee's standing in every competency of their program, on a day."""

    rows: list[CompetencyStanding] = field(default_factory=list)
    agreement: Agreement = Agreement()
    rule: CusumRule | None = None
    decided: bool = False  # the trainee has an entrustment decision
    by_case: dict[tuple[int, str], list[Competency]] = field(default_factory=dict)
    lapse_days: int = 90  # the program's; a competency may set its own

    @property
    def lapsed(self) -> list[CompetencyStanding]:
        return [row for row in self.rows if row.lapsed]

    @property
    def ready(self) -> list[CompetencyStanding]:
        return [row for row in self.rows if row.readiness.ready]

    def of(self, competency_id: int) -> CompetencyStanding | None:
        return next((r for r in self.rows if r.competency.pk == competency_id), None)

    def for_case(self, procedure_id: int, guidance: str) -> CompetencyStanding | None:
        """The standing in the (first) competency a case of this type and guidance counts for."""
        competencies = self.by_case.get((procedure_id, guidance))
        return self.of(competencies[0].pk) if competencies else None


def competence_for(
    enrollments: list[Enrollment], today: date | None = None, curves: bool = False
) -> dict[int, Competence]:
    """{enrollment pk: Competence} on `today`, never of a stale snapshot. One query when
    nothing changed (the versions joined with the snapshots); when some changed, however
    many, four more (their cases, their ratings' agreement, their DOPS, one INSERT … ON
    CONFLICT); three more the first time a process meets a program's curriculum version
    (`definitions`). `enrollments` come with their program id."""
    today = today or timezone.localdate()
    if not enrollments:
        return {}
    ids = sorted(e.pk for e in enrollments)
    rows = _stored_rows(f"e.id IN ({placeholders(ids)})", ids, ("grid", "curves" if curves else ""))
    stored = {pk: tuple(rest) for pk, _trainee, _program, *rest in rows}
    return _competence(enrollments, stored, today)


def _competence(enrollments: list[Enrollment], stored: dict, today: date) -> dict[int, Competence]:
    found, versions, _ = _grids(enrollments, stored, stored_will_do=False)
    result = {}
    for enrollment in enrollments:
        grid, lines = found[enrollment.pk]
        defs = definitions(enrollment.program_id, versions[enrollment.pk][1])
        result[enrollment.pk] = _read(defs, grid, lines, today)
        result[enrollment.pk].decided = stored[enrollment.pk][6]
    return result


def _grids(
    enrollments: list[Enrollment], stored: dict, stored_will_do: bool, counts=False, later=None
):
    """({enrollment id: (grid, curves)}, {enrollment id: (record version, curriculum
    version)}, the enrollment ids read stale): the stored figures where they are current
    (or, with `stored_will_do`, stale by the record only: queued for the background), the
    rest computed and stored."""
    found: dict[int, tuple[dict, dict | None]] = {}
    stale: list[Enrollment] = []
    behind: set[int] = set()
    versions: dict[int, tuple[int, int]] = {}
    for enrollment in enrollments:
        record, curriculum, kept_record, kept_curriculum, grid, lines, _ = stored[enrollment.pk]
        versions[enrollment.pk] = (record, curriculum)
        if grid is not None and (kept_record, kept_curriculum) == (record, curriculum):
            found[enrollment.pk] = (grid, lines)
        elif grid is not None and stored_will_do and kept_curriculum == curriculum:
            found[enrollment.pk] = (grid, lines)
            behind.add(enrollment.pk)
        else:
            stale.append(enrollment)
    if behind:
        _refresh_later(behind, later)
    if stale:
        computed = _compute(stale, versions)
        _store(stale, computed, versions)
        for pk, (grid, lines, numbers) in computed.items():
            found[pk] = (numbers, None) if counts else (grid, lines)
    return found, versions, behind


@dataclass(frozen=True)
class Counts:
    """What Cohort shows of a trainee's competence: how many competencies lapsed, how many
    are ready for a decision, and whether these are of a stale snapshot."""

    lapsed: int
    ready: int
    behind: bool = False


def cohort_counts(
    enrollments: list[Enrollment], today: date | None = None, later=None
) -> dict[int, Counts]:
    """{enrollment pk: Counts} for Cohort's page of trainees. A snapshot that a new case
    has made stale is read as it is, marked `behind`, and its recomputing queued for the
    background (asked once; with `later`, in the page's one task); only a trainee never
    computed is computed in the request. One more case changes a lapse only by restoring
    it, and fifty trainees' standings are not worth a director's wait: the committee view,
    Progress, the queue, the decision page and the CSV never read a stale one. The
    queries of `competence_for`, reading the snapshots' small `counts`
    (`counts_of`) instead of their grids: fifty trainees' grids and six hundred standings
    cost PostgreSQL's Cohort 6 ms (measured). tests/curriculum/test_competence_pages.py
    holds the two ways to the same counts."""
    today = today or timezone.localdate()
    if not enrollments:
        return {}
    ids = sorted(e.pk for e in enrollments)
    rows = _stored_rows(f"e.id IN ({placeholders(ids)})", ids, ("counts", ""), decided=False)
    stored = {pk: tuple(rest) for pk, _trainee, _program, *rest in rows}
    found, _versions, behind = _grids(
        enrollments, stored, stored_will_do=True, counts=True, later=later
    )
    day = today.toordinal()
    result = {}
    for enrollment in enrollments:
        numbers = found[enrollment.pk][0]
        lapsed = sum(
            after if edge is not None and day > edge else before
            for edge, after, before in numbers["lapse"]
        )
        ready = sum(1 for until in numbers["ready"] if day < until)
        result[enrollment.pk] = Counts(lapsed, ready, enrollment.pk in behind)
    return result


def _refresh_later(enrollment_ids, later=None) -> None:
    """Queue the recomputing of these enrollments' standing, once: the snapshots not yet
    asked for are claimed by one UPDATE (… RETURNING: SQLite 3.35+, PostgreSQL). With
    `later` (curriculum.refresh.Later) the page queues them with its other figures."""
    claimed = claim_refresh(EntrustmentSnapshot._meta.db_table, enrollment_ids)
    if claimed and later is not None:
        later.competence.extend(claimed)
    elif claimed:
        transaction.on_commit(lambda: refresh_competence.enqueue(enrollment_ids=claimed))


@task()
def refresh_competence(*, enrollment_ids: list[int]) -> None:
    """The task: recompute these enrollments' standing (the worker runs it)."""
    competence_for(list(Enrollment.objects.filter(pk__in=enrollment_ids)))


def _stored_rows(
    where: str, params: list, figures: tuple[str, str] = ("grid", ""), decided: bool = True
) -> list:
    """(enrollment id, trainee id, program id, record version, curriculum version, the
    snapshot's two, its two `figures`: grid and curves, or counts, and whether the trainee
    has an entrustment decision) of the enrollments `where` selects, in the order they
    started; the snapshot's parts None where it has none, and the second figure where not
    named. In SQL: one query (Progress asks for the decisions only when there are some)."""
    first, second = (f"s.{name}" if name else "NULL" for name in figures)
    table = EntrustmentDecision._meta.db_table
    has_decisions = (
        f"EXISTS (SELECT 1 FROM {table} d WHERE d.trainee_id = e.trainee_id)" if decided else "NULL"
    )
    query = (
        "SELECT e.id, e.trainee_id, e.program_id, e.record_version, p.curriculum_version,"
        f" s.record_version, s.curriculum_version, {first}, {second}, {has_decisions}"
        f" FROM {Enrollment._meta.db_table} e"
        f" JOIN {Program._meta.db_table} p ON p.id = e.program_id"
        f" LEFT JOIN {EntrustmentSnapshot._meta.db_table} s ON s.enrollment_id = e.id"
        f" WHERE {where} ORDER BY e.start_date, e.id"
    )
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        return [
            (*row[:7], read_json(row[7]), read_json(row[8]), bool(row[9]))
            for row in cursor.fetchall()
        ]


def _read(defs: Definitions, grid: dict, lines: dict | None, today: date) -> Competence:
    rule = defs.policy.readiness_rule
    rows = []
    for competency in defs.competencies:
        kept = grid["competencies"].get(str(competency.pk))
        if kept is None:  # a competency added since: no cases yet
            kept = _empty(defs, competency)
        level, earned, lapsed, raw, last, lapse_days = kept["s"]
        held = Standing(
            level, earned, bool(lapsed), raw, date.fromordinal(last) if last else None, lapse_days
        )
        observations, assessors, narratives, newest = kept["e"]
        summary = Evidence(
            observations, assessors, narratives, tuple(date.fromordinal(d) for d in newest)
        )
        rows.append(
            CompetencyStanding(
                competency=competency,
                entrustment=held.on(today),
                readiness=readiness_of(summary, today, rule),
                evidence=summary,
                agreement=Agreement(*kept["a"]),
                curve=CurveSummary(*kept["c"]),
                failures=(lines or {}).get(str(competency.pk)) if lines is not None else None,
            )
        )
    return Competence(
        rows=rows,
        agreement=Agreement(*grid["agreement"]),
        rule=defs.cusum_rule,
        by_case=defs.by_case,
        lapse_days=defs.policy.lapse_days,
    )


def _empty(defs: Definitions, competency: Competency) -> dict:
    return _figures(defs, competency, [], [], "")


def current_competence(trainee_ids, today: date | None = None) -> dict[int, Competence]:
    """{trainee id: Competence in their current enrollment (the first active one)}, for
    pages that start from trainees (the queue). One query when nothing changed: the
    enrollments are read with their versions and snapshots."""
    ids = sorted(set(trainee_ids))
    if not ids:
        return {}
    rows = _stored_rows(f"e.trainee_id IN ({placeholders(ids)}) AND e.active = %s", [*ids, True])
    current: dict[int, Enrollment] = {}
    stored = {}
    for pk, trainee_id, program_id, *rest in rows:  # in start order: the first is current
        if trainee_id not in current:
            current[trainee_id] = Enrollment(pk=pk, trainee_id=trainee_id, program_id=program_id)
            stored[pk] = tuple(rest)
    found = _competence(list(current.values()), stored, today or timezone.localdate())
    return {trainee_id: found[e.pk] for trainee_id, e in current.items()}


def queue_notes(entries: list[Entry]) -> dict[int, dict]:
    """The queue's line on each entry (procedures.panels): the trainee's level in the
    entry's competency, and whether it lapsed. Two queries when nothing changed."""
    competence = current_competence({e.trainee_id for e in entries})
    notes = {}
    for entry in entries:
        found = competence.get(entry.trainee_id)
        row = found.for_case(entry.procedure_id, entry.guidance) if found else None
        if row is not None:
            notes[entry.pk] = {
                "label": str(row.competency),
                "value": row.entrustment.label,
                "warning": row.lapsed,
            }
    return notes


# --- Computing ------------------------------------------------------------------------------

SIGNED_OFF = Entry.Status.SIGNED_OFF
DIRECT = Entry.Role.PERFORMED_PRESENT  # the supervisor present: direct supervision


def _cases(trainee_ids: list[int], pairs: set[tuple[int, str]]) -> dict[int, list[tuple]]:
    """{trainee id: [(day, procedure id, guidance, supervisor's rating, supervisor id,
    own rating, complication, has a sign-off comment, role)]} of their signed-off entries
    of these (procedure type, guidance) pairs that they performed, in the order performed. One query: the pairs
    are tested in SQL, so that a trainee's other cases (two thirds of them in the
    benchmark's data) are never turned into Python rows."""
    found: dict[int, list[tuple]] = defaultdict(list)
    if not pairs:
        return found
    ordered = sorted(pairs)
    either = " OR ".join(["(e.procedure_id = %s AND e.guidance = %s)"] * len(ordered))
    query = (
        "SELECT e.trainee_id, e.performed_on, e.procedure_id, e.guidance, e.autonomy,"
        " e.supervisor_id, e.self_rating, e.complication,"
        " CASE WHEN s.comment IS NOT NULL AND s.comment <> '' THEN 1 ELSE 0 END, e.role"
        f" FROM {Entry._meta.db_table} e"
        f" LEFT JOIN {Signature._meta.db_table} s"
        " ON s.entry_id = e.id AND s.revision = e.revision"
        f" WHERE e.status = %s AND e.trainee_id IN ({placeholders(trainee_ids)})"
        f" AND e.role >= %s AND ({either})"
        " ORDER BY e.trainee_id, e.performed_on, e.id"
    )
    params = [
        SIGNED_OFF,
        *trainee_ids,
        Entry.Role.PERFORMED_PRESENT,
        *(value for pair in ordered for value in pair),
    ]
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        for trainee_id, day, *rest in cursor:
            found[trainee_id].append((_day(day), *rest))
    return found


def _agreements(trainee_ids: list[int]) -> dict[int, list[int]]:
    """{trainee id: [cases rated by both, the same rating, the sum of own − supervisor's]}
    over all their signed-off cases. One aggregate query."""
    query = (
        "SELECT trainee_id, COUNT(*), SUM(CASE WHEN self_rating = autonomy THEN 1 ELSE 0 END),"
        " SUM(self_rating - autonomy)"
        f" FROM {Entry._meta.db_table}"
        f" WHERE status = %s AND trainee_id IN ({placeholders(trainee_ids)})"
        " AND self_rating IS NOT NULL AND autonomy IS NOT NULL"
        " GROUP BY trainee_id"
    )
    with connection.cursor() as cursor:
        cursor.execute(query, [SIGNED_OFF, *trainee_ids])
        return {t: [int(n), int(same or 0), int(diff or 0)] for t, n, same, diff in cursor}


def _day(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


def _dops(trainee_ids: list[int]) -> dict[int, list[tuple]]:
    """{trainee id: [(day, procedure id, guidance, assessor id, has a comment)]}. One query."""
    query = (
        "SELECT trainee_id, observed_on, procedure_id, guidance, assessor_id,"
        " CASE WHEN comments <> '' THEN 1 ELSE 0 END"
        f" FROM {ObservedAssessment._meta.db_table}"
        f" WHERE trainee_id IN ({placeholders(trainee_ids)})"
    )
    found: dict[int, list[tuple]] = defaultdict(list)
    with connection.cursor() as cursor:
        cursor.execute(query, trainee_ids)
        for trainee_id, day, *rest in cursor:
            found[trainee_id].append((_day(day), *rest))
    return found


def _compute(enrollments: list[Enrollment], versions: dict) -> dict[int, tuple[dict, dict]]:
    trainee_ids = sorted({e.trainee_id for e in enrollments})
    defs = {e.pk: definitions(e.program_id, versions[e.pk][1]) for e in enrollments}
    pairs = {pair for found in defs.values() for pair in found.by_case}
    cases, dops = _cases(trainee_ids, pairs), _dops(trainee_ids)
    agreements = _agreements(trainee_ids)
    computed = {}
    for e in enrollments:
        grid, lines = _trainee(
            defs[e.pk],
            cases.get(e.trainee_id, []),
            dops.get(e.trainee_id, []),
            agreements.get(e.trainee_id, [0, 0, 0]),
        )
        computed[e.pk] = (grid, lines, counts_of(defs[e.pk], grid))
    return computed


def _trainee(
    defs: Definitions, cases: list[tuple], dops: list[tuple], agreement: list[int]
) -> tuple[dict, dict]:
    """(grid, curves) of one trainee from their signed-off cases of the competencies, their
    DOPS and the agreement of their two ratings over all their cases."""
    per_case: dict[int, list[tuple]] = defaultdict(list)
    for case in cases:
        for competency in defs.by_case.get((case[1], case[2]), ()):
            per_case[competency.id].append(case)
    per_dops: dict[int, list[tuple]] = defaultdict(list)
    for observed in dops:
        for competency in defs.by_case.get((observed[1], observed[2]), ()):
            per_dops[competency.id].append(observed)
    grid, curves = {}, {}
    for competency in defs.competencies:
        failures = _failures(defs, per_case.get(competency.id, []))
        grid[str(competency.pk)] = _figures(
            defs,
            competency,
            per_case.get(competency.id, []),
            per_dops.get(competency.id, []),
            failures,
        )
        curves[str(competency.pk)] = failures
    return {"competencies": grid, "agreement": agreement}, curves


def counts_of(defs: Definitions, grid: dict) -> dict:
    """What Cohort counts, whatever the day, from a grid: for each competency with cases
    [the day after which it lapses (None: never), lapsed after it, lapsed before it] as
    `Standing.on` decides, and for each ready for a decision but for recency the day until
    which it stays ready, as `readiness_of` decides (its latest `recent` observations all
    within `recent_days`)."""
    rule = defs.policy.readiness_rule
    lapse, ready = [], []
    for competency in defs.competencies:
        kept = grid["competencies"].get(str(competency.pk))
        if kept is None:
            continue
        level, _earned, gap_lapsed, raw, last, lapse_days = kept["s"]
        edge = last + lapse_days if last is not None else None
        lapse.append([edge, int(max(raw, level) > Level.DIRECT), int(gap_lapsed)])
        observations, assessors, narratives, newest = kept["e"]
        if (
            observations >= rule.observations
            and assessors >= rule.assessors
            and narratives >= rule.narratives
        ):
            if rule.recent == 0:
                ready.append(FOREVER)
            elif len(newest) >= rule.recent:
                # ready while day − recent_days < the recent-th newest observation's day
                ready.append(newest[rule.recent - 1] + rule.recent_days)
    return {"lapse": lapse, "ready": ready}


FOREVER = date.max.toordinal()


def _agreement(cases: list[tuple]) -> list[int]:
    """[cases rated by both, the same rating, the sum of own − supervisor's]."""
    pairs = [(c[5], c[3]) for c in cases if c[3] is not None and c[5] is not None]
    return [len(pairs), sum(own == theirs for own, theirs in pairs), sum(o - t for o, t in pairs)]


def _failures(defs: Definitions, cases: list[tuple]) -> str:
    """Each case a failure ("1") or not ("0"), by its procedure type's definition."""
    marks = []
    for case in cases:
        procedure, rating, complication = case[1], case[3], case[6]
        complications, at_most = defs.failure.get(procedure, (frozenset(), 0))
        failed = complication in complications or (rating is not None and rating <= at_most)
        marks.append("1" if failed else "0")
    return "".join(marks)


def _figures(defs, competency, cases, dops, failures) -> dict:
    """A competency's stored figures: standing, evidence, agreement, learning curve."""
    policy = defs.policy
    lapse_days = defs.lapse_days(competency)
    held = standing(
        [Case(c[0], c[3], c[4], direct=c[8] == DIRECT) for c in cases], policy.rules, lapse_days
    )
    observations = [Observation(c[0], c[4], "x" if c[7] else "") for c in cases] + [
        Observation(d[0], d[3], "x" if d[4] else "") for d in dops
    ]
    summary = evidence(observations, policy.evidence_recent)
    curve = cusum([mark == "1" for mark in failures], defs.cusum_rule)
    return {
        "s": [
            int(held.level),
            int(held.earned),
            int(held.lapsed),
            int(held.raw),
            held.last_case.toordinal() if held.last_case else None,
            lapse_days,
        ],
        "e": [
            summary.observations,
            summary.assessors,
            summary.narratives,
            [d.toordinal() for d in summary.newest],
        ],
        "a": _agreement(cases),
        "c": [len(failures), failures.count("1"), curve.competent_at, curve.relapse_at],
    }


def _store(stale: list[Enrollment], computed: dict, versions: dict) -> None:
    """One INSERT … ON CONFLICT for the stale enrollments' figures. The versions were read
    before the cases: a write racing with the computing leaves the snapshot older than the
    record (recomputed next time), never newer."""
    EntrustmentSnapshot.objects.bulk_create(
        [
            EntrustmentSnapshot(
                enrollment_id=e.pk,
                grid=computed[e.pk][0],
                curves=computed[e.pk][1],
                counts=computed[e.pk][2],
                record_version=versions[e.pk][0],
                curriculum_version=versions[e.pk][1],
                refresh_requested=False,
            )
            for e in stale
        ],
        update_conflicts=True,
        unique_fields=["enrollment"],
        update_fields=[
            "grid",
            "curves",
            "counts",
            "record_version",
            "curriculum_version",
            "refresh_requested",
        ],
    )
