"""Radiation per case (issue 12): the k-factors, medians, the 2× flag, the learning curve,
and the SQL that computes medians over hand-built cases."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from procedures.models import Entry, ProcedureType
from procedures.radiation import (
    K_FACTORS,
    MULTI_LEVEL,
    SINGLE_LEVEL,
    Comparison,
    band_of,
    effective_dose,
    fluoro_series,
    median,
    monthly_sums,
    program_medians,
    rolling_median,
    trainee_medians,
)
from tests.factories import EntryFactory

D = Decimal
R = ProcedureType.Region


@pytest.mark.parametrize(
    "region, dlp, expected",
    [
        (R.CERVICAL, 400, D("2.36")),  # neck 0.0059
        (R.THORACIC, 250, D("3.50")),  # chest 0.014
        (R.LUMBAR, 400, D("6.00")),  # abdomen and pelvis 0.015
        (R.SACRAL, "123.4", D("1.85")),  # 1.851, to the hundredth
        (R.HIP, 100, D("1.50")),
        (R.KNEE, 400, None),  # no published coefficient
        (R.LUMBAR, None, None),  # no DLP recorded
    ],
)
def test_effective_dose_is_k_times_the_dose_length_product(region, dlp, expected):
    assert effective_dose(dlp, region) == expected


def test_the_k_factors_are_aapm_report_96s():
    assert {str(k) for k in K_FACTORS.values()} == {"0.0059", "0.014", "0.015"}
    assert K_FACTORS[R.CERVICAL] == D("0.0059") and K_FACTORS[R.LUMBAR] == D("0.015")


def test_the_band_is_one_level_or_several():
    assert band_of("L4–L5") == SINGLE_LEVEL
    assert band_of("") == SINGLE_LEVEL
    assert band_of("L4–L5, L5–S1") == MULTI_LEVEL


def test_median_of_odd_even_and_no_values():
    assert median([30, 10, 20]) == 20
    assert median([D("10"), D("20"), D("30"), D("41")]) == D("25")
    assert median([]) is None


def test_the_rolling_median_needs_a_full_window():
    values = [100, 90, 80, 70, 60, 50, 40, 30, 20, 10, 10, 10]
    rolling = rolling_median(values, window=10)
    assert rolling[:9] == [None] * 9
    assert rolling[9] == 55  # 100 … 10: the middle two are 60 and 50
    assert rolling[10] == 45  # 90 … 10, 10
    assert rolling[11] == 35


@pytest.mark.parametrize(
    "cases, value, program_cases, program_value, flagged",
    [
        (5, D("41"), 5, D("20"), True),  # over twice, 5 and 5 cases
        (5, D("40"), 5, D("20"), False),  # exactly twice is not over
        (4, D("90"), 50, D("20"), False),  # too few of the trainee's cases
        (50, D("90"), 4, D("20"), False),  # too few of the program's
        (5, D("90"), 5, None, False),  # no program median
        (5, None, 5, D("20"), False),
    ],
)
def test_the_flag_is_over_twice_the_program_on_five_cases(
    cases, value, program_cases, program_value, flagged
):
    comparison = Comparison(cases, value, program_cases, program_value)
    assert comparison.flagged is flagged


def test_the_ratio_is_to_a_tenth_rounded_up_so_a_flagged_one_reads_over_two():
    assert Comparison(5, D("41"), 5, D("20")).ratio == D("2.1")  # 2.05
    assert Comparison(5, D("40"), 5, D("20")).ratio == D("2.0")
    assert Comparison(5, D("30"), 5, D("20")).ratio == D("1.5")
    assert Comparison(5, D("41"), 5, D("0")).ratio is None


def _case(trainee, supervisor, seconds, *, levels="L4–L5", status=Entry.Status.SIGNED_OFF, **kw):
    kw.setdefault("dap", D(seconds) * 10 if seconds is not None else None)
    return EntryFactory(
        trainee=trainee,
        supervisor=supervisor,
        status=status,
        submitted_at=timezone.now(),
        levels=levels,
        fluoro_time_s=D(seconds) if seconds is not None else None,
        **kw,
    )


def test_group_medians_per_procedure_band_and_measure(alice, bob, charlie, dave, program):
    tfesi = ProcedureType.objects.get(slug="lumbar-tfesi").pk
    for seconds in (10, 20, 30, 40, 100):
        _case(alice, bob, seconds)
    for seconds in (50, 70):
        _case(alice, bob, seconds, levels="L4–L5, L5–S1")
    # Not counted: a draft, a submitted case, a case with no time (its DAP counts).
    _case(alice, bob, 999, status=Entry.Status.DRAFT)
    _case(alice, bob, 999, status=Entry.Status.SUBMITTED)
    _case(alice, bob, None, dap=D("300"))
    for seconds in (60, 60, 60):
        _case(charlie, dave, seconds)

    mine = trainee_medians([alice.pk])[alice.pk]
    assert mine[tfesi, SINGLE_LEVEL, "f"] == (5, D("30.0"))
    assert mine[tfesi, MULTI_LEVEL, "f"] == (2, D("60.0"))  # the mean of the middle two
    assert mine[tfesi, SINGLE_LEVEL, "d"] == (6, D("300.00"))  # 100, 200, 300, 300, 400, 1000
    programs = program_medians(program.pk)
    # alice's five and charlie's three: 10 20 30 40 60 60 60 100
    assert programs[tfesi, SINGLE_LEVEL, "f"] == (8, D("50.0"))


def test_other_programs_cases_are_not_the_programs(alice, bob, program):
    from programs.models import Enrollment, Program
    from tests.factories import UserFactory

    other = Program.objects.create(name="Elsewhere", slug="elsewhere")
    stranger = UserFactory(username="stranger")
    Enrollment.objects.create(trainee=stranger, program=other, start_date=timezone.localdate())
    _case(alice, bob, 10)
    _case(stranger, bob, 500)
    tfesi = ProcedureType.objects.get(slug="lumbar-tfesi").pk
    assert program_medians(program.pk)[tfesi, SINGLE_LEVEL, "f"] == (1, D("10.0"))


def test_monthly_sums_leave_out_drafts_and_sum_per_month(alice, bob):
    today = timezone.localdate()
    last_month = today.replace(day=1) - timedelta(days=1)
    _case(alice, bob, 30, performed_on=today)
    _case(alice, bob, "12.5", performed_on=today, status=Entry.Status.SUBMITTED, air_kerma=D("2"))
    _case(alice, bob, 60, performed_on=last_month)
    _case(alice, bob, 999, performed_on=today, status=Entry.Status.DRAFT)
    _case(
        alice,
        bob,
        None,
        dap=None,
        guidance="ct",
        performed_on=today,
        dlp=D("400"),
        procedure=ProcedureType.objects.get(slug="lumbar-tfesi"),
    )
    long_ago = today - timedelta(days=500)
    _case(alice, bob, 77, performed_on=long_ago)  # fluoroscopy before `since`: left out
    _case(
        alice,
        bob,
        None,
        dap=None,
        guidance="ct",
        performed_on=long_ago,
        dlp=D("100"),
    )  # CT of any date: in
    since = today.replace(day=1) - timedelta(days=40)
    sums = {(s.month, s.guidance): s for s in monthly_sums([alice.pk], since)[alice.pk]}
    assert (long_ago.strftime("%Y-%m"), "fluoroscopy") not in sums
    assert sums[long_ago.strftime("%Y-%m"), "ct"].dlp == D("100.0")
    this = sums[today.strftime("%Y-%m"), "fluoroscopy"]
    assert (this.cases, this.fluoro_time_s, this.dap, this.air_kerma) == (
        2,
        D("42.5"),
        D("425.00"),
        D("2.00"),
    )
    assert sums[last_month.strftime("%Y-%m"), "fluoroscopy"].fluoro_time_s == D("60.0")
    ct = sums[today.strftime("%Y-%m"), "ct"]
    assert (ct.cases, ct.dlp, ct.dlp_cases) == (1, D("400.0"), 1)


def test_the_series_is_in_case_order_one_level_where_the_type_has_levels(alice, bob):
    tfesi = ProcedureType.objects.get(slug="lumbar-tfesi")
    si = ProcedureType.objects.get(slug="si-joint")  # no levels: every case
    today = timezone.localdate()
    _case(alice, bob, 90, performed_on=today - timedelta(days=3))
    _case(alice, bob, 70, performed_on=today - timedelta(days=1))
    _case(alice, bob, 80, performed_on=today - timedelta(days=2), levels="L4–L5, L5–S1")
    _case(alice, bob, 60, performed_on=today - timedelta(days=4), status=Entry.Status.SUBMITTED)
    _case(alice, bob, 50, procedure=si, levels="", performed_on=today)
    assert fluoro_series([alice.pk])[alice.pk] == {tfesi.pk: [D("90"), D("70")], si.pk: [D("50")]}


def test_several_trainees_at_once_are_each_their_own(alice, bob, charlie, dave):
    tfesi = ProcedureType.objects.get(slug="lumbar-tfesi").pk
    for seconds in (10, 20, 30):
        _case(alice, bob, seconds)
    _case(charlie, dave, 99)
    medians = trainee_medians([alice.pk, charlie.pk])
    assert medians[alice.pk][tfesi, SINGLE_LEVEL, "f"] == (3, D("20.0"))
    assert medians[charlie.pk][tfesi, SINGLE_LEVEL, "f"] == (1, D("99.0"))
    series = fluoro_series([alice.pk, charlie.pk])
    assert series[charlie.pk] == {tfesi: [D("99.0")]}
    assert len(series[alice.pk][tfesi]) == 3
    since = timezone.localdate() - timedelta(days=60)
    assert set(monthly_sums([alice.pk, charlie.pk], since)) == {alice.pk, charlie.pk}


def test_cohort_and_the_page_decide_the_flag_by_one_rule_with_floats_or_decimals():
    from procedures.radiation import over_twice

    for value, program in (("40.2", "20.1"), ("40.3", "20.1"), ("0.3", "0.15")):
        assert over_twice(5, D(value), 5, D(program)) == over_twice(
            5, float(value), 5, float(program)
        )
