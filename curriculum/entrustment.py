"""Entrustment rules for one trainee and one competency (issue 13, points 1, 2, 3 and 5):
pure functions of the cases given, no queries. The pages that use them are to come.

A competency is a procedure type (or a group of them) under one guidance modality: a
trainee's cases under fluoroscopy say nothing of their ultrasound (`cases_for`).

- **Level** (`entrustment`): the highest of the program's rules that the signed-off cases
  meet: at least `min_cases`, the latest `last` of them rated `min_rating` or more on the
  O-SCORE scale, from at least `min_assessors` different supervisors. The levels are
  those of entrustment scales such as the American Board of Surgery's for its EPAs: not
  yet, direct supervision, indirect supervision, unsupervised practice.
- **Recency**: `lapse_days` (90 by default) without a case and the level lapses to
  "direct supervision required" (a certification lapses without recent cases, as
  residency systems record them); after such a gap, the first case under direct
  supervision rated 4 or more restores the level the cases earn.
- **Calibration** (`leniency`): each supervisor's mean rating against the program's, as
  a z-score of that mean (the program's standard deviation over the square root of the
  supervisor's count), flagged beyond ±2 with at least 20 ratings.
- **Readiness for a committee** (`readiness`): enough observations, from enough
  assessors, recently enough, with a narrative; otherwise what is missing.
"""

import dataclasses
import math
import statistics
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db import models


class Level(models.IntegerChoices):
    NOT_YET = 0, "Not yet"
    DIRECT = 1, "Direct supervision"
    INDIRECT = 2, "Indirect supervision"
    UNSUPERVISED = 3, "Unsupervised practice"


@dataclass(frozen=True)
class LevelRule:
    level: int
    min_cases: int
    last: int = 0  # how many of the latest cases must be rated min_rating or more
    min_rating: int = 0
    min_assessors: int = 1  # different supervisors among those latest cases

    def as_dict(self) -> dict:
        return dataclasses.asdict(self) | {"level": int(self.level)}


DEFAULT_RULES = (
    LevelRule(Level.DIRECT, min_cases=1),
    LevelRule(Level.INDIRECT, min_cases=10, last=5, min_rating=4, min_assessors=2),
    LevelRule(Level.UNSUPERVISED, min_cases=25, last=5, min_rating=5, min_assessors=2),
)
LAPSE_DAYS = 90
RESTORING_RATING = 4


@dataclass(frozen=True)
class Case:
    """A signed-off case of a competency: when, the supervisor's rating (O-SCORE 1–5, or
    None), who rated it, under which guidance and of which procedure type."""

    day: date
    rating: int | None
    assessor: int
    guidance: str = ""
    procedure: int = 0
    direct: bool = True  # performed with the supervisor present (direct supervision)


def cases_for(cases: list[Case], procedures: set[int], guidance: str) -> list[Case]:
    """A competency's cases: its procedure types under its one modality, oldest first."""
    return sorted(
        (c for c in cases if c.procedure in procedures and c.guidance == guidance),
        key=lambda c: c.day,
    )


def _earned(cases: list[Case], rules) -> int:
    level = Level.NOT_YET
    for rule in sorted(rules, key=lambda r: r.level):
        if len(cases) < rule.min_cases:
            break
        latest = cases[-rule.last :] if rule.last else cases
        if rule.last and len(latest) < rule.last:
            break
        if any((c.rating or 0) < rule.min_rating for c in latest):
            break
        if len({c.assessor for c in latest}) < rule.min_assessors:
            break
        level = rule.level
    return level


@dataclass(frozen=True)
class Entrustment:
    level: int  # what the trainee may do now
    earned: int  # what the cases earn, before recency
    lapsed: bool  # held back to direct supervision by a gap
    last_case: date | None

    @property
    def label(self) -> str:
        if self.lapsed:
            return "Direct supervision required (lapsed)"
        return Level(self.level).label


@dataclass(frozen=True)
class Standing:
    """What a competency's cases give, whatever the day: the level while the latest case
    is recent (`level`, `earned`, `lapsed`: the entrustment then), what all the cases
    earn (`raw`), and the latest case's day. `on(today)` applies the lapse; stored as is
    (curriculum.competence), it needs no recomputing when a day passes."""

    level: int
    earned: int
    lapsed: bool
    raw: int
    last_case: date | None
    lapse_days: int = LAPSE_DAYS

    def on(self, today: date) -> Entrustment:
        if self.last_case is None:
            return Entrustment(Level.NOT_YET, Level.NOT_YET, False, None)
        if (today - self.last_case).days > self.lapse_days:
            # What lapses is the level held: the cases' own, or one a case after an
            # earlier gap restored above them.
            held = max(self.raw, self.level)
            capped = min(held, Level.DIRECT)
            return Entrustment(capped, held, held > capped, self.last_case)
        return Entrustment(self.level, self.earned, self.lapsed, self.last_case)


def standing(cases: list[Case], rules=DEFAULT_RULES, lapse_days: int = LAPSE_DAYS) -> Standing:
    """A competency's standing from its signed-off cases."""
    cases = sorted(cases, key=lambda c: c.day)
    earned = _earned(cases, rules)
    if not cases:
        return Standing(Level.NOT_YET, Level.NOT_YET, False, earned, None, lapse_days)
    last = cases[-1].day
    capped = min(earned, Level.DIRECT)
    # A gap longer than the lapse before the latest cases: the level comes back with the
    # first case after it rated RESTORING_RATING or more.
    gap_at = None
    for before, after in zip(cases, cases[1:], strict=False):
        if (after.day - before.day).days > lapse_days:
            gap_at = after.day
    if gap_at is not None:
        since = [c for c in cases if c.day >= gap_at]
        if not any(c.direct and (c.rating or 0) >= RESTORING_RATING for c in since):
            return Standing(capped, earned, earned > capped, earned, last, lapse_days)
        # Restored: the level held before the gap, or what the cases earn now if more.
        held = _earned([c for c in cases if c.day < gap_at], rules)
        restored = max(earned, held)
        return Standing(restored, restored, False, earned, last, lapse_days)
    return Standing(earned, earned, False, earned, last, lapse_days)


def entrustment(
    cases: list[Case], today: date, rules=DEFAULT_RULES, lapse_days: int = LAPSE_DAYS
) -> Entrustment:
    """The trainee's level for a competency from its signed-off cases, on `today`."""
    return standing(cases, rules, lapse_days).on(today)


# --- Two ratings and calibration -------------------------------------------------------------


def agreement(pairs: list[tuple[int, int]]) -> tuple[float | None, float | None]:
    """(the share of cases where the trainee's own rating equals the supervisor's, the
    mean of trainee minus supervisor: above 0 the trainee rates themselves higher) over
    the (trainee's, supervisor's) ratings of the same cases."""
    if not pairs:
        return None, None
    same = sum(1 for own, theirs in pairs if own == theirs) / len(pairs)
    return same, statistics.fmean(own - theirs for own, theirs in pairs)


LENIENCY_Z = 2
LENIENCY_MIN_RATINGS = 20


@dataclass(frozen=True)
class Leniency:
    assessor: int
    ratings: int
    mean: float
    z: float | None

    @property
    def flagged(self) -> bool:
        return (
            self.z is not None and self.ratings >= LENIENCY_MIN_RATINGS and abs(self.z) > LENIENCY_Z
        )


def leniency(ratings: list[tuple[int, int]]) -> list[Leniency]:
    """Each supervisor's mean rating and its z-score against the program's ratings:
    z = (their mean − the program's mean) / (the program's SD / √their count);
    `ratings` are (assessor, rating) pairs."""
    sums: dict[int, tuple[int, int]] = {}
    for assessor, rating in ratings:
        count, total = sums.get(assessor, (0, 0))
        sums[assessor] = (count + 1, total + rating)
    return leniency_from_sums(sums, sum(r * r for _, r in ratings))


def leniency_from_sums(sums: dict[int, tuple[int, int]], squares: int) -> list[Leniency]:
    """`leniency` from each assessor's (count, sum of ratings) and the sum of all the
    ratings' squares: what one SQL aggregate gives for a whole program."""
    n = sum(count for count, _ in sums.values())
    if n < 2:
        return []
    mean = sum(total for _, total in sums.values()) / n
    sd = math.sqrt(max(squares / n - mean * mean, 0.0))
    result = []
    for assessor, (count, total) in sorted(sums.items()):
        their_mean = total / count
        z = (their_mean - mean) / (sd / math.sqrt(count)) if sd > 1e-12 else None
        result.append(Leniency(assessor, count, their_mean, z))
    return result


# --- Evidence a committee can decide on --------------------------------------------------------


@dataclass(frozen=True)
class ReadinessRule:
    observations: int = 10
    assessors: int = 2
    recent: int = 2
    recent_days: int = 90
    narratives: int = 1


@dataclass(frozen=True)
class Observation:
    day: date
    assessor: int
    narrative: str = ""


@dataclass
class Readiness:
    ready: bool
    missing: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Evidence:
    """A competency's observations summed up, whatever the day: how many, from how many
    assessors, with how many narratives, and the days of the latest ones (newest first,
    as many as the recency rule asks for), so that readiness on any day needs no more."""

    observations: int = 0
    assessors: int = 0
    narratives: int = 0
    newest: tuple[date, ...] = ()


def evidence(observations: list[Observation], keep: int) -> Evidence:
    """The summary of these observations, keeping the `keep` latest days."""
    return Evidence(
        observations=len(observations),
        assessors=len({o.assessor for o in observations}),
        narratives=sum(1 for o in observations if o.narrative.strip()),
        newest=tuple(sorted((o.day for o in observations), reverse=True)[:keep]),
    )


def _more(n: int, noun: str) -> str:
    return f"{n} more {noun}{'' if n == 1 else 's'}"


def readiness_of(
    summary: Evidence, today: date, rule: ReadinessRule = ReadinessRule()
) -> Readiness:
    """ "Ready for a decision", or "not enough evidence" with each missing piece in words."""
    missing = []
    if summary.observations < rule.observations:
        missing.append(_more(rule.observations - summary.observations, "observation"))
    if summary.assessors < rule.assessors:
        missing.append(f"observations from {_more(rule.assessors - summary.assessors, 'assessor')}")
    since = today - timedelta(days=rule.recent_days)
    recent = sum(1 for day in summary.newest[: rule.recent] if day > since)
    if recent < rule.recent:
        missing.append(
            f"{_more(rule.recent - recent, 'observation')} in the last {rule.recent_days} days"
        )
    if summary.narratives < rule.narratives:
        lacking = rule.narratives - summary.narratives
        missing.append(
            "a narrative comment" if lacking == 1 else _more(lacking, "narrative comment")
        )
    return Readiness(ready=not missing, missing=missing)


def readiness(
    observations: list[Observation], today: date, rule: ReadinessRule = ReadinessRule()
) -> Readiness:
    """Readiness straight from the observations (`readiness_of` their summary)."""
    return readiness_of(evidence(observations, rule.recent), today, rule)
