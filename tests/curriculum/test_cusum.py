"""The learning-curve CUSUM (issue 13, point 4), against values worked out by hand for
p0 = 0.10, p1 = 0.20, α = β = 0.10 (Bolsin and Colson's form)."""

import pytest

from curriculum.cusum import CusumRule, cusum

# By hand: P = ln 2 = 0.693147; Q = ln(0.9 / 0.8) = 0.117783; P + Q = 0.810930.
# s = 0.117783 / 0.810930 = 0.1452444; h0 = h1 = ln 9 / 0.810930 = 2.197225 / 0.810930
# = 2.709511.
RULE = CusumRule(p0=0.10, p1=0.20, alpha=0.10, beta=0.10)


def test_the_decrement_and_the_limits():
    assert RULE.s == pytest.approx(0.1452444, abs=1e-7)
    assert RULE.h0 == pytest.approx(2.709511, abs=1e-6)
    assert RULE.h1 == pytest.approx(2.709511, abs=1e-6)
    assert 1 - RULE.s == pytest.approx(0.8547556, abs=1e-7)  # the increment per failure


def test_thirty_successes_cross_the_competence_limit_at_case_19():
    # n × 0.1452444 ≥ 2.709511 first at n = 19 (18 × s = 2.614399; 19 × s = 2.759644).
    curve = cusum([False] * 30, RULE)
    assert curve.values[17] == pytest.approx(-2.614399, abs=1e-5)
    assert curve.values[18] == pytest.approx(-2.759644, abs=1e-5)
    assert curve.competent_at == 19
    assert curve.relapse_at is None


def test_a_sequence_of_30_cases_worked_by_hand():
    # One failure at case 5, then successes to case 26, then four failures.
    failures = [False] * 30
    failures[4] = True
    for case in (27, 28, 29, 30):
        failures[case - 1] = True
    curve = cusum(failures, RULE)
    # After case 5: 0.8547556 − 4 × 0.1452444 = 0.2737780.
    assert curve.values[4] == pytest.approx(0.273778, abs=1e-5)
    # After case 25: 1 − 25 × 0.1452444 = −2.631110, not yet at −2.709511;
    # after case 26: 1 − 26 × 0.1452444 = −2.776354: competent.
    assert curve.values[24] == pytest.approx(-2.631110, abs=1e-5)
    assert curve.values[25] == pytest.approx(-2.776354, abs=1e-5)
    assert curve.competent_at == 26
    # The relapse watch from there: 0.854756, 1.709511, 2.564267 (below h1), 3.419022.
    assert curve.watch == pytest.approx([0.854756, 1.709511, 2.564267, 3.419022], abs=1e-5)
    assert curve.relapse_at == 30
    assert len(curve.values) == 30


def test_the_relapse_watch_never_goes_below_zero():
    curve = cusum([False] * 19 + [False] * 10 + [True] * 3, RULE)
    assert curve.competent_at == 19
    # Ten successes after competence leave the watch at 0, not at −1.45: three failures
    # then reach 2.564267, below h1: no alert.
    assert curve.watch[9] == 0
    assert curve.watch[-1] == pytest.approx(2.564267, abs=1e-5)
    assert curve.relapse_at is None


def test_nonsense_rates_are_refused():
    with pytest.raises(ValueError):
        CusumRule(p0=0.2, p1=0.1)
    with pytest.raises(ValueError):
        CusumRule(alpha=0)
