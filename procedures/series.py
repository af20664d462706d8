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
from enum import StrEnum

from django.db.models import Count, Q

from programs.access import block_thresholds
from programs.models import BlockThreshold

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

    def other(self, entry: Entry) -> Entry:
        return self.second if entry.pk == self.first.pk else self.first


def threshold_for(trainee_id: int) -> int:
    return block_thresholds([trainee_id]).get(trainee_id, BlockThreshold.MEDICARE)


def response_of(entry: Entry) -> BlockResponse | None:
    try:
        return entry.block_response
    except BlockResponse.DoesNotExist:
        return None


def series_of(entry: Entry, threshold: int | None = None) -> Series | None:
    """The series `entry` is a block of, or None. Two or three queries."""
    responses = BlockResponse.objects.select_related("agent", "entry__procedure")
    found = list(responses.filter(Q(entry=entry) | Q(follows=entry)))
    mine = next((r for r in found if r.entry_id == entry.pk), None)
    follower = next((r for r in found if r.follows_id == entry.pk), None)
    if threshold is None:
        threshold = threshold_for(entry.trainee_id)
    if follower is not None:
        return Series(entry, follower.entry, mine, follower, threshold)
    if mine is not None and mine.follows_id:
        first = Entry.objects.select_related("procedure").get(pk=mine.follows_id)
        first_response = responses.filter(entry_id=first.pk).first()
        return Series(first, entry, first_response, mine, threshold)
    return None


def proposed_first_block(entry: Entry) -> Entry | None:
    """A diagnostic block this one could be the second of: the trainee's latest block of
    the same procedure, levels and side, performed within the 90 days before it (the same
    day too, logged earlier), not already in a series. One query."""
    if not entry.is_diagnostic_block:
        return None
    return (
        Entry.objects.filter(
            trainee_id=entry.trainee_id,
            procedure_id=entry.procedure_id,
            levels=entry.levels,
            side=entry.side,
            purpose=Entry.Purpose.DIAGNOSTIC,
            performed_on__gte=entry.performed_on - timedelta(days=SERIES_WINDOW_DAYS),
            performed_on__lte=entry.performed_on,
            followed_by__isnull=True,
        )
        .exclude(status=Entry.Status.DRAFT)
        .exclude(pk=entry.pk)
        .exclude(block_response__follows__isnull=False)
        .order_by("-performed_on", "-id")
        .first()
    )


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


class AblationFlag(StrEnum):
    NO_BLOCK = "no_block", "No diagnostic block recorded"
    SINGLE = "single", "After a single diagnostic block"
    NEGATIVE = "negative", "After a negative block series"
    DISCORDANT = "discordant", "After a discordant block series"
    INCOMPLETE = "incomplete", "After a block series with a diary missing"

    def __new__(cls, value, label):
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        return member


OUTCOME_FLAGS = {
    blocks.SeriesOutcome.NEGATIVE: AblationFlag.NEGATIVE,
    blocks.SeriesOutcome.DISCORDANT: AblationFlag.DISCORDANT,
    blocks.SeriesOutcome.INCOMPLETE: AblationFlag.INCOMPLETE,
}


def _block_flags(block_ids, thresholds: dict[int, int]) -> dict[int, AblationFlag | None]:
    """{block entry id: the flag an ablation resting on it carries (None: a concordant
    positive series)} for these diagnostic blocks. Two queries at most."""
    block_ids = set(block_ids)
    if not block_ids:
        return {}
    responses = BlockResponse.objects.select_related("agent", "entry")
    found = list(responses.filter(Q(entry_id__in=block_ids) | Q(follows_id__in=block_ids)))
    by_entry = {r.entry_id: r for r in found}
    by_first = {r.follows_id: r for r in found if r.follows_id}
    firsts = {
        r.follows_id for r in found if r.entry_id in block_ids and r.follows_id
    } - by_entry.keys()
    for r in responses.filter(entry_id__in=firsts) if firsts else ():
        by_entry[r.entry_id] = r
    flags = {}
    for block_id in block_ids:
        mine = by_entry.get(block_id)
        if block_id in by_first:  # the first of a series
            pair = mine, by_first[block_id]
        elif mine is not None and mine.follows_id:  # the second
            pair = by_entry.get(mine.follows_id), mine
        else:
            flags[block_id] = AblationFlag.SINGLE
            continue
        trainee_id = next(r.entry.trainee_id for r in pair if r is not None)
        outcome = blocks.series_outcome(
            rule_response(pair[0]),
            rule_response(pair[1]),
            thresholds.get(trainee_id, BlockThreshold.MEDICARE),
        )
        flags[block_id] = OUTCOME_FLAGS.get(outcome)
    return flags


def ablation_flags(entries) -> dict[int, AblationFlag]:
    """{entry id: flag} for the flagged ablations among `entries` (loaded with their
    procedure). No query when none is an ablation; three at most otherwise."""
    ablations = [e for e in entries if e.procedure.kind == ProcedureType.Kind.ABLATION]
    if not ablations:
        return {}
    blocks_of = {e.pk: e.rests_on_id for e in ablations}
    thresholds = block_thresholds({e.trainee_id for e in ablations})
    by_block = _block_flags({b for b in blocks_of.values() if b}, thresholds)
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
    shown = Q(status__in=[Entry.Status.SUBMITTED, Entry.Status.SIGNED_OFF, Entry.Status.RETURNED])
    rows = (
        Entry.objects.filter(trainee_id__in=trainee_ids, procedure_id__in=types)
        .values_list("trainee_id", "rests_on_id")
        .annotate(n=Count("id", filter=shown))
        .order_by()
    )
    rows = [row for row in rows if row[2]]
    linked = {block_id for _, block_id, _ in rows if block_id}
    by_block = _block_flags(linked, block_thresholds(trainee_ids)) if linked else {}
    counts: dict[int, int] = {}
    for trainee_id, block_id, n in rows:
        if block_id is None or by_block.get(block_id) is not None:
            counts[trainee_id] = counts.get(trainee_id, 0) + n
    return counts


# --- The entry page -----------------------------------------------------------------------


@dataclass(frozen=True)
class DiaryRow:
    minutes: int
    score: int
    relief: int  # percent, rounded

    @property
    def time(self) -> str:
        return f"{self.minutes} min" if self.minutes < 60 else f"{self.minutes / 60:g} h"


@dataclass(frozen=True)
class BlockSection:
    """What the entry page shows of a diagnostic block: its response, relief computed
    from the diary, and the series it is in (or the one Precept proposes)."""

    response: BlockResponse | None
    threshold: int
    series: Series | None
    proposal: Entry | None
    versions: tuple = ()  # the response's history, newest first (its last 20 changes)

    @property
    def rows(self) -> list[DiaryRow]:
        rule = rule_response(self.response)
        if rule is None:
            return []
        return [DiaryRow(p.minutes, p.score, round(rule.relief(p.score))) for p in rule.diary]

    @property
    def peak_relief(self) -> int | None:
        rule = rule_response(self.response)
        return None if rule is None else round(rule.peak_relief)

    @property
    def positive(self) -> bool:
        rule = rule_response(self.response)
        return rule is not None and rule.positive(self.threshold)

    @property
    def relief_window(self) -> str:
        """When the diary shows relief at or above the threshold, in words: "at 30 min",
        "from 30 min to 8 h" ("" if never)."""
        rule = rule_response(self.response)
        window = None if rule is None else rule.window(self.threshold)
        if window is None:
            return ""
        first, last = (DiaryRow(m, 0, 0).time for m in window)
        return f"at {first}" if first == last else f"from {first} to {last}"


def block_section(entry: Entry) -> BlockSection | None:
    """The entry page's block section, or None when `entry` is not a diagnostic block and
    records no response. Three to five queries."""
    if not entry.is_diagnostic_block:
        return None  # no query for an ordinary entry
    response = BlockResponse.objects.select_related("agent").filter(entry=entry).first()
    threshold = threshold_for(entry.trainee_id)
    series = series_of(entry, threshold)
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
    block = None
    series = None
    if entry.rests_on_id:
        block = Entry.objects.select_related("procedure").get(pk=entry.rests_on_id)
        series = series_of(block)
    flag = ablation_flags([entry]).get(entry.pk)
    return AblationSection(block, flag, series)


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
    second_of = {r.follows_id: r.entry_id for r in responses.values() if r.follows_id}
    threshold = threshold_for(trainee_id)
    by_id = {e.pk: e for e in entries}

    def outcome_of(block_id) -> tuple[int | None, blocks.SeriesOutcome | None]:
        """(the other block's id, the series' outcome), or (None, None) for a single block."""
        mine = responses.get(block_id)
        if block_id in second_of:
            other = second_of[block_id]
            pair = mine, responses.get(other)
        elif mine is not None and mine.follows_id:
            other = mine.follows_id
            pair = responses.get(other), mine
        else:
            return None, None
        return other, blocks.series_outcome(*map(rule_response, pair), threshold)

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
                f"{DiaryRow(int(m), int(s), 0).time}: {s}" for m, s in (response.diary or ())
            )
            if response
            else "",
            peak_relief=None if rule is None else round(rule.peak_relief),
            series_with=by_id.get(other),
            outcome=f"{outcome.label} at {threshold}%" if outcome else "",
        )
    return records
