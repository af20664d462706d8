"""A requirement of completed comparative block series (issue 11, point 1): what counts,
what is pending, and stored progress that follows the diary, by construction."""

import pytest

from curriculum.models import Requirement
from curriculum.progress import progress_for
from procedures.models import BlockResponse, Entry
from programs.models import Enrollment
from tests.procedures.blocks_builders import LONG, SHORT, block, respond, series, sign

KEY = "comparative-block-series"


def series_progress(trainee):
    enrollment = Enrollment.objects.get(trainee=trainee)
    progress = progress_for([enrollment])[enrollment.pk]
    found = next(r for s in progress.stages for r in s.requirements if r.requirement.key == KEY)
    return found.done, found.pending


def signed_series(trainee, supervisor, **kwargs):
    first, second = series(trainee, supervisor, **kwargs)
    return sign(first, supervisor), sign(second, supervisor)


def test_the_default_curriculum_asks_for_five_series_in_stage_2(program):
    requirement = Requirement.objects.get(key=KEY)
    assert requirement.kind == Requirement.Kind.BLOCK_SERIES
    assert (requirement.stage.order, requirement.min_count) == (2, 5)


def test_a_series_counts_once_both_blocks_are_signed_off(alice, bob):
    first, second = series(alice, bob)
    assert series_progress(alice) == (0, 1)  # both submitted: pending
    sign(first, bob)
    assert series_progress(alice) == (0, 1)
    sign(second, bob)
    assert series_progress(alice) == (1, 0)


def test_any_outcome_counts_the_practice_of_a_series(alice, bob):
    signed_series(alice, bob, first_diary=LONG, second_diary=SHORT)  # discordant
    assert series_progress(alice) == (1, 0)


def test_a_series_with_a_diary_missing_does_not_count_until_it_is_recorded(alice, bob):
    first, second = signed_series(alice, bob, second_diary=[])
    assert series_progress(alice) == (0, 0)
    # The diary comes in after sign-off: stored progress follows (the database stamps it).
    BlockResponse.objects.filter(entry=second).update(diary=LONG)
    assert series_progress(alice) == (1, 0)


def test_a_series_with_no_score_before_does_not_count(alice, bob):
    first, second = signed_series(alice, bob)
    BlockResponse.objects.filter(entry=first).update(before=None)
    assert series_progress(alice) == (0, 0)


def test_single_blocks_and_returned_ones_do_not_count(alice, bob):
    respond(sign(block(alice, bob), bob), LONG)
    first = block(alice, bob, days_ago=9, status=Entry.Status.RETURNED)
    second = block(alice, bob, days_ago=2)
    respond(first, SHORT)
    respond(second, LONG, agent="bupivacaine", follows=first)
    assert series_progress(alice) == (0, 0)


def test_a_series_of_another_procedure_counts_for_no_medial_branch_requirement(alice, bob):
    signed_series(alice, bob, procedure="lumbar-facet", levels="L4–L5")
    assert series_progress(alice) == (0, 0)


@pytest.mark.parametrize("n", [1, 12])
def test_counting_series_costs_one_query_whatever_their_number(
    alice, bob, n, django_assert_num_queries
):
    from curriculum.progress import count

    for i in range(n):
        signed_series(alice, bob, levels=f"L{i % 5 + 1}")
    requirement = Requirement.objects.get(key=KEY)
    requirement.type_ids = set(requirement.procedure_types.values_list("pk", flat=True))
    requirement.injectate_ids = set()
    with django_assert_num_queries(1):
        counts = count([requirement], [alice.pk], today=None)
    assert counts[alice.pk, requirement.pk] == [n, 0]
