"""Comparative block series and the ablations that rest on them, read from the database.

procedures.blocks holds the rules (relief, duration, a series' outcome) as pure functions;
this module finds the records they apply to, for the entry page, the sign-off queue and
Cohort, in a bounded number of queries whatever the size of the logbook.

- A **series** is two diagnostic blocks: the second block's BlockResponse `follows` the
  first block's entry. Its outcome is `blocks.series_outcome` under the threshold of the
  trainee's program (`Program.block_threshold`, 80% by default as Medicare's LCD L38773).
- An **ablation** names the block it rests on (`Entry.rests_on`). It carries a teaching
  flag (never a refusal) when it rests on no block, on a single block, or on a series that
  is negative, discordant or still incomplete (a diary missing).
- Precept **proposes** a series when a diagnostic block of the same procedure, levels and
  side was logged by the same trainee within the 90 days before (`proposed_first_block`).
"""

from dataclasses import dataclass
from datetime import timedelta
from functools import cached_property

from django.db import connection, models
from django.db.models import Q

from programs.access import block_thresholds
from programs.models import BlockThreshold
from programs.sql import placeholders

from . import blocks
from .models import BlockResponse, Entry, ProcedureType

SERIES_WINDOW_DAYS = 90
VERSIONS_SHOWN = 20  # of a block response's history, on the entry page


def rule_response(response: BlockResponse | None) -> blocks.BlockResponse | None:
    """The rules' view of a stored response; None while it has no score before or no
    diary (the series is then incomplete). Reads `response.agent` (select it related)."""
    if response is None or response.before is None or not response.diary:
        return None
    return blocks.BlockResponse(
        scale=response.scale,
        before=response.before,
        diary=tuple(blocks.DiaryPoint(int(m), int(s)) for m, s in response.diary),
        agent=response.agent.slug if response.agent_id else "",
    )


@dataclass(frozen=True)
class Series:
    """Two diagnostic blocks as a comparative series, with their responses."""

    first: Entry
    second: Entry
    first_response: BlockResponse | None
    second_response: BlockResponse | None
    threshold: int

    @property
    def outcome(self) -> blocks.SeriesOutcome:
        return blocks.series_outcome(
            rule_response(self.first_response),
            rule_response(self.second_response),
            self.threshold,
        )


def threshold_for(trainee_id: int) -> int:
    return block_thresholds([trainee_id]).get(trainee_id, BlockThreshold.MEDICARE)


def _series(entry: Entry, threshold: int) -> tuple[BlockResponse | None, Series | None]:
    """`entry`'s own block response and the series it is a block of (or None). One to
    three queries."""
    responses = BlockResponse.objects.select_related("agent", "entry__procedure")
    found = list(responses.filter(Q(entry=entry) | Q(follows=entry)))
    mine = next((r for r in found if r.entry_id == entry.pk), None)
    follower = next((r for r in found if r.follows_id == entry.pk), None)
    if follower is not None:
        return mine, Series(entry, follower.entry, mine, follower, threshold)
    if mine is not None and mine.follows_id:
        first = Entry.objects.select_related("procedure").get(pk=mine.follows_id)
        first_response = responses.filter(entry_id=first.pk).first()
        return mine, Series(first, entry, first_response, mine, threshold)
    return mine, None


def series_of(entry: Entry, threshold: int | None = None) -> Series | None:
    """The series `entry` is a block of, or None."""
    if threshold is None:
        threshold = threshold_for(entry.trainee_id)
    return _series(entry, threshold)[1]


def proposed_first_block(entry: Entry) -> Entry | None:
    """A diagnostic block this one could be the second of: the newest of
    `first_block_choices` (the same procedure, levels and side, within the 90 days before
    it, the same day too, not a draft) that is in no series, not even with this one. One
    query."""
    if not entry.is_diagnostic_block:
        return None
    return first_block_choices(entry).filter(followed_by__isnull=True).first()


def first_block_choices(entry: Entry):
    """The blocks the trainee may name as the first of a series with `entry`: their own
    diagnostic blocks of the same procedure, levels and side, from the 90 days before it,
    not drafts, not already in a series (other than with this one), newest first."""
    mine = Q(followed_by__entry=entry)
    return (
        Entry.objects.filter(
            trainee_id=entry.trainee_id,
            procedure_id=entry.procedure_id,
            levels=entry.levels,
            side=entry.side,
            purpose=Entry.Purpose.DIAGNOSTIC,
            performed_on__gte=entry.performed_on - timedelta(days=SERIES_WINDOW_DAYS),
            performed_on__lte=entry.performed_on,
        )
        .filter(Q(followed_by__isnull=True) | mine)
        .exclude(status=Entry.Status.DRAFT)  # the supervisor could never see it
        .exclude(pk=entry.pk)
        .exclude(block_response__follows__isnull=False)
        .select_related("procedure")
        .order_by("-performed_on", "-id")
    )


# --- Ablations ---------------------------------------------------------------------------


class AblationFlag(models.TextChoices):
    NO_BLOCK = "no_block", "No diagnostic block recorded"
    SINGLE = "single", "After a single diagnostic block"
    NEGATIVE = "negative", "After a negative block series"
    DISCORDANT = "discordant", "After a discordant block series"
    INCOMPLETE = "incomplete", "After a block series with a diary missing"


OUTCOME_FLAGS = {
    blocks.SeriesOutcome.NEGATIVE: AblationFlag.NEGATIVE,
    blocks.SeriesOutcome.DISCORDANT: AblationFlag.DISCORDANT,
    blocks.SeriesOutcome.INCOMPLETE: AblationFlag.INCOMPLETE,
}


def flag_of(series: Series | None) -> AblationFlag | None:
    """The flag an ablation resting on a block of `series` (None: a single block)
    carries; None for a concordant positive series."""
    if series is None:
        return AblationFlag.SINGLE
    return OUTCOME_FLAGS.get(series.outcome)


def _pair_of(block_id: int, by_entry: dict, second_of: dict):
    """(first block's response, second block's response, the other block's id) of the
    series `block_id` is a block of, from responses already read ({entry id: response},
    {first block's id: the second block's response}); None for a single block."""
    mine = by_entry.get(block_id)
    if block_id in second_of:
        follower = second_of[block_id]
        return mine, follower, follower.entry_id
    if mine is not None and mine.follows_id:
        return by_entry.get(mine.follows_id), mine, mine.follows_id
    return None


def _outcome(pair, threshold: int) -> blocks.SeriesOutcome:
    return blocks.series_outcome(rule_response(pair[0]), rule_response(pair[1]), threshold)


def _block_flags(thresholds: dict[int, int]) -> dict[int, AblationFlag | None]:
    """{block entry id: the flag an ablation resting on it carries (None: a concordant
    positive series)} for these diagnostic blocks ({block id: its program's threshold}).
    Two queries at most."""
    if not thresholds:
        return {}
    responses = BlockResponse.objects.select_related("agent")
    found = list(responses.filter(Q(entry_id__in=thresholds) | Q(follows_id__in=thresholds)))
    by_entry = {r.entry_id: r for r in found}
    second_of = {r.follows_id: r for r in found if r.follows_id}
    firsts = {by_entry[b].follows_id for b in thresholds if b in by_entry} - {None}
    for r in responses.filter(entry_id__in=firsts - by_entry.keys()) if firsts else ():
        by_entry[r.entry_id] = r
    flags = {}
    for block_id, threshold in thresholds.items():
        pair = _pair_of(block_id, by_entry, second_of)
        flags[block_id] = (
            AblationFlag.SINGLE if pair is None else OUTCOME_FLAGS.get(_outcome(pair, threshold))
        )
    return flags


def ablation_flags(entries) -> dict[int, AblationFlag]:
    """{entry id: flag} for the flagged ablations among `entries` (loaded with their
    procedure). No query when none is an ablation; three at most otherwise."""
    ablations = [e for e in entries if e.procedure.kind == ProcedureType.Kind.ABLATION]
    if not ablations:
        return {}
    blocks_of = {e.pk: e.rests_on_id for e in ablations}
    programs = block_thresholds({e.trainee_id for e in ablations})
    # A block an ablation rests on is its trainee's own: the trainee's threshold.
    by_block = _block_flags(
        {
            e.rests_on_id: programs.get(e.trainee_id, BlockThreshold.MEDICARE)
            for e in ablations
            if e.rests_on_id
        }
    )
    flags = {}
    for entry_id, block_id in blocks_of.items():
        flag = AblationFlag.NO_BLOCK if block_id is None else by_block.get(block_id)
        if flag is not None:
            flags[entry_id] = flag
    return flags


def flagged_ablation_counts(trainee_ids) -> dict[int, int]:
    """{trainee id: how many of their ablations (all but drafts) carry a flag}, for Cohort.
    One grouped query of the ablations (by trainee and the block they rest on), then the
    flags of those blocks (three queries at most, only when some ablation names one)."""
    trainee_ids = set(trainee_ids)
    if not trainee_ids:
        return {}
    # The ablation types first, as a list (one small query), and only the type and the
    # trainee in WHERE (the status is counted): both databases then read the covering
    # index procedures_entry_evidence for those types' ranges (45–53 ms for 50 trainees of
    # 3,000 entries when joined to the catalogue or given as a subquery, measured).
    types = list(
        ProcedureType.objects.filter(kind=ProcedureType.Kind.ABLATION).values_list("pk", flat=True)
    )
    if not types:
        return {}
    rows = [row for row in _ablations_by_block(trainee_ids, types) if row[2]]
    linked = {block_id: trainee_id for trainee_id, block_id, _ in rows if block_id}
    programs = block_thresholds(set(linked.values())) if linked else {}
    by_block = _block_flags(
        {b: programs.get(t, BlockThreshold.MEDICARE) for b, t in linked.items()}
    )
    counts: dict[int, int] = {}
    for trainee_id, block_id, n in rows:
        if block_id is None or by_block.get(block_id) is not None:
            counts[trainee_id] = counts.get(trainee_id, 0) + n
    return counts


def _ablations_by_block(trainee_ids, types) -> list[tuple[int, int | None, int]]:
    """(trainee id, the block it rests on, how many of these trainees' ablations of these
    types, all but drafts, rest on it), from the covering index procedures_entry_evidence.
    SQL, not the ORM (its conditional count took 0.7 ms to build, measured). SQLite groups
    in the index's order (type, trainee, status, guidance, block) and counts as it reads:
    grouped by trainee and block it sorted the 10,600 ablations of Cohort's 50 trainees
    first (4.0 → 2.2 ms); PostgreSQL, which hashes, is quicker with the fewer groups (2.8
    ms against 3.7, measured). A pair can then come in several rows: the caller adds."""
    shown = [Entry.Status.SUBMITTED, Entry.Status.SIGNED_OFF, Entry.Status.RETURNED]
    trainee_ids, types = sorted(trainee_ids), sorted(types)
    if connection.vendor == "sqlite":
        group = "e.procedure_id, e.trainee_id, e.status, e.guidance, e.rests_on_id"
    else:
        group = "e.trainee_id, e.rests_on_id"
    query = (
        "SELECT e.trainee_id, e.rests_on_id,"
        f" SUM(CASE WHEN e.status IN ({placeholders(shown)}) THEN 1 ELSE 0 END)"
        f" FROM {Entry._meta.db_table} e"
        f" WHERE e.procedure_id IN ({placeholders(types)})"
        f" AND e.trainee_id IN ({placeholders(trainee_ids)})"
        f" GROUP BY {group}"
    )
    with connection.cursor() as cursor:
        cursor.execute(query, [*shown, *types, *trainee_ids])
        return cursor.fetchall()


# --- The entry page -----------------------------------------------------------------------


@dataclass(frozen=True)
class DiaryRow:
    minutes: int
    score: int
    relief: int  # percent, rounded

    @property
    def time(self) -> str:
        return blocks.minutes_words(self.minutes)


@dataclass(frozen=True)
class BlockSection:
    """What the entry page shows of a diagnostic block: its response, relief computed
    from the diary, and the series it is in (or the one Precept proposes)."""

    response: BlockResponse | None
    threshold: int
    series: Series | None
    proposal: Entry | None
    versions: tuple = ()  # the response's history, newest first (its last 20 changes)

    @cached_property
    def rule(self) -> blocks.BlockResponse | None:
        return rule_response(self.response)

    @property
    def rows(self) -> list[DiaryRow]:
        rule = self.rule
        if rule is None:
            return []
        return [DiaryRow(p.minutes, p.score, round(rule.relief(p.score))) for p in rule.diary]

    @property
    def peak_relief(self) -> int | None:
        return None if self.rule is None else round(self.rule.peak_relief)

    @property
    def positive(self) -> bool:
        return self.rule is not None and self.rule.positive(self.threshold)

    @property
    def relief_window(self) -> str:
        """When the diary shows relief at or above the threshold, in words: "at 30 min",
        "from 30 min to 8 h" ("" if never)."""
        window = None if self.rule is None else self.rule.window(self.threshold)
        if window is None:
            return ""
        first, last = (blocks.minutes_words(m) for m in window)
        return f"at {first}" if first == last else f"from {first} to {last}"


def block_section(entry: Entry) -> BlockSection | None:
    """The entry page's block section, or None when `entry` is not a diagnostic block and
    records no response. Three to five queries."""
    if not entry.is_diagnostic_block:
        return None  # no query for an ordinary entry
    threshold = threshold_for(entry.trainee_id)
    response, series = _series(entry, threshold)
    proposal = None
    if series is None and (response is None or not response.follows_id):
        proposal = proposed_first_block(entry)
    versions = ()
    if response is not None:
        versions = tuple(
            response.history.select_related("history_user").order_by("-history_date", "-pk")[
                :VERSIONS_SHOWN
            ]
        )
    return BlockSection(response, threshold, series, proposal, versions)


@dataclass(frozen=True)
class AblationSection:
    block: Entry | None
    flag: AblationFlag | None
    series: Series | None


def ablation_section(entry: Entry) -> AblationSection | None:
    """What an ablation's page shows of the block it rests on, and its flag."""
    if entry.procedure.kind != ProcedureType.Kind.ABLATION:
        return None
    if not entry.rests_on_id:
        return AblationSection(None, AblationFlag.NO_BLOCK, None)
    block = Entry.objects.select_related("procedure").get(pk=entry.rests_on_id)
    series = series_of(block)
    return AblationSection(block, flag_of(series), series)


# --- Exports: the CSV and the portfolio ------------------------------------------------------


@dataclass(frozen=True)
class BlockRecord:
    """An entry's diagnostic-block and ablation facts, in words, for the exports."""

    before: int | None = None
    diary: str = ""  # "30 min: 1; 1 h: 2"
    peak_relief: int | None = None
    series_with: Entry | None = None  # the other block of its series
    outcome: str = ""  # the series' outcome in words, at the program's threshold
    rests_on: Entry | None = None
    flag: str = ""  # an ablation's teaching flag in words


def block_records(trainee_id: int, entries) -> dict[int, BlockRecord]:
    """{entry id: BlockRecord} for the diagnostic blocks and ablations among `entries`
    (one trainee's, loaded with their procedure). Two queries (the trainee's block
    responses, their program's threshold) whatever the number of entries; none when
    there is neither a block nor an ablation."""
    entries = list(entries)
    wanted = [
        e for e in entries if e.purpose == Entry.Purpose.DIAGNOSTIC or e.procedure.is_ablation
    ]
    if not wanted:
        return {}
    responses = {
        r.entry_id: r
        for r in BlockResponse.objects.filter(entry__trainee_id=trainee_id).select_related("agent")
    }
    second_of = {r.follows_id: r for r in responses.values() if r.follows_id}
    threshold = threshold_for(trainee_id)
    by_id = {e.pk: e for e in entries}

    def outcome_of(block_id) -> tuple[int | None, blocks.SeriesOutcome | None]:
        """(the other block's id, the series' outcome), or (None, None) for a single block."""
        pair = _pair_of(block_id, responses, second_of)
        return (None, None) if pair is None else (pair[2], _outcome(pair, threshold))

    records = {}
    for entry in wanted:
        if entry.procedure.is_ablation:
            block_id = entry.rests_on_id
            if block_id is None:
                flag = AblationFlag.NO_BLOCK
            else:
                other, outcome = outcome_of(block_id)
                flag = AblationFlag.SINGLE if other is None else OUTCOME_FLAGS.get(outcome)
            records[entry.pk] = BlockRecord(
                rests_on=by_id.get(block_id), flag=flag.label if flag else ""
            )
            continue
        response = responses.get(entry.pk)
        rule = rule_response(response)
        other, outcome = outcome_of(entry.pk)
        records[entry.pk] = BlockRecord(
            before=response.before if response else None,
            diary="; ".join(
                f"{blocks.minutes_words(int(m))}: {s}" for m, s in (response.diary or ())
            )
            if response
            else "",
            peak_relief=None if rule is None else round(rule.peak_relief),
            series_with=by_id.get(other),
            outcome=f"{outcome.label} at {threshold}%" if outcome else "",
        )
    return records
