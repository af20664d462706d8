"""Comparative diagnostic blocks (issue 11, point 1): relief computed from the diary, never
typed, and a series' outcome under the program's threshold, on hand-built cases."""

import pytest

from procedures.blocks import (
    BlockResponse,
    DiaryPoint,
    SeriesOutcome,
    diary_errors,
    series_outcome,
)

TIMES = (30, 60, 120, 240, 360, 480, 1440)


def response(before, scores, agent="lidocaine", scale="nrs"):
    """A block with a diary at the usual times: 30 min, 1, 2, 4, 6, 8 and 24 h."""
    diary = tuple(DiaryPoint(t, s) for t, s in zip(TIMES, scores, strict=False))
    return BlockResponse(scale=scale, before=before, diary=diary, agent=agent)


# Lidocaine: relief for about 2 hours; bupivacaine: for about 6.
LIDOCAINE_80 = response(8, [1, 1, 1, 6, 8, 8, 8], "lidocaine")  # 87.5% from 30 to 120 min
BUPIVACAINE_80 = response(8, [1, 1, 0, 1, 1, 6, 8], "bupivacaine")  # from 30 to 360 min


def test_relief_is_computed_from_the_scores():
    block = response(8, [2, 4, 8])
    assert block.relief(2) == 75
    assert block.relief(0) == 100
    assert block.relief(10) == 0  # worse than before is no relief, not negative relief
    assert block.peak_relief == 75
    assert response(0, [0]).relief(0) == 0  # no pain before: nothing to relieve
    assert response(8, []).peak_relief is None


def test_duration_is_the_first_unbroken_run_at_or_above_the_threshold():
    assert LIDOCAINE_80.duration(80) == 90  # 30 min to 2 h
    assert BUPIVACAINE_80.duration(80) == 330  # 30 min to 6 h
    # Relief that comes back later does not stretch the first run.
    assert response(10, [5, 1, 1, 6, 1, 9]).duration(80) == 60
    assert response(10, [5, 5, 5]).duration(80) is None


def test_the_window_says_when_relief_was_seen_at_the_threshold():
    assert LIDOCAINE_80.window(80) == (30, 120)
    assert response(10, [5, 1, 1, 6, 1, 9]).window(80) == (60, 120)
    assert response(10, [1]).window(80) == (30, 30)  # seen once: a duration of 0
    assert response(10, [5, 5, 5]).window(80) is None


@pytest.mark.parametrize(
    ("threshold", "outcome"),
    [
        (50, SeriesOutcome.CONCORDANT),
        (75, SeriesOutcome.CONCORDANT),
        (80, SeriesOutcome.DISCORDANT),  # the second block peaks at 75%
        (100, SeriesOutcome.NEGATIVE),
    ],
)
def test_the_programs_threshold_decides(threshold, outcome):
    first = response(8, [1, 1, 1, 6, 8, 8, 8], "lidocaine")  # 87.5%
    second = response(8, [2, 2, 2, 2, 2, 6, 8], "bupivacaine")  # 75% for 6 h
    assert series_outcome(first, second, threshold) == outcome


def test_both_positive_with_the_longer_acting_agent_longer_is_concordant():
    assert series_outcome(LIDOCAINE_80, BUPIVACAINE_80) == SeriesOutcome.CONCORDANT
    # The order of the two blocks does not matter.
    assert series_outcome(BUPIVACAINE_80, LIDOCAINE_80) == SeriesOutcome.CONCORDANT


def test_the_shorter_acting_agent_relieving_longer_is_discordant():
    long_lidocaine = response(8, [1, 1, 1, 1, 1, 1, 8], "lidocaine")  # 30 min to 8 h
    short_bupivacaine = response(8, [1, 1, 7, 8, 8, 8, 8], "bupivacaine")  # 30 to 60 min
    assert series_outcome(long_lidocaine, short_bupivacaine) == SeriesOutcome.DISCORDANT
    # As long is not longer: the rule asks the longer-acting agent to outlast the other.
    same = response(8, [1, 1, 1, 6, 8, 8, 8], "bupivacaine")
    assert series_outcome(LIDOCAINE_80, same) == SeriesOutcome.DISCORDANT


def test_the_same_agent_twice_needs_both_positive_only():
    """Medicare's two medial branch blocks may use one agent: no duration comparison."""
    again = response(8, [0, 1, 1, 7, 8, 8, 8], "lidocaine")
    assert series_outcome(LIDOCAINE_80, again) == SeriesOutcome.CONCORDANT


def test_one_positive_one_negative_is_discordant_and_both_negative_is_negative():
    negative = response(8, [6, 5, 6, 8, 8, 8, 8], "bupivacaine")
    assert series_outcome(LIDOCAINE_80, negative) == SeriesOutcome.DISCORDANT
    assert series_outcome(negative, negative) == SeriesOutcome.NEGATIVE


def test_different_pain_scales_are_discordant():
    vas = response(80, [10, 10, 10, 10, 10, 60, 80], "bupivacaine", scale="vas")
    assert vas.positive(80)
    assert series_outcome(LIDOCAINE_80, vas) == SeriesOutcome.DISCORDANT


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (LIDOCAINE_80, None),
        (None, BUPIVACAINE_80),
        (LIDOCAINE_80, response(8, [], "bupivacaine")),
    ],
)
def test_a_missing_diary_leaves_the_series_incomplete(first, second):
    assert series_outcome(first, second) == SeriesOutcome.INCOMPLETE


def test_only_the_programs_thresholds_are_accepted():
    with pytest.raises(ValueError, match="threshold must be one of"):
        series_outcome(LIDOCAINE_80, BUPIVACAINE_80, threshold=60)


def test_outcomes_have_labels():
    assert SeriesOutcome.INCOMPLETE.label == "Incomplete (diary missing)"
    assert SeriesOutcome("concordant") is SeriesOutcome.CONCORDANT


# --- the diary as typed ----------------------------------------------------------------


def test_a_good_diary_has_no_errors():
    assert diary_errors("nrs", 7, [(30, 1), (60, 2), (1440, 7)]) == []
    assert diary_errors("vas", 70, [(30, 10)]) == []


@pytest.mark.parametrize(
    ("scale", "before", "diary", "message"),
    [
        ("likert", 7, [], "Pain scale must be one of: nrs, vas."),
        ("nrs", 11, [], "Pain before must be a whole number from 0 to 10 on this scale."),
        ("nrs", -1, [], "Pain before must be a whole number from 0 to 10 on this scale."),
        ("nrs", 7, [(60, 2), (30, 1)], "Diary times must be in order: 30 min comes after 60"),
        ("nrs", 7, [(30, 1), (30, 2)], "Diary times must be in order: 30 min comes after 30"),
        ("nrs", 7, [(0, 1)], "Diary time 0 must be a number of minutes after the block"),
        ("nrs", 7, [(5000, 1)], "from 1 to 4320 (72 hours)"),
        ("nrs", 7, [(30, 11)], "Diary score at 30 min must be a whole number from 0 to 10."),
        ("vas", 70, [(30, 101)], "Diary score at 30 min must be a whole number from 0 to 100."),
        ("nrs", 7, [(30, 2.5)], "Diary score at 30 min must be a whole number from 0 to 10."),
    ],
)
def test_a_wrong_diary_is_refused_with_words_that_name_the_field(scale, before, diary, message):
    errors = diary_errors(scale, before, diary)
    assert any(message in error for error in errors), errors
