"""The progress engine: where each trainee stands against their program's stages.

One module serves the Progress, My trainees and Cohort pages, the portfolio, the
benchmark and the tests.

How it counts (DESIGN §3): a requirement counts the trainee's **signed-off** entries
whose procedure type, guidance and injectates match it, whose role is at least its
minimum role, whose autonomy rating is at least its minimum (if any) and which were
performed within its recency window (if any); "pending" counts the Submitted entries
that would match. A requirement of kind "assessments" counts observed assessments
(DOPS) instead, rated at least its minimum. A stage is complete when every requirement
is met **and** the stage before it is complete; the current stage is the first
incomplete one.

Counters, not compute-on-read: the counts come from aggregate queries (entries and
assessments, grouped by trainee, one conditional COUNT per requirement) and are stored in
one ProgressSnapshot row per enrollment. A cohort page therefore reads 60 small rows
instead of aggregating 180,000 entries.

Never stale, by construction rather than by remembering: database triggers bump
`Enrollment.record_version` on every write of a trainee's entries, injectates, signatures
or assessments, and `Program.curriculum_version` on every write of its stages and
requirements, whatever the path (pages, admin, shell, raw SQL). A snapshot records both
versions; one that differs is recomputed on the next read, for that trainee only.
Recency windows are stored as counts per day, so the date moving on changes a sum, not
the snapshot: no daily rebuild.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cached_property

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from procedures.models import Entry, Modality
from programs.models import Enrollment, Program

from .models import ObservedAssessment, ProgressSnapshot, Requirement, Stage


@dataclass
class RequirementProgress:
    requirement: Requirement
    done: int
    pending: int

    @property
    def required(self) -> int:
        return self.requirement.min_count

    @property
    def counted(self) -> int:
        """What counts towards the bar: never more than required."""
        return min(self.done, self.required)

    @property
    def met(self) -> bool:
        return self.done >= self.required

    @property
    def remaining(self) -> int:
        return max(self.required - self.done, 0)

    @property
    def percent(self) -> int:
        return round(100 * self.counted / self.required)

    @property
    def pending_percent(self) -> int:
        """The part of the bar that pending entries would fill."""
        return round(100 * min(self.pending, self.remaining) / self.required)

    @property
    def missing(self) -> str:
        """What is still missing, in plain words; empty when met."""
        if self.met:
            return ""
        return missing_words(self.requirement, self.remaining)


@dataclass
class StageProgress:
    stage: Stage
    requirements: list[RequirementProgress]
    complete: bool = False  # set by the engine: own requirements met and previous stage done
    current: bool = False

    # Cached: a requirement's numbers are fixed once made, and a Cohort page of 50
    # trainees asks for each stage's sums many times over.
    @cached_property
    def requirements_met(self) -> bool:
        return all(r.met for r in self.requirements)

    @cached_property
    def required(self) -> int:
        return sum(r.required for r in self.requirements)

    @cached_property
    def counted(self) -> int:
        return sum(r.counted for r in self.requirements)

    @cached_property
    def percent(self) -> int:
        return round(100 * self.counted / self.required) if self.required else 100


@dataclass
class Progress:
    enrollment: Enrollment
    stages: list[StageProgress] = field(default_factory=list)

    @property
    def current_stage(self) -> StageProgress | None:
        return next((s for s in self.stages if s.current), None)

    @property
    def complete(self) -> bool:
        return bool(self.stages) and all(s.complete for s in self.stages)

    @property
    def percent(self) -> int:
        required = sum(s.required for s in self.stages)
        return round(100 * sum(s.counted for s in self.stages) / required) if required else 100


def missing_words(requirement: Requirement, n: int) -> str:
    """ "8 more lumbar transforaminal epidurals under fluoroscopy, signed off"."""
    name = requirement.name
    if len(name) > 1 and name[1].islower():  # "Lumbar …" → "lumbar …", but keep "DOPS …"
        name = name[0].lower() + name[1:]
    if requirement.kind == Requirement.Kind.ASSESSMENTS:
        return f"{n} more {name}"
    words = f"{n} more {name}"
    modalities = [Modality(m).label for m in requirement.modalities]
    if modalities and "guidance" not in name and "ultrasound" not in name.lower():
        words += " under " + " or ".join(m if m in ("CT", "MRI") else m.lower() for m in modalities)
    if requirement.min_autonomy:
        words += f", rated {requirement.min_autonomy} or higher"
    return words + ", signed off"


# --- Structure ------------------------------------------------------------------------------


# {program ids: (version, structure)}. Read-only objects shared between requests.
_structure_cache: dict = {}


def clear_curriculum_cache() -> None:
    """Forget this process's copy of the curriculum (tests use it to measure cold reads)."""
    _structure_cache.clear()


def _structure(versions: dict[int, int]) -> dict[int, list[tuple[Stage, list[Requirement]]]]:
    """Stages and requirements of these programs ({program id: curriculum version}), with
    each requirement's procedure-type and injectate ids in `type_ids` and `injectate_ids`.

    Kept per process, keyed by the programs' `curriculum_version`s, which database
    triggers bump on every write of a stage, a requirement or their lists (admin, loader,
    shell alike): no query when the version is known, four when it changed.
    """
    key = frozenset(versions)
    cached = _structure_cache.get(key)
    if cached is not None and cached[0] == versions:
        return cached[1]
    structure = _load_structure(key)
    _structure_cache[key] = (dict(versions), structure)
    return structure


def program_stages(program: Program) -> list[Stage]:
    """The program's stages in order, from this process's copy of the curriculum: no query
    while `program.curriculum_version` (as read with the program) is the one cached."""
    structure = _structure({program.pk: program.curriculum_version})
    return [stage for stage, _ in structure[program.pk]]


def _load_structure(program_ids) -> dict[int, list[tuple[Stage, list[Requirement]]]]:
    # Retired stages and requirements are history, not curriculum: they count for nothing.
    stages = list(
        Stage.objects.filter(program_id__in=program_ids, active=True).order_by(
            "program_id", "order"
        )
    )
    requirements = list(
        Requirement.objects.filter(
            stage__program_id__in=program_ids, stage__active=True, active=True
        ).order_by("stage_id", "order", "id")
    )
    type_ids, injectate_ids = defaultdict(set), defaultdict(set)
    through = Requirement.procedure_types.through
    for rid, tid in through.objects.filter(requirement__in=requirements).values_list(
        "requirement_id", "proceduretype_id"
    ):
        type_ids[rid].add(tid)
    through = Requirement.injectates.through
    for rid, iid in through.objects.filter(requirement__in=requirements).values_list(
        "requirement_id", "injectate_id"
    ):
        injectate_ids[rid].add(iid)
    by_stage = defaultdict(list)
    for requirement in requirements:
        requirement.type_ids = type_ids[requirement.pk]
        requirement.injectate_ids = injectate_ids[requirement.pk]
        by_stage[requirement.stage_id].append(requirement)
    result = defaultdict(list)
    for stage in stages:
        result[stage.program_id].append((stage, by_stage[stage.pk]))
    return result


# --- Counting ------------------------------------------------------------------------------


def _procedure_match(requirement: Requirement) -> tuple[list[str], list]:
    """Any procedure type only when the requirement says so; an empty list matches none."""
    if requirement.any_procedure:
        return [], []
    if not requirement.type_ids:
        return ["1 = 0"], []
    part, values = _in("e.procedure_id", requirement.type_ids)
    return [part], values


# The counts are one hand-built SQL statement per kind (entries, assessments): plain
# conditions over a few columns, the same on SQLite and PostgreSQL. Built by the ORM, the
# fifty-odd conditional counts of the default curriculum took longer to compile than the
# database took to run them, and a sign-off's rebuild of one trainee paid that each time.
ENTRIES = Entry._meta.db_table
ENTRY_INJECTATES = Entry.injectates.through._meta.db_table
ASSESSMENTS = ObservedAssessment._meta.db_table
COUNTED_STATUSES = (Entry.Status.SIGNED_OFF.value, Entry.Status.SUBMITTED.value)


def _in(column: str, values) -> tuple[str, list]:
    values = sorted(values)
    return f"{column} IN ({', '.join(['%s'] * len(values))})", values


def _day(value) -> str:
    return connection.ops.adapt_datefield_value(value)


def _entry_match(requirement: Requirement, status: str, today: date) -> tuple[list[str], list]:
    """The SQL conditions (and their parameters) on `e` for the entries in `status` that
    count for `requirement` (done when signed off, pending when submitted): the most
    selective test first (SQLite skips the rest of a false AND), the injectate test last."""
    sql, params = _procedure_match(requirement)
    sql.append("e.status = %s")
    params.append(status)
    if requirement.modalities:
        part, values = _in("e.guidance", requirement.modalities)
        sql.append(part)
        params += values
    sql.append("e.role >= %s")
    params.append(requirement.min_role)
    if status == Entry.Status.SIGNED_OFF and requirement.min_autonomy:
        sql.append("e.autonomy >= %s")
        params.append(requirement.min_autonomy)
    if requirement.recency_days:
        sql.append("e.performed_on >= %s")
        params.append(_day(today - timedelta(days=requirement.recency_days)))
    if requirement.injectate_ids:
        part, values = _in("i.injectate_id", requirement.injectate_ids)
        sql.append(
            f"EXISTS (SELECT 1 FROM {ENTRY_INJECTATES} i WHERE i.entry_id = e.id AND {part})"
        )
        params += values
    return sql, params


def _assessment_match(requirement: Requirement, today: date) -> tuple[list[str], list]:
    sql, params = _procedure_match(requirement)
    if requirement.modalities:
        part, values = _in("e.guidance", requirement.modalities)
        sql.append(part)
        params += values
    if requirement.min_autonomy:
        sql.append("e.rating >= %s")
        params.append(requirement.min_autonomy)
    if requirement.recency_days:
        sql.append("e.observed_on >= %s")
        params.append(_day(today - timedelta(days=requirement.recency_days)))
    return sql, params


def _sum(conditions: list[str]) -> str:
    return f"SUM(CASE WHEN {' AND '.join(conditions) or '1 = 1'} THEN 1 ELSE 0 END)"


def _aggregate(
    table: str, where: tuple[str, list], requirements, day_field: str, cells, counts, today
) -> None:
    """Run one grouped aggregate of `table` (as `e`) and put its cells into `counts`.
    `cells(requirement)` gives [(kind, conditions, params)]: "d" done, "p" pending.

    Requirements without a recency window get their (done, pending) per trainee.
    With windows, the rows are grouped by trainee and by `day_field` as well, and each
    windowed requirement gets {"d": [[day, n], ...], "p": [...]}: one query either way.
    """
    for windowed in (False, True):
        reqs = [r for r in requirements if bool(r.recency_days) == windowed]
        if not reqs:
            continue
        sums, names, params = [], [], []
        for r in reqs:
            for kind, conditions, values in cells(r):
                sums.append(_sum(conditions))
                names.append((r, kind))
                params += values
        sql, where_params = where
        group = "e.trainee_id"
        if windowed:
            oldest = today - timedelta(days=max(r.recency_days for r in reqs))
            sql += f" AND e.{day_field} >= %s"
            where_params = [*where_params, _day(oldest)]
            group += f", e.{day_field}"
        query = f"SELECT {group}, {', '.join(sums)} FROM {table} e WHERE {sql} GROUP BY {group}"
        with connection.cursor() as cursor:
            cursor.execute(query, params + where_params)
            rows = cursor.fetchall()
        for row in rows:
            trainee_id = row[0]
            if not windowed:
                for r in reqs:
                    counts[trainee_id, r.pk] = [0, 0]
                for (r, kind), n in zip(names, row[1:], strict=True):
                    counts[trainee_id, r.pk]["dp".index(kind)] = int(n or 0)
                continue
            day = row[1] if isinstance(row[1], date) else date.fromisoformat(row[1])
            for (r, kind), n in zip(names, row[2:], strict=True):
                cell = counts.setdefault((trainee_id, r.pk), {"d": [], "p": []})
                if n:
                    cell[kind].append([day.toordinal(), int(n)])


def count(requirements: list[Requirement], trainee_ids, today: date) -> dict:
    """{(trainee_id, requirement_id): [done, pending], or per-day counts for a recency
    window} for these trainees, computed in the database: for entries and for
    assessments, one aggregate grouped by trainee (and one grouped by trainee and day when
    a requirement has a window), whatever the number of entries."""
    counts = {}
    if not trainee_ids:
        return counts
    trainees = _in("e.trainee_id", set(trainee_ids))
    entry_reqs = [r for r in requirements if r.kind == Requirement.Kind.ENTRIES]
    if entry_reqs:

        def entry_cells(r):
            return [
                ("d", *_entry_match(r, Entry.Status.SIGNED_OFF, today)),
                ("p", *_entry_match(r, Entry.Status.SUBMITTED, today)),
            ]

        statuses, values = _in("e.status", COUNTED_STATUSES)
        where = (f"{trainees[0]} AND {statuses}", [*trainees[1], *values])
        _aggregate(ENTRIES, where, entry_reqs, "performed_on", entry_cells, counts, today)
    dops_reqs = [r for r in requirements if r.kind == Requirement.Kind.ASSESSMENTS]
    if dops_reqs:

        def dops_cells(r):
            return [("d", *_assessment_match(r, today))]

        _aggregate(ASSESSMENTS, trainees, dops_reqs, "observed_on", dops_cells, counts, today)
    return counts


# --- Stored counts ---------------------------------------------------------------------------


def _stored(value, requirement: Requirement, today: date) -> tuple[int, int]:
    """(done, pending) on `today` from a snapshot's value for `requirement`: the pair
    itself, or for a recency window the sum of the per-day counts still inside it."""
    if isinstance(value, dict):
        since = (today - timedelta(days=requirement.recency_days)).toordinal()
        return (
            sum(n for day, n in value["d"] if day >= since),
            sum(n for day, n in value["p"] if day >= since),
        )
    return tuple(value)


def _rebuild(
    enrollments: list[Enrollment],
    requirements: list[Requirement],
    today: date,
    curriculum_version: int,
) -> dict:
    """Count for these enrollments (one program) and store their snapshots: the versions
    (read first, so that a write racing with the count leaves the snapshot older than the
    record, never newer), the aggregates, one DELETE and one INSERT."""
    versions = dict(
        Enrollment.objects.filter(pk__in=[e.pk for e in enrollments]).values_list(
            "pk", "record_version"
        )
    )
    counts = count(requirements, [e.trainee_id for e in enrollments], today)
    empty = {"d": [], "p": []}
    snapshots = {
        e.pk: {
            str(r.pk): counts.get((e.trainee_id, r.pk), empty if r.recency_days else [0, 0])
            for r in requirements
        }
        for e in enrollments
    }
    try:
        with transaction.atomic():
            ProgressSnapshot.objects.filter(enrollment__in=enrollments).delete()
            ProgressSnapshot.objects.bulk_create(
                [
                    ProgressSnapshot(
                        enrollment=e,
                        counts=snapshots[e.pk],
                        computed_on=today,
                        record_version=versions.get(e.pk, 0),
                        curriculum_version=curriculum_version,
                    )
                    for e in enrollments
                ]
            )
    except IntegrityError:
        pass  # a concurrent request stored its counts first; ours are still right to show
    return snapshots


def progress_for(enrollments: list[Enrollment], today: date | None = None) -> dict[int, Progress]:
    """{enrollment.pk: Progress} for these enrollments.

    Two queries when nothing changed (the programs' curriculum versions; the snapshots
    joined with their enrollments' record versions); four more when the curriculum
    changed; for each program with changed trainees, four more (their versions, the
    aggregates over **those trainees' rows only**, a DELETE and an INSERT). The passing
    of days never rebuilds anything: recency windows are summed from per-day counts.
    Never a query per entry or per trainee.
    """
    today = today or timezone.localdate()
    if not enrollments:
        return {}
    program_ids = {e.program_id for e in enrollments}
    versions = dict(
        Program.objects.filter(pk__in=program_ids).values_list("pk", "curriculum_version")
    )
    structure = _structure(versions)
    program_of = {e.pk: e.program_id for e in enrollments}
    snapshots = {}
    for (
        enrollment_id,
        counts,
        stored_record,
        stored_curriculum,
        on,
        record,
    ) in ProgressSnapshot.objects.filter(enrollment__in=enrollments).values_list(
        "enrollment_id",
        "counts",
        "record_version",
        "curriculum_version",
        "computed_on",
        "enrollment__record_version",
    ):
        if (
            stored_record == record
            and stored_curriculum == versions[program_of[enrollment_id]]
            and on <= today  # a clock set back would see counts from its future
        ):
            snapshots[enrollment_id] = counts
    for program_id in program_ids:
        requirements = [r for _, reqs in structure[program_id] for r in reqs]
        wanted = {str(r.pk) for r in requirements}
        stale = [
            e
            for e in enrollments
            if e.program_id == program_id and set(snapshots.get(e.pk, ())) != wanted
        ]
        if stale and requirements:
            snapshots.update(_rebuild(stale, requirements, today, versions[program_id]))

    result = {}
    for enrollment in enrollments:
        progress = Progress(enrollment=enrollment)
        stored = snapshots.get(enrollment.pk, {})
        previous_complete = True
        for stage, requirements in structure[enrollment.program_id]:
            stage_progress = StageProgress(
                stage=stage,
                requirements=[
                    RequirementProgress(r, *_stored(stored.get(str(r.pk), (0, 0)), r, today))
                    for r in requirements
                ],
            )
            stage_progress.complete = previous_complete and stage_progress.requirements_met
            previous_complete = stage_progress.complete
            progress.stages.append(stage_progress)
        current = next((s for s in progress.stages if not s.complete), None)
        if current is not None:
            current.current = True
        result[enrollment.pk] = progress
    return result
