"""Entrustment rules (issue 13): each level and its thresholds, modality not carrying over,
a lapse after 90 days and its restoration, agreement and the z-score, readiness."""

import math
from datetime import date, timedelta

import pytest

from curriculum.entrustment import (
    Case,
    Level,
    Observation,
    agreement,
    cases_for,
    entrustment,
    leniency,
    readiness,
)

TODAY = date(2026, 12, 7)
TFESI, FACET = 11, 12


def run(ratings, assessors=(1, 2), start_days_ago=60, step=2, guidance="fluoroscopy"):
    """Cases rated `ratings`, oldest first, every `step` days ending near today, by the
    assessors in turn."""
    first = TODAY - timedelta(days=start_days_ago)
    return [
        Case(first + timedelta(days=i * step), r, assessors[i % len(assessors)], guidance, TFESI)
        for i, r in enumerate(ratings)
    ]


def level(cases, today=TODAY):
    return entrustment(cases, today).level


def test_no_case_is_not_yet():
    assert level([]) == Level.NOT_YET


def test_one_case_is_direct_supervision():
    assert level(run([2])) == Level.DIRECT


def test_indirect_needs_ten_cases_the_last_five_rated_4_from_two_supervisors():
    assert level(run([2] * 5 + [4] * 5)) == Level.INDIRECT
    assert level(run([2] * 4 + [4] * 5)) == Level.DIRECT  # 9 cases
    assert level(run([2] * 5 + [4, 4, 3, 4, 4])) == Level.DIRECT  # a 3 among the last five
    assert level(run([2] * 5 + [4] * 5, assessors=(1,))) == Level.DIRECT  # one supervisor


def test_unsupervised_needs_twenty_five_the_last_five_rated_5():
    assert level(run([3] * 20 + [5] * 5)) == Level.UNSUPERVISED
    assert level(run([3] * 19 + [5] * 5)) == Level.INDIRECT  # 24 cases: the last five 5s
    assert level(run([3] * 20 + [5, 5, 5, 5, 4])) == Level.INDIRECT


def test_fluoroscopy_does_not_carry_over_to_ultrasound():
    fluoro = run([4] * 10, guidance="fluoroscopy")
    mixed = fluoro + run([3], guidance="ultrasound", start_days_ago=1)
    assert level(cases_for(mixed, {TFESI}, "fluoroscopy")) == Level.INDIRECT
    assert level(cases_for(mixed, {TFESI}, "ultrasound")) == Level.DIRECT
    assert cases_for(mixed, {FACET}, "fluoroscopy") == []


def test_a_level_lapses_after_90_days_without_a_case():
    cases = run([4] * 10, start_days_ago=200, step=2)  # the last case 182 days ago
    found = entrustment(cases, TODAY)
    assert (found.level, found.earned, found.lapsed) == (Level.DIRECT, Level.INDIRECT, True)
    assert found.label == "Direct supervision required (lapsed)"
    # 90 days exactly is not yet a lapse; 91 is.
    last = cases[-1].day
    assert entrustment(cases, last + timedelta(days=90)).level == Level.INDIRECT
    assert entrustment(cases, last + timedelta(days=91)).level == Level.DIRECT


def test_one_case_rated_4_after_the_gap_restores_the_level():
    before = run([4] * 10, start_days_ago=200, step=2)
    after_3 = before + [Case(TODAY - timedelta(days=1), 3, 1, "fluoroscopy", TFESI)]
    assert level(after_3) == Level.DIRECT  # a case, but rated 3: still held back
    after_4 = after_3 + [Case(TODAY, 4, 2, "fluoroscopy", TFESI)]
    assert level(after_4) == Level.INDIRECT


def test_only_a_case_under_direct_supervision_restores_the_level():
    before = run([4] * 10, start_days_ago=200, step=2)
    indirect = before + [Case(TODAY, 5, 1, "fluoroscopy", TFESI, direct=False)]
    assert entrustment(indirect, TODAY).lapsed
    direct = before + [Case(TODAY, 4, 1, "fluoroscopy", TFESI, direct=True)]
    assert level(direct) == Level.INDIRECT


def test_a_level_restored_above_the_cases_own_lapses_from_where_it_was():
    # Ten cases rated 4, a 300-day gap, then a 3 and a 4 under direct supervision: the 4
    # restores indirect supervision (the 3 among the latest five keeps the cases' own
    # level at direct); 91 days later it is that restored level which lapses.
    before = run([4] * 10, start_days_ago=400, step=2)
    after = before + [
        Case(TODAY - timedelta(days=2), 3, 1, "fluoroscopy", TFESI),
        Case(TODAY - timedelta(days=1), 4, 2, "fluoroscopy", TFESI),
    ]
    assert level(after) == Level.INDIRECT
    later = entrustment(after, TODAY + timedelta(days=91))
    assert later.lapsed and later.level == Level.DIRECT


def test_agreement_of_the_two_ratings():
    same, bias = agreement([(4, 4), (5, 4), (3, 3), (4, 2)])
    assert same == 0.5  # two of four alike
    assert bias == 0.75  # (0 + 1 + 0 + 2) / 4: the trainee rates higher
    assert agreement([]) == (None, None)


def test_the_leniency_z_score_worked_by_hand():
    # Program: twenty 5s from supervisor 1, twenty 3s from supervisor 2, twenty 4s from
    # supervisor 3. Mean 4; population SD √(2/3) = 0.816497. Supervisor 1: mean 5,
    # z = (5 − 4) / (0.816497 / √20) = 1 / 0.182574 = 5.477226; supervisor 3: z = 0.
    ratings = [(1, 5)] * 20 + [(2, 3)] * 20 + [(3, 4)] * 20
    by = {row.assessor: row for row in leniency(ratings)}
    assert by[1].z == pytest.approx(5.477226, abs=1e-6) and by[1].flagged
    assert by[2].z == pytest.approx(-5.477226, abs=1e-6) and by[2].flagged
    assert by[3].z == 0 and not by[3].flagged
    assert math.isclose(by[1].mean, 5)


def test_a_lenient_supervisor_with_fewer_than_20_ratings_is_not_flagged():
    ratings = [(1, 5)] * 19 + [(2, 3)] * 40
    lenient = next(row for row in leniency(ratings) if row.assessor == 1)
    assert lenient.z > 2 and not lenient.flagged


def observations(n, assessors=(1, 2), days_ago=10, narrative="Good views."):
    return [
        Observation(
            TODAY - timedelta(days=days_ago + i),
            assessors[i % len(assessors)],
            narrative if i == 0 else "",
        )
        for i in range(n)
    ]


def test_ready_for_a_decision():
    assert readiness(observations(10), TODAY).ready


@pytest.mark.parametrize(
    "obs, missing",
    [
        (observations(8), ["2 more observations"]),
        (observations(10, assessors=(1,)), ["observations from 1 more assessor"]),
        (observations(10, days_ago=120), ["2 more observations in the last 90 days"]),
        (observations(10, narrative=""), ["a narrative comment"]),
        (
            observations(9, assessors=(1,), days_ago=100, narrative=""),
            [
                "1 more observation",
                "observations from 1 more assessor",
                "2 more observations in the last 90 days",
                "a narrative comment",
            ],
        ),
    ],
)
def test_not_enough_evidence_says_what_is_missing(obs, missing):
    found = readiness(obs, TODAY)
    assert not found.ready and found.missing == missing
