"""Comparative block series and the ablations resting on them, from stored records
(procedures.series): every teaching flag, the program's threshold, the proposal of a
series, and the flag where the supervisor and the director see it."""

import pytest
from django.urls import reverse

from procedures.blocks import SeriesOutcome
from procedures.series import (
    AblationFlag,
    ablation_flags,
    flagged_ablation_counts,
    proposed_first_block,
    series_of,
)
from programs.models import BlockThreshold
from tests.factories import UserFactory, password_just_typed

from .blocks_builders import LONG, NONE, SHORT, ablation, block, respond, series

# Relief of 50–74% (from 8 to 4 or 3): positive at a 50% threshold only.
HALF = [[30, 4], [60, 3], [120, 4], [240, 8]]
HALF_LONGER = [[30, 4], [60, 3], [120, 4], [240, 4], [360, 4], [480, 8]]


def flag_of(entry):
    return ablation_flags([entry]).get(entry.pk)


def test_an_ablation_after_a_concordant_series_carries_no_flag(alice, bob):
    _, second = series(alice, bob)
    assert series_of(second).outcome == SeriesOutcome.CONCORDANT
    assert flag_of(ablation(alice, bob, rests_on=second)) is None


def test_an_ablation_may_name_either_block_of_the_series(alice, bob):
    first, _ = series(alice, bob)
    assert flag_of(ablation(alice, bob, rests_on=first)) is None


def test_an_ablation_with_no_block_is_flagged(alice, bob):
    assert flag_of(ablation(alice, bob)) == AblationFlag.NO_BLOCK


def test_an_ablation_after_a_single_block_is_flagged(alice, bob):
    single = block(alice, bob)
    respond(single, LONG, agent="bupivacaine")
    assert flag_of(ablation(alice, bob, rests_on=single)) == AblationFlag.SINGLE


def test_an_ablation_after_a_block_with_no_response_is_flagged_as_single(alice, bob):
    assert flag_of(ablation(alice, bob, rests_on=block(alice, bob))) == AblationFlag.SINGLE


def test_an_ablation_after_a_negative_series_is_flagged(alice, bob):
    _, second = series(alice, bob, first_diary=NONE, second_diary=NONE)
    assert flag_of(ablation(alice, bob, rests_on=second)) == AblationFlag.NEGATIVE


def test_an_ablation_after_one_positive_block_of_two_is_flagged_discordant(alice, bob):
    _, second = series(alice, bob, first_diary=SHORT, second_diary=NONE)
    assert flag_of(ablation(alice, bob, rests_on=second)) == AblationFlag.DISCORDANT


def test_the_shorter_acting_agent_giving_the_longer_relief_is_discordant(alice, bob):
    # Lidocaine (first) relieves for 8 h, bupivacaine (second) for 1 h: discordant.
    _, second = series(alice, bob, first_diary=LONG, second_diary=SHORT)
    assert series_of(second).outcome == SeriesOutcome.DISCORDANT
    assert flag_of(ablation(alice, bob, rests_on=second)) == AblationFlag.DISCORDANT


def test_an_ablation_after_a_series_with_a_diary_missing_is_flagged_incomplete(alice, bob):
    _, second = series(alice, bob, second_diary=[])
    assert series_of(second).outcome == SeriesOutcome.INCOMPLETE
    assert flag_of(ablation(alice, bob, rests_on=second)) == AblationFlag.INCOMPLETE


@pytest.mark.parametrize(
    ("threshold", "outcome"),
    [
        (BlockThreshold.HALF, SeriesOutcome.CONCORDANT),
        (BlockThreshold.MEDICARE, SeriesOutcome.NEGATIVE),
        (BlockThreshold.COMPLETE, SeriesOutcome.NEGATIVE),
    ],
)
def test_the_programs_threshold_decides(alice, bob, program, threshold, outcome):
    program.block_threshold = threshold
    program.save()
    _, second = series(alice, bob, first_diary=HALF, second_diary=HALF_LONGER)
    assert series_of(second).outcome == outcome
    expected = None if outcome == SeriesOutcome.CONCORDANT else AblationFlag.NEGATIVE
    assert flag_of(ablation(alice, bob, rests_on=second)) == expected


def test_complete_relief_passes_the_100_percent_threshold(alice, bob, program):
    program.block_threshold = BlockThreshold.COMPLETE
    program.save()
    full = [[30, 0], [60, 0], [120, 0], [240, 8]]
    longer = [[30, 0], [60, 0], [120, 0], [240, 0], [360, 0], [480, 6]]
    _, second = series(alice, bob, first_diary=full, second_diary=longer)
    assert series_of(second).outcome == SeriesOutcome.CONCORDANT


# --- the proposal -----------------------------------------------------------------------------


def test_a_block_of_the_same_procedure_levels_and_side_within_90_days_is_proposed(alice, bob):
    first = block(alice, bob, days_ago=80)
    second = block(alice, bob)
    assert proposed_first_block(second) == first


@pytest.mark.parametrize(
    "other",
    [
        {"days_ago": 91},
        {"side": "left"},
        {"levels": "L3, L4"},
        {"procedure": "cervical-mbb", "levels": "C3, C4"},
    ],
)
def test_no_series_is_proposed_with_another_block(alice, bob, other):
    block(alice, bob, **{"days_ago": 10, **other})
    assert proposed_first_block(block(alice, bob)) is None


def test_a_block_already_in_a_series_is_not_proposed_again(alice, bob):
    _, second = series(alice, bob)
    assert proposed_first_block(block(alice, bob)) is None
    assert proposed_first_block(second) is None


def test_another_trainees_block_is_never_proposed(alice, bob, charlie, dave):
    block(charlie, dave, days_ago=5)
    assert proposed_first_block(block(alice, bob)) is None


# --- where the flag is seen ---------------------------------------------------------------------


def test_the_supervisor_sees_the_flag_in_the_queue_before_signing(client, alice, bob):
    flagged = ablation(alice, bob)
    _, second = series(alice, bob)
    fine = ablation(alice, bob, rests_on=second)
    client.force_login(bob)
    password_just_typed(client)
    page = client.get(reverse("procedures:signoff_queue")).content.decode()

    def row(entry):
        start = page.index(f'id="entry-{entry.pk}"')
        end = page.find('id="entry-', start + 1)
        return page[start : end if end > 0 else None]

    assert "Teaching flag" in row(flagged)
    assert AblationFlag.NO_BLOCK.label in row(flagged)
    assert "Teaching flag" not in row(fine)


def test_the_entry_page_shows_the_flag_and_what_the_ablation_rests_on(client, alice, bob):
    single = block(alice, bob)
    entry = ablation(alice, bob, rests_on=single)
    client.force_login(bob)
    page = client.get(entry.get_absolute_url()).content.decode()
    assert AblationFlag.SINGLE.label in page
    assert "a single block" in page


def test_cohort_counts_each_trainees_flagged_ablations(client, alice, bob, charlie, dave, diana):
    ablation(alice, bob)
    ablation(alice, bob, rests_on=block(alice, bob))
    ablation(alice, bob, status="draft")  # a draft is the trainee's own business
    _, second = series(alice, bob)
    ablation(alice, bob, rests_on=second)
    assert flagged_ablation_counts([alice.pk, charlie.pk]) == {alice.pk: 2}

    client.force_login(diana)
    page = client.get(reverse("curriculum:cohort")).content.decode()
    assert "Ablation flags" in page
    row = page[page.index(alice.display_name) :]
    assert 'fw-semibold">2</td>' in row[: row.index("</tr>")]


def test_counting_flags_costs_the_same_queries_for_few_and_many_ablations(
    alice, bob, django_assert_num_queries
):
    ablation(alice, bob, rests_on=series(alice, bob)[1])
    # the ablation types, the ablations grouped, the blocks' responses, the thresholds, the
    # first blocks' responses
    with django_assert_num_queries(5) as few:
        flagged_ablation_counts([alice.pk])
    for days in range(20):
        first, second = series(alice, bob, levels=f"L{days % 5 + 1}")
        ablation(alice, bob, rests_on=second if days % 2 else None)
        ablation(alice, bob, rests_on=block(alice, bob, days_ago=days, side="left"))
    with django_assert_num_queries(len(few.captured_queries)):
        counts = flagged_ablation_counts([alice.pk])
    # Each round: one ablation on no block and one on a single block are flagged; the
    # ablations on a concordant series are not.
    assert counts == {alice.pk: 30}


def test_flags_of_a_page_of_entries_cost_no_query_without_ablations(
    alice, bob, django_assert_num_queries
):
    entries = [block(alice, bob) for _ in range(3)]
    with django_assert_num_queries(0):
        assert ablation_flags(entries) == {}


def test_a_trainee_without_an_active_enrollment_is_judged_at_80_percent(alice, bob):
    alice.enrollments.update(active=False)
    _, second = series(alice, bob, first_diary=HALF, second_diary=HALF)
    assert series_of(second).threshold == 80
    assert flag_of(ablation(alice, bob, rests_on=second)) == AblationFlag.NEGATIVE


def test_a_new_trainee_has_no_flags(db):
    assert flagged_ablation_counts([UserFactory().pk]) == {}


# --- the exports ----------------------------------------------------------------------------------


def test_the_csv_carries_the_diary_the_series_and_the_flag(client, alice, bob):
    import csv
    import io

    first, second = series(alice, bob)
    flagged = ablation(alice, bob)
    fine = ablation(alice, bob, rests_on=second)
    client.force_login(alice)
    text = client.get(reverse("curriculum:my_logbook_csv")).content.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    by_date = {(r["Procedure"], r["Date performed"]): r for r in rows}
    row = by_date["Lumbar medial branch block", second.performed_on.isoformat()]
    assert row["Pain before (block)"] == "8"
    assert row["Pain diary (after the block)"].startswith("30 min: 1; 1 h: 1; 2 h: 1")
    assert row["Peak relief (%)"] == "88"
    assert row["Series with the block of"] == first.performed_on.isoformat()
    assert row["Series outcome"] == "Concordant positive at 80%"
    ablations = [r for r in rows if r["Procedure"].startswith("Lumbar medial branch radio")]
    assert sorted(r["Teaching flag"] for r in ablations) == ["", AblationFlag.NO_BLOCK.label]
    assert {r["Ablation rests on the block of"] for r in ablations} == {
        "",
        second.performed_on.isoformat(),
    }
    assert flagged.pk and fine.pk


def test_the_portfolio_shows_the_series_and_the_flag(client, alice, bob):
    from .blocks_builders import sign

    first, second = series(alice, bob)
    sign(first, bob), sign(second, bob)
    sign(ablation(alice, bob), bob)
    client.force_login(alice)
    page = client.get(reverse("curriculum:my_portfolio")).content.decode()
    assert "series concordant positive at 80%" in page
    assert "Teaching flag: " + AblationFlag.NO_BLOCK.label in page


def test_the_cohort_csv_counts_flagged_ablations(client, alice, bob, diana):
    import csv
    import io

    ablation(alice, bob)
    client.force_login(diana)
    text = client.get(reverse("curriculum:cohort_csv")).content.decode("utf-8-sig")
    rows = {r["Username"]: r for r in csv.DictReader(io.StringIO(text))}
    assert rows[alice.username]["Ablation flags"] == "1"
