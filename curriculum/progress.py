"""The progress engine: where each trainee stands against their program's stages.

One module serves the Progress, My trainees and Cohort pages, the portfolio, the
benchmark and the tests.

How it counts (DESIGN §3): a requirement counts the trainee's **signed-off** entries
whose procedure type, guidance and injectates match it, whose role is at least its
minimum role, whose autonomy rating is at least its minimum (if any) and which were
performed within its recency window (if any); "pending" counts the Submitted entries
that would match. A requirement of kind "assessments" counts observed assessments
(DOPS) instead, rated at least its minimum: each DOPS counts for one requirement only,
the one it was recorded against (`ObservedAssessment.requirement`), or, for a DOPS without
one (recorded before the form asked, or when no requirement matched), the one
`preferred_requirement` picks. A stage is complete when every requirement
is met **and** the stage before it is complete; the current stage is the first
incomplete one.

Counters, not compute-on-read: the counts come from a few grouped queries (entries and
assessments by trainee, procedure type and guidance; the entries with a listed injectate),
summed per requirement, and are stored in one ProgressSnapshot row per enrollment. A
cohort page therefore reads 60 small rows instead of aggregating 180,000 entries.

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

from procedures.models import BlockResponse, Entry, Modality
from programs.models import Enrollment, Program
from programs.sql import db_date, fetch, read_date, sql_in

from .models import ObservedAssessment, ProgressSnapshot, Requirement, Stage


@dataclass(slots=True)
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
    if requirement.kind == Requirement.Kind.BLOCK_SERIES:
        return f"{n} more {name}, both blocks with their diaries, signed off"
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


# Every per-process copy of a program's curriculum: the structure here, the competencies
# (curriculum.competence) and whatever else keeps one adds itself.
CURRICULUM_CACHES: list[dict] = [_structure_cache]


def clear_curriculum_cache() -> None:
    """Forget this process's copies of the curriculum (tests use it to measure cold reads)."""
    for cache in CURRICULUM_CACHES:
        cache.clear()


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
        requirement.snapshot_key = str(requirement.pk)  # its key in stored counts
        by_stage[requirement.stage_id].append(requirement)
    result = defaultdict(list)
    for stage in stages:
        result[stage.program_id].append((stage, by_stage[stage.pk]))
    return result


# --- Counting ------------------------------------------------------------------------------

# The counts are a few small hand-built SQL statements, the same on SQLite and PostgreSQL:
# the trainees' rows grouped by procedure type and guidance, read from one covering index,
# with a count for each (minimum role, minimum autonomy) that some requirement asks;
# and the rows of their entries that used an injectate some requirement lists. Then each
# requirement sums the groups that match it, here. One conditional COUNT per requirement
# in SQL (the earlier way) made the database test some hundred conditions on every row: a
# sign-off's rebuild of one trainee of 3,000 entries took about 45 ms on SQLite.
ENTRIES = Entry._meta.db_table
ENTRY_INJECTATES = Entry.injectates.through._meta.db_table
# Up to this many trainees, PostgreSQL counts injectates entry by entry (see _drug_groups).
PROBE_TRAINEES = 5
ASSESSMENTS = ObservedAssessment._meta.db_table
BLOCK_RESPONSES = BlockResponse._meta.db_table
ENROLLMENTS = Enrollment._meta.db_table
PROGRAMS = Program._meta.db_table
SNAPSHOTS = ProgressSnapshot._meta.db_table
SNAPSHOT_FIELDS = ["counts", "computed_on", "record_version", "curriculum_version"]
SIGNED_OFF = Entry.Status.SIGNED_OFF.value
SUBMITTED = Entry.Status.SUBMITTED.value


@dataclass(frozen=True, slots=True)
class _Group:
    """A trainee's entries (or assessments) of one procedure type, guidance and kind ("d"
    done: signed off, and every assessment; "p" pending: submitted), and of one day when
    grouped by day (for recency windows). `at_least[role, level]` is how many of them have
    at least that role (0 for assessments, which have none) and at least that autonomy
    rating (or assessment rating; 0: any). `drugs`: the listed injectates they used, when
    grouped for injectates."""

    trainee_id: int
    procedure_id: int
    guidance: str
    kind: str
    day: int | None
    at_least: dict
    drugs: frozenset = frozenset()


def _ordinal(value) -> int:
    """A day as returned by the database, as an ordinal."""
    return read_date(value).toordinal()


def _bar(requirement: Requirement, kind: str) -> tuple[int, int]:
    """The (role, level) key of `_Group.at_least` that counts for `requirement`: its minimum
    role (entries only) and, for what is done, its minimum autonomy or rating."""
    role = requirement.min_role if requirement.kind == Requirement.Kind.ENTRIES else 0
    return role, (requirement.min_autonomy or 0) if kind == "d" else 0


def _bars(requirements) -> list[tuple[int, int]]:
    return sorted({_bar(r, kind) for r in requirements for kind in "dp"})


def _keys(source: str, trainee_ids, oldest: date | None) -> tuple[list[str], str, list]:
    """The columns to group by (trainee, procedure, guidance, then the status for entries,
    then the day if `oldest`), and the WHERE clause on `e` with its parameters for these
    trainees' counted rows of `source` (since `oldest` if given)."""
    where, params = sql_in("e.trainee_id", trainee_ids)
    columns = ["e.trainee_id", "e.procedure_id", "e.guidance"]
    day_field = "observed_on"
    if source == ENTRIES:
        statuses, values = sql_in("e.status", [SIGNED_OFF, SUBMITTED])
        where += f" AND {statuses}"
        params += values
        columns.append("e.status")
        day_field = "performed_on"
    if oldest is not None:
        where += f" AND e.{day_field} >= %s"
        params.append(db_date(oldest))
        columns.append(f"e.{day_field}")
    return columns, where, params


def _named(requirements) -> tuple[str, list]:
    """ " AND e.procedure_id IN (...)" for the procedure types these requirements name, or
    nothing when one of them counts any procedure: rows of other types count for none of
    them, and leaving them out lets the database read only the index ranges it needs."""
    if any(r.any_procedure for r in requirements):
        return "", []
    types = set().union(*(r.type_ids for r in requirements))
    if not types:
        return " AND 1 = 0", []
    named, params = sql_in("e.procedure_id", types)
    return f" AND {named}", params


def _head(source: str, row, windowed: bool) -> tuple:
    """(trainee, procedure, guidance, kind, day) from the grouped columns of `_keys`."""
    trainee_id, procedure_id, guidance, *rest = row
    day = _ordinal(rest.pop()) if windowed else None
    kind = "d" if source == ASSESSMENTS or rest[0] == SIGNED_OFF else "p"
    return trainee_id, procedure_id, guidance, kind, day


def _groups(source: str, trainee_ids, oldest: date | None, requirements) -> list[_Group]:
    """These trainees' counted entries (`source` ENTRIES) or assessments (ASSESSMENTS),
    grouped by `_keys`, with a count for each bar that these requirements set."""
    columns, where, params = _keys(source, trainee_ids, oldest)
    named, named_params = _named(requirements)
    where, params = where + named, params + named_params
    bars = _bars(requirements)
    level = "e.autonomy" if source == ENTRIES else "e.rating"
    sums, sum_params = [], []
    for role, at_least in bars:
        tests = []
        if role:
            tests.append("e.role >= %s")
            sum_params.append(role)
        if at_least:
            tests.append(f"{level} >= %s")
            sum_params.append(at_least)
        sums.append(f"SUM(CASE WHEN {' AND '.join(tests) or '1 = 1'} THEN 1 ELSE 0 END)")
    keys = ", ".join(columns)
    rows = fetch(
        f"SELECT {keys}, {', '.join(sums)} FROM {source} e WHERE {where} GROUP BY {keys}",
        sum_params + params,
    )
    width = len(columns)
    return [
        _Group(
            *_head(source, row[:width], oldest is not None),
            at_least={bar: int(n) for bar, n in zip(bars, row[width:], strict=True) if n},
        )
        for row in rows
    ]


def _drug_groups(trainee_ids, oldest: date | None, requirements) -> list[_Group]:
    """The counted entries of these trainees that used an injectate these requirements
    list, grouped by their keys, the bars they reach and the listed injectates they used:
    few rows (only those entries), one query. One group per entry (the earlier way) took
    0.3 ms more to build and sum: one trainee's 258 such entries make 99 groups."""
    columns, where, params = _keys(ENTRIES, trainee_ids, oldest)
    named, named_params = _named(requirements)
    where, params = where + named, params + named_params
    listed, drugs = sql_in("i.injectate_id", set().union(*(r.injectate_ids for r in requirements)))
    select = f"SELECT {', '.join(columns)}, e.role, e.autonomy, e.id, i.injectate_id"
    if connection.vendor == "postgresql" and len(trainee_ids) <= PROBE_TRAINEES:
        # A few trainees (a rebuild after one changed): look up each of their entries'
        # injectates by key. Left to itself PostgreSQL hashes every entry of the program
        # that used a listed injectate, a cost that grows with the program (4 ms against
        # 2.6 ms at 60 trainees, measured); OFFSET 0 keeps it from merging the lookup back
        # into that join.
        rows = fetch(
            f"{select} FROM {ENTRIES} e CROSS JOIN LATERAL (SELECT i.injectate_id "
            f"FROM {ENTRY_INJECTATES} i WHERE i.entry_id = e.id AND {listed} OFFSET 0) i "
            f"WHERE {where}",
            drugs + params,
        )
    else:
        if connection.vendor == "sqlite":
            # "+": SQLite then looks each entry up once by its id in the (entry, injectate)
            # index and tests the injectate, instead of once per listed injectate (one
            # trainee's 3,000 entries, two listed: 1.55 → 1.06 ms, measured).
            listed = f"+{listed}"
        rows = fetch(
            f"{select} FROM {ENTRY_INJECTATES} i JOIN {ENTRIES} e ON e.id = i.entry_id "
            f"WHERE {where} AND {listed}",
            params + drugs,
        )
    bars = _bars(requirements)
    used, first = defaultdict(set), {}
    for *row, entry_id, drug in rows:
        used[entry_id].add(drug)
        first.setdefault(entry_id, row)
    alike = defaultdict(int)  # entries alike: the same keys, bars reached and injectates
    for entry_id, (*row, role, autonomy) in first.items():
        reached = tuple(bar for bar in bars if role >= bar[0] and (autonomy or 0) >= bar[1])
        if reached:
            alike[tuple(row), reached, frozenset(used[entry_id])] += 1
    return [
        _Group(
            *_head(ENTRIES, row, oldest is not None),
            at_least=dict.fromkeys(reached, n),
            drugs=drugs,
        )
        for (row, reached, drugs), n in alike.items()
    ]


def _tally(requirements, groups: list[_Group], today: date, counts) -> None:
    """Sum `groups` into `counts` for these requirements: (done, pending) per trainee, or for
    a recency window {"d": [[day, n], ...], "p": [...]}, the days in order. A group counts
    when its guidance is one the requirement allows, it used a listed injectate (when
    grouped for injectates), and its day is inside the window; then it counts its entries
    that reach the requirement's bar."""
    by_procedure = defaultdict(list)
    for group in groups:
        by_procedure[group.procedure_id].append(group)
    for r in requirements:
        candidates = groups if r.any_procedure else [g for t in r.type_ids for g in by_procedure[t]]
        since = (today - timedelta(days=r.recency_days)).toordinal() if r.recency_days else 0
        bars = {kind: _bar(r, kind) for kind in "dp"}
        cells = {}
        for group in candidates:
            if r.modalities and group.guidance not in r.modalities:
                continue
            if group.drugs and not group.drugs & r.injectate_ids:
                continue
            if group.day is not None and group.day < since:
                continue
            n = group.at_least.get(bars[group.kind], 0)
            if n:
                cell = cells.setdefault(group.trainee_id, defaultdict(int))
                cell[group.kind, group.day] += n
        for trainee_id, cell in cells.items():
            if r.recency_days:
                counts[trainee_id, r.pk] = {
                    kind: sorted([day, n] for (k, day), n in cell.items() if k == kind)
                    for kind in "dp"
                }
            else:
                counts[trainee_id, r.pk] = [cell["d", None], cell["p", None]]


def count(requirements: list[Requirement], trainee_ids, today: date) -> dict:
    """{(trainee_id, requirement_id): [done, pending], or per-day counts for a recency
    window} for these trainees, where anything counts; a missing key counts nothing.

    For entries and for assessments, one grouped aggregate (and one grouped by day too when
    a requirement has a window); for the requirements that list injectates, one query of
    the entries that used them. Never a query per trainee, entry or requirement.
    """
    counts = {}
    trainee_ids = set(trainee_ids)
    if not trainee_ids:
        return counts
    for windowed in (False, True):
        batch = [
            r
            for r in requirements
            if r.kind == Requirement.Kind.ENTRIES and bool(r.recency_days) == windowed
        ]
        if not batch:
            continue
        oldest = today - timedelta(days=max(r.recency_days for r in batch)) if windowed else None
        listing = [r for r in batch if r.injectate_ids]
        plain = [r for r in batch if r not in listing]
        if plain:
            _tally(plain, _groups(ENTRIES, trainee_ids, oldest, plain), today, counts)
        if listing:
            _tally(listing, _drug_groups(trainee_ids, oldest, listing), today, counts)
    assessed = [r for r in requirements if r.kind == Requirement.Kind.ASSESSMENTS]
    if assessed:
        _count_assessments(assessed, trainee_ids, today, counts)
    series = [r for r in requirements if r.kind == Requirement.Kind.BLOCK_SERIES]
    if series:
        _count_series(series, trainee_ids, today, counts)
    exams = [r for r in requirements if r.kind == Requirement.Kind.STRESS_EXAMS]
    if exams:
        _count_measured(exams, trainee_ids, today, counts)
    return counts


def _count_measured(requirements, trainee_ids, today: date, counts) -> None:
    """Count these trainees' stress ultrasound examinations with their measurements
    recorded (the structure and the four distances, procedures.stress) into `counts`, by
    the same rules as entries (procedure type, guidance, role, autonomy for what is done,
    window). One query of those entries only, in SQL: built through the ORM it took 0.7 ms
    on every rebuild, where SQLite ran it in 0.04 (measured)."""
    where, params = sql_in("e.trainee_id", trainee_ids)
    statuses, values = sql_in("e.status", [SIGNED_OFF, SUBMITTED])
    named, named_params = _named(requirements)
    measured = " AND ".join(
        f"e.{column} IS NOT NULL"
        for column in (
            "stress_structure_id",
            "rest_mm",
            "stress_mm",
            "other_rest_mm",
            "other_stress_mm",
        )
    )
    rows = fetch(
        "SELECT e.trainee_id, e.procedure_id, e.guidance, e.status, e.status, e.role,"
        f" e.autonomy, e.performed_on FROM {ENTRIES} e"
        f" WHERE {where} AND {statuses}{named} AND {measured}",
        params + values + named_params,
    )
    _tally_rows(requirements, rows, today, counts)


# --- Comparative block series ----------------------------------------------------------------


def _count_series(requirements, trainee_ids, today: date, counts) -> None:
    """Count these trainees' completed comparative block series into `counts`: a series
    (procedures.series) counts when both blocks have a pain score before and a diary, and
    its second block matches the requirement (procedure type, guidance, role at least the
    minimum, and for what is done its autonomy rating, performed inside the window). Done
    when both blocks are signed off; pending when neither is a draft or returned and one
    still waits for sign-off. Whatever the outcome: the requirement asks for the practice
    of running series, not for positive ones. One query (a trainee has a few dozen), in
    SQL: its four joins took the ORM 0.9 ms to build on every rebuild, where SQLite ran the
    query in 0.25 (measured)."""
    where, params = sql_in("e.trainee_id", trainee_ids)
    named, named_params = _named(requirements)
    # A diary is a JSON list: stored as text on SQLite, as jsonb on PostgreSQL.
    empty = "'[]'::jsonb" if connection.vendor == "postgresql" else "'[]'"
    rows = fetch(
        "SELECT e.trainee_id, e.procedure_id, e.guidance, e.status, f.status, e.role,"
        f" e.autonomy, e.performed_on FROM {BLOCK_RESPONSES} b"
        f" JOIN {ENTRIES} e ON e.id = b.entry_id"
        f" JOIN {ENTRIES} f ON f.id = b.follows_id"
        f" JOIN {BLOCK_RESPONSES} fb ON fb.entry_id = f.id"
        f" WHERE {where}{named} AND b.before IS NOT NULL AND fb.before IS NOT NULL"
        f" AND NOT (b.diary = {empty}) AND NOT (fb.diary = {empty})",
        params + named_params,
    )
    _tally_rows(requirements, rows, today, counts)


def _tally_rows(requirements, rows, today: date, counts) -> None:
    """Sum rows of (trainee, procedure, guidance, status, other status, role, autonomy,
    day) into `counts` for these requirements: done when both statuses are signed off,
    pending when both are signed off or submitted and one is submitted."""
    counted = {SIGNED_OFF, SUBMITTED}
    cells = defaultdict(lambda: defaultdict(int))
    for trainee_id, procedure_id, guidance, status, first_status, role, autonomy, day in rows:
        if status not in counted or first_status not in counted:
            continue
        kind = "d" if status == first_status == SIGNED_OFF else "p"
        for r in requirements:
            if not (r.any_procedure or procedure_id in r.type_ids):
                continue
            if r.modalities and guidance not in r.modalities or role < r.min_role:
                continue
            if kind == "d" and (autonomy or 0) < (r.min_autonomy or 0):
                continue
            ordinal = _ordinal(day)
            if r.recency_days:
                if ordinal < (today - timedelta(days=r.recency_days)).toordinal():
                    continue
                cells[trainee_id, r.pk][kind, ordinal] += 1
            else:
                cells[trainee_id, r.pk][kind, None] += 1
    for (trainee_id, requirement_id), cell in cells.items():
        requirement = next(r for r in requirements if r.pk == requirement_id)
        if requirement.recency_days:
            counts[trainee_id, requirement_id] = {
                kind: sorted([day, n] for (k, day), n in cell.items() if k == kind) for kind in "dp"
            }
        else:
            counts[trainee_id, requirement_id] = [cell["d", None], cell["p", None]]


# --- Observed assessments (DOPS) -------------------------------------------------------------


def matches(requirement: Requirement, procedure_id: int, guidance: str) -> bool:
    """Whether a DOPS of this procedure type under this guidance is one `requirement` (of
    kind assessments, from the structure: it reads `type_ids`) asks for; the rating aside."""
    return (requirement.any_procedure or procedure_id in requirement.type_ids) and (
        not requirement.modalities or guidance in requirement.modalities
    )


def preferred_requirement(
    requirements: list[Requirement], procedure_id: int, guidance: str, rating: int | None
) -> Requirement | None:
    """The one requirement, of these DOPS requirements in curriculum order, that a DOPS
    counts for when it names none, and the form's choice when the supervisor leaves it:

    of those it matches (`matches`), the ones its rating reaches (all of them while the
    rating is unknown) or, if it reaches none, all it matches; of these, those naming
    procedure types before those counting any procedure, then those naming guidance before
    those taking any, then the first in curriculum order (stage, then requirement order).

    So a lumbar medial branch block under fluoroscopy rated 4 counts for "DOPS on a lumbar
    medial branch block" rather than "Radiation-safety DOPS under fluoroscopy", and rated 3
    (too low for the first) for the radiation-safety DOPS: never for both. The choice
    depends on the DOPS and the curriculum only, never on the day.
    """
    candidates = [r for r in requirements if matches(r, procedure_id, guidance)]
    reached = [r for r in candidates if rating is None or rating >= (r.min_autonomy or 0)]
    ranked = sorted(
        enumerate(reached or candidates),
        key=lambda item: (item[1].any_procedure, not item[1].modalities, item[0]),
    )
    return ranked[0][1] if ranked else None


def dops_target(requirements, requirement_id, procedure_id, guidance, rating, *, by_id=None):
    """The requirement a DOPS counts for, of `requirements` (one program's DOPS
    requirements, in curriculum order): its own when it is still one of them (not retired,
    not another program's), else the one `preferred_requirement` picks; None unless it
    matches the DOPS's procedure and guidance. Whether the rating reaches the requirement's
    minimum, and its window, are the caller's to check. The engine counts with it and the
    pages say with it (curriculum.dops), so they cannot disagree."""
    if requirement_id is None:
        target = preferred_requirement(requirements, procedure_id, guidance, rating)
    else:
        by_id = by_id if by_id is not None else {r.pk: r for r in requirements}
        target = by_id.get(requirement_id)
    if target is None or not matches(target, procedure_id, guidance):
        return None
    return target


def _count_assessments(requirements, trainee_ids, today: date, counts) -> None:
    """Count these trainees' DOPS into `counts` for these requirements (every DOPS
    requirement of one program, in curriculum order): each DOPS for its own requirement,
    or `preferred_requirement`'s, when it matches it, is rated at least its minimum and
    falls inside its window. One grouped query (a trainee has a few dozen DOPS at most)."""
    where, params = sql_in("e.trainee_id", trainee_ids)
    keys = "e.trainee_id, e.procedure_id, e.guidance, e.requirement_id, e.rating, e.observed_on"
    rows = fetch(
        f"SELECT {keys}, COUNT(*) FROM {ASSESSMENTS} e WHERE {where} GROUP BY {keys}", params
    )
    by_id = {r.pk: r for r in requirements}
    targets = {}
    cells = defaultdict(lambda: defaultdict(int))
    for trainee_id, procedure_id, guidance, requirement_id, rating, day, n in rows:
        key = requirement_id, procedure_id, guidance, rating
        if key not in targets:
            targets[key] = dops_target(requirements, *key, by_id=by_id)
        requirement = targets[key]
        if requirement is None:
            continue
        if rating < (requirement.min_autonomy or 0):
            continue
        day = _ordinal(day)
        if requirement.recency_days:
            if day < (today - timedelta(days=requirement.recency_days)).toordinal():
                continue
            cells[trainee_id, requirement.pk][day] += n
        else:
            cells[trainee_id, requirement.pk][None] += n
    for (trainee_id, requirement_id), cell in cells.items():
        if by_id[requirement_id].recency_days:
            counts[trainee_id, requirement_id] = {"d": sorted(map(list, cell.items())), "p": []}
        else:
            counts[trainee_id, requirement_id] = [cell[None], 0]


def assessment_requirements(program: Program) -> list[Requirement]:
    """The program's DOPS requirements in curriculum order (active ones, in active stages),
    from this process's copy of the curriculum: no query while `program.curriculum_version`
    is the one cached. Each has `type_ids`, for `matches`."""
    structure = _structure({program.pk: program.curriculum_version})
    return [
        r
        for _, requirements in structure[program.pk]
        for r in requirements
        if r.kind == Requirement.Kind.ASSESSMENTS
    ]


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
    record_versions: dict[int, int],
) -> dict:
    """Count for these enrollments (one program) and store their snapshots at these record
    versions (read before the count, so that a write racing with it leaves the snapshot
    older than the record, never newer): the counts, then one INSERT that replaces what
    was stored (a DELETE and an INSERT took 0.4 ms more on SQLite, 0.8 on PostgreSQL,
    measured)."""
    counts = count(requirements, [e.trainee_id for e in enrollments], today)
    empty = {"d": [], "p": []}
    snapshots = {
        e.pk: {
            r.snapshot_key: counts.get((e.trainee_id, r.pk), empty if r.recency_days else [0, 0])
            for r in requirements
        }
        for e in enrollments
    }
    try:
        with transaction.atomic():
            ProgressSnapshot.objects.bulk_create(
                [
                    ProgressSnapshot(
                        enrollment=e,
                        counts=snapshots[e.pk],
                        computed_on=today,
                        record_version=record_versions[e.pk],
                        curriculum_version=curriculum_version,
                    )
                    for e in enrollments
                ],
                update_conflicts=True,
                unique_fields=["enrollment"],
                update_fields=SNAPSHOT_FIELDS,
            )
    except IntegrityError:
        pass  # the enrollment is gone since it was read; the counts are still right to show
    return snapshots


def _versions(enrollments: list[Enrollment], today: date) -> tuple[dict, dict, dict]:
    """({program id: curriculum version}, {enrollment id: record version}, {enrollment id:
    stored counts still valid today}) for these enrollments, in one query: the versions
    with the snapshots beside them. SQL, not the ORM: every progress page reads it, and
    the ORM's two queries (the programs' versions; the snapshots joined with their
    enrollments) made one warm progress_for take 0.71 ms against 0.08 on SQLite, 1.15
    against 0.27 on PostgreSQL (measured)."""
    where, params = sql_in("en.id", {e.pk for e in enrollments})
    rows = fetch(
        "SELECT en.id, en.record_version, en.program_id, p.curriculum_version, s.counts,"
        " s.record_version, s.curriculum_version, s.computed_on"
        f" FROM {ENROLLMENTS} en JOIN {PROGRAMS} p ON p.id = en.program_id"
        f" LEFT JOIN {SNAPSHOTS} s ON s.enrollment_id = en.id WHERE {where}",
        params,
    )
    counts_field = ProgressSnapshot._meta.get_field("counts")
    curriculum_versions, record_versions, snapshots = {}, {}, {}
    for enrollment_id, record, program_id, curriculum, counts, *stored in rows:
        curriculum_versions[program_id] = curriculum
        record_versions[enrollment_id] = record
        if (
            counts is not None
            and stored[:2] == [record, curriculum]
            # a clock set back would see counts from its future
            and _ordinal(stored[2]) <= today.toordinal()
        ):
            snapshots[enrollment_id] = counts_field.from_db_value(counts, None, connection)
    return curriculum_versions, record_versions, snapshots


def progress_for(enrollments: list[Enrollment], today: date | None = None) -> dict[int, Progress]:
    """{enrollment.pk: Progress} for these enrollments.

    One query when nothing changed (the versions and the snapshots, `_versions`); four
    more when the curriculum changed; for each program with changed trainees, the counts
    over **those trainees' rows only** (one to six queries, see `count`) and an INSERT.
    The passing of days never rebuilds anything: recency windows are summed from per-day
    counts.
    Never a query per entry or per trainee.
    """
    today = today or timezone.localdate()
    if not enrollments:
        return {}
    versions, record_versions, snapshots = _versions(enrollments, today)
    structure = _structure(versions)
    for program_id, stages in structure.items():
        requirements = [r for _, reqs in stages for r in reqs]
        wanted = {r.snapshot_key for r in requirements}
        stale = [
            e
            for e in enrollments
            if e.program_id == program_id
            and e.pk in record_versions
            and set(snapshots.get(e.pk, ())) != wanted
        ]
        if stale and requirements:
            snapshots.update(
                _rebuild(stale, requirements, today, versions[program_id], record_versions)
            )

    result = {}
    for enrollment in enrollments:
        progress = Progress(enrollment=enrollment)
        stored = snapshots.get(enrollment.pk, {})
        previous_complete = True
        # An enrollment gone since it was read has no stages.
        for stage, requirements in structure.get(enrollment.program_id, ()):
            stage_progress = StageProgress(
                stage=stage,
                requirements=[
                    RequirementProgress(r, *_stored(stored.get(r.snapshot_key, (0, 0)), r, today))
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
