"""Learning-curve CUSUM for one trainee and one competency (issue 13, point 4).

Bolsin S, Colson M. The use of the Cusum technique in the assessment of trainee
competence in new procedures. Int J Qual Health Care 2000;12(5):433–438. For an
acceptable failure rate p0, an unacceptable one p1, and the chances α (of calling an
acceptable performer unacceptable) and β (of calling an unacceptable one acceptable):

    P = ln(p1 / p0),  Q = ln((1 − p0) / (1 − p1))
    s = Q / (P + Q)                      the decrement for each success
    1 − s                                the increment for each failure
    h0 = ln((1 − α) / β) / (P + Q)       the lower decision limit: the curve at −h0
    h1 = ln((1 − β) / α) / (P + Q)       the upper decision limit

The curve starts at 0 and adds 1 − s for each failure and −s for each success. It
crosses the competence limit when it first reaches −h0: the failure rate is then
acceptable with these error rates. From then on, a one-sided CUSUM (Page's scheme:
never below 0) watches for a relapse and raises an alert when it reaches h1.

The result depends heavily on p0, p1, α and β: the program sets them, and pages show
them beside the chart. What counts as a failure is defined per procedure type in the
curriculum file.
"""

import math
from dataclasses import dataclass, field


@dataclass(frozen=True)
class CusumRule:
    p0: float = 0.10  # acceptable failure rate
    p1: float = 0.20  # unacceptable failure rate
    alpha: float = 0.10
    beta: float = 0.10

    def __post_init__(self):
        if not 0 < self.p0 < self.p1 < 1:
            raise ValueError("The failure rates must be 0 < p0 < p1 < 1.")
        if not (0 < self.alpha < 1 and 0 < self.beta < 1):
            raise ValueError("α and β must be between 0 and 1.")

    @property
    def _pq(self) -> tuple[float, float]:
        return math.log(self.p1 / self.p0), math.log((1 - self.p0) / (1 - self.p1))

    @property
    def s(self) -> float:
        """The decrement for each success."""
        p, q = self._pq
        return q / (p + q)

    @property
    def h0(self) -> float:
        """The lower decision limit's distance below 0 (the curve at −h0: competent)."""
        p, q = self._pq
        return math.log((1 - self.alpha) / self.beta) / (p + q)

    @property
    def h1(self) -> float:
        """The upper decision limit (the relapse watch at h1: an alert)."""
        p, q = self._pq
        return math.log((1 - self.beta) / self.alpha) / (p + q)


@dataclass
class Cusum:
    rule: CusumRule
    values: list[float] = field(default_factory=list)  # the curve after each case
    competent_at: int | None = None  # the case number (1-based) that crossed −h0
    relapse_at: int | None = None  # the case number that raised the relapse alert
    watch: list[float] = field(default_factory=list)  # the relapse CUSUM after competence


def cusum(failures: list[bool], rule: CusumRule | None = None) -> Cusum:
    """The CUSUM of a trainee's cases of one competency, in the order performed
    (`failures[i]`: whether case i + 1 failed)."""
    rule = rule or CusumRule()
    s, h0, h1 = rule.s, rule.h0, rule.h1
    result = Cusum(rule=rule)
    total = 0.0
    watch = 0.0
    for number, failed in enumerate(failures, start=1):
        step = (1 - s) if failed else -s
        total += step
        result.values.append(total)
        if result.competent_at is None:
            if total <= -h0:
                result.competent_at = number
            continue
        watch = max(0.0, watch + step)
        result.watch.append(watch)
        if result.relapse_at is None and watch >= h1:
            result.relapse_at = number
    return result
