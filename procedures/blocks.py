"""Diagnostic blocks: relief computed from a pain diary, and comparative block series.

The rules of issue 11, point 1, as pure functions (no database): the models, forms and
pages that record a block response build on them.

Sources:
- Medicare LCD L38773, Facet Joint Interventions for Pain Management (2021): two medial
  branch blocks in a row, at the same level and side, each with at least 80% relief of the
  index pain, lasting as long as the agent used should, scored on the same pain scale.
- Spine Intervention Society, Practice Guidelines for Spinal Diagnostic and Treatment
  Procedures (2nd ed., 2013), comparative local anaesthetic blocks: a response is
  concordant when both blocks relieve the pain and the longer-acting agent (bupivacaine)
  relieves it for longer than the shorter-acting one (lidocaine).
- Cohen et al., Consensus practice guidelines on interventions for lumbar facet joint
  pain, Reg Anesth Pain Med 2020: thresholds of 50% are also in use; programs choose
  (50, 75, 80 or 100%, 80 by default).

Relief is never typed: it is (before − after) / before, from scores on one scale, and its
duration is how long the diary shows it at or above the threshold from the first time it
does.
"""

from dataclasses import dataclass

from django.db import models

THRESHOLDS = (50, 75, 80, 100)
DEFAULT_THRESHOLD = 80
MAX_DIARY_MINUTES = 72 * 60  # a diary runs a few days at most
SCALES = {"nrs": 10, "vas": 100}  # NRS 0–10 by default; a VAS in mm, 0–100

# How long each local anaesthetic's block lasts, shortest first: the longer-acting agent
# of a comparative pair should give the longer relief.
AGENT_RANK = {"lidocaine": 1, "bupivacaine": 2}


def minutes_words(minutes: int) -> str:
    """A diary time in words: "30 min", "1 h", "1.5 h", "24 h"."""
    return f"{minutes} min" if minutes < 60 else f"{minutes / 60:g} h"


@dataclass(frozen=True)
class DiaryPoint:
    minutes: int  # after the block
    score: int


@dataclass(frozen=True)
class BlockResponse:
    """One diagnostic block's pain response: the scale, the score before, the diary."""

    scale: str
    before: int
    diary: tuple[DiaryPoint, ...]
    agent: str = ""

    def relief(self, score: int) -> float:
        """Percent relief of the index pain at `score` (0 when there was no pain before)."""
        if self.before <= 0:
            return 0.0
        return max(0.0, (self.before - score) * 100 / self.before)

    @property
    def peak_relief(self) -> float | None:
        if not self.diary:
            return None
        return max(self.relief(point.score) for point in self.diary)

    def positive(self, threshold: int = DEFAULT_THRESHOLD) -> bool:
        peak = self.peak_relief
        return peak is not None and peak >= threshold

    def window(self, threshold: int = DEFAULT_THRESHOLD) -> tuple[int, int] | None:
        """(first, last) diary minutes of the unbroken run of relief at or above
        `threshold` that starts at the first time it is reached; None if never."""
        start = end = None
        for point in self.diary:
            if self.relief(point.score) >= threshold:
                if start is None:
                    start = point.minutes
                end = point.minutes
            elif start is not None:
                break
        return None if start is None else (start, end)

    def duration(self, threshold: int = DEFAULT_THRESHOLD) -> int | None:
        """Minutes from the first diary time with relief at or above `threshold` to the
        last one of that unbroken run; None if relief never reaches it."""
        window = self.window(threshold)
        return None if window is None else window[1] - window[0]


def diary_errors(scale: str, before, diary: list[tuple]) -> list[str]:
    """What is wrong with a pain score and diary as typed, in words that name the field;
    empty when they are fine. `diary` holds (minutes, score) pairs as entered."""
    top = SCALES.get(scale)
    if top is None:
        return [f"Pain scale must be one of: {', '.join(SCALES)}."]
    errors = []
    if not isinstance(before, int) or not 0 <= before <= top:
        errors.append(f"Pain before must be a whole number from 0 to {top} on this scale.")
    last = None
    for minutes, score in diary:
        if not isinstance(minutes, int) or not 0 < minutes <= MAX_DIARY_MINUTES:
            errors.append(
                f"Diary time {minutes} must be a number of minutes after the block, "
                f"from 1 to {MAX_DIARY_MINUTES} (72 hours)."
            )
            continue
        if last is not None and minutes <= last:
            errors.append(f"Diary times must be in order: {minutes} min comes after {last} min.")
        last = minutes
        if not isinstance(score, int) or not 0 <= score <= top:
            errors.append(f"Diary score at {minutes} min must be a whole number from 0 to {top}.")
    return errors


class SeriesOutcome(models.TextChoices):
    CONCORDANT = "concordant", "Concordant positive"
    DISCORDANT = "discordant", "Discordant"
    NEGATIVE = "negative", "Negative"
    INCOMPLETE = "incomplete", "Incomplete (diary missing)"


def series_outcome(
    first: BlockResponse | None,
    second: BlockResponse | None,
    threshold: int = DEFAULT_THRESHOLD,
) -> SeriesOutcome:
    """The outcome of two comparative blocks under a program's threshold.

    Incomplete while either diary is missing; negative when neither block reaches the
    threshold; discordant when only one does, when they were scored on different scales,
    or when the shorter-acting agent gave the longer relief; otherwise concordant positive.
    """
    if threshold not in THRESHOLDS:
        raise ValueError(f"threshold must be one of {THRESHOLDS}")
    if first is None or second is None or not first.diary or not second.diary:
        return SeriesOutcome.INCOMPLETE
    one, two = first.positive(threshold), second.positive(threshold)
    if not one and not two:
        return SeriesOutcome.NEGATIVE
    if one != two or first.scale != second.scale:
        return SeriesOutcome.DISCORDANT
    ranks = AGENT_RANK.get(first.agent), AGENT_RANK.get(second.agent)
    if None not in ranks and ranks[0] != ranks[1]:
        longer, shorter = (first, second) if ranks[0] > ranks[1] else (second, first)
        if longer.duration(threshold) <= shorter.duration(threshold):
            return SeriesOutcome.DISCORDANT
    return SeriesOutcome.CONCORDANT
