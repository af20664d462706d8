"""The Radiation page (issue 12, point 2): the trainee's medians against the program's with
the 2× flag, the learning curve, CT's estimated effective dose, stored figures that follow
the record, the program's medians once a day, and bounded queries."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from curriculum.models import ProgramDoseReference, RadiationSnapshot
from curriculum.radiation import program_reference, radiation_page
from procedures.models import Entry, ProcedureType
from programs.models import Enrollment
from tests.factories import EntryFactory

MINE = reverse("curriculum:my_radiation")


def signed(trainee, supervisor, seconds, count=1, days_ago=1, **fields):
    return Entry.objects.bulk_create(
        [
            EntryFactory.build(
                trainee=trainee,
                supervisor=supervisor,
                status=Entry.Status.SIGNED_OFF,
                submitted_at=timezone.now(),
                performed_on=timezone.localdate() - timedelta(days=days_ago + i),
                fluoro_time_s=Decimal(seconds),
                dap=Decimal(seconds) * 10,
                **fields,
            )
            for i in range(count)
        ]
    )


def enrollment_of(user):
    return Enrollment.objects.select_related("trainee", "program").get(trainee=user)


def test_a_trainee_over_twice_the_program_on_five_cases_is_flagged(
    client, alice, bob, charlie, dave
):
    signed(charlie, dave, 20, count=15)
    signed(alice, bob, 50, count=5)  # the program: fifteen at 20 s, five at 50: median 20
    client.force_login(alice)
    page = client.get(MINE).content.decode()
    assert "1 procedure over twice the program’s median" in page
    assert "Over 2×" in page and "(2.5×)" in page


def test_four_cases_are_not_enough_for_a_flag(client, alice, bob, charlie, dave):
    signed(charlie, dave, 20, count=15)
    signed(alice, bob, 50, count=4)
    client.force_login(alice)
    page = client.get(MINE).content.decode()
    assert "Over 2×" not in page
    assert "(2.5×)" in page  # the comparison is still shown


def test_the_learning_curve_is_a_rolling_median_of_one_level_cases(alice, bob):
    signed(alice, bob, 60, count=10, days_ago=30)
    signed(alice, bob, 30, count=10, days_ago=1)
    signed(alice, bob, 900, count=3, days_ago=5, levels="L4–L5, L5–S1")  # another band
    page = radiation_page(enrollment_of(alice))
    assert page.curve_procedure.slug == "lumbar-tfesi" and page.curve_band == "one level"
    assert [(r.case, r.rolling) for r in page.curve_rows] == [
        (10, Decimal("60.0")),
        (20, Decimal("30.0")),
    ]
    assert page.curve.empty is False


def test_ct_work_shows_the_estimated_effective_dose_with_its_source(client, alice, bob):
    EntryFactory(
        trainee=alice,
        supervisor=bob,
        status=Entry.Status.SUBMITTED,
        submitted_at=timezone.now(),
        guidance="ct",
        fluoro_time_s=None,
        dap=None,
        dlp=Decimal("400"),
    )
    EntryFactory(
        trainee=alice,
        supervisor=bob,
        status=Entry.Status.SUBMITTED,
        submitted_at=timezone.now(),
        guidance="ct",
        procedure=ProcedureType.objects.get(slug="cervical-tfesi"),
        levels="C5–C6",
        fluoro_time_s=None,
        dap=None,
        dlp=Decimal("200"),
    )
    client.force_login(alice)
    page = client.get(MINE).content.decode()
    assert "6.00" in page  # lumbar: 0.015 × 400
    assert "1.18" in page  # neck: 0.0059 × 200
    assert "7.18" in page  # in all
    assert "AAPM Report No. 96 (2008)" in page
    assert "not a measured dose" in page


def test_stored_figures_follow_the_record(alice, bob):
    enrollment = enrollment_of(alice)
    signed(alice, bob, 40, count=5)
    first = radiation_page(enrollment)
    assert first.groups[0].fluoro.cases == 5
    assert RadiationSnapshot.objects.filter(enrollment=enrollment).exists()
    signed(alice, bob, 40, count=1)  # the trigger moves the record version
    assert radiation_page(enrollment_of(alice)).groups[0].fluoro.cases == 6


def test_the_programs_medians_are_recomputed_in_the_background_once_a_day(
    alice, bob, program, django_assert_num_queries, django_capture_on_commit_callbacks
):
    signed(alice, bob, 40, count=5)
    today = timezone.localdate()
    medians, on = program_reference(program, today)  # the first time: in the request
    assert on == today and medians
    signed(alice, bob, 400, count=20)
    with django_assert_num_queries(1):  # the same day: read, not recomputed
        assert program_reference(program, today) == (medians, today)
    tomorrow = today + timedelta(days=1)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        # The next day: yesterday's are shown, and their recomputing is queued once.
        assert program_reference(program, tomorrow) == (medians, today)
        assert program_reference(program, tomorrow) == (medians, today)
    assert len(queued) == 1
    queued[0]()  # the worker runs the task (the immediate backend here)
    later, on = program_reference(program, timezone.localdate())
    assert later != medians
    assert ProgramDoseReference.objects.get(program=program).computed_on == timezone.localdate()


def test_a_supervisor_and_the_director_read_it_others_do_not(client, alice, bob, dave, diana):
    url = reverse("curriculum:trainee_radiation", args=[enrollment_of(alice).pk])
    for user, status in ((bob, 200), (diana, 200), (dave, 404)):
        client.force_login(user)
        assert client.get(url).status_code == status


def test_someone_not_enrolled_is_told_why(client, bob):
    client.force_login(bob)
    page = client.get(MINE).content.decode()
    assert "You are not enrolled as a trainee" in page


def _varied(alice, bob, scale: int):
    types = ProcedureType.objects.filter(
        slug__in=["lumbar-tfesi", "cervical-tfesi", "lumbar-mbb", "si-joint"]
    )
    for procedure in types:
        levels = {"cervical": "C5–C6", "lumbar": "L4–L5"}.get(procedure.region, "")
        signed(alice, bob, 30, count=scale, procedure=procedure, levels=levels)
        signed(alice, bob, 30, count=scale, procedure=procedure, levels=levels, days_ago=200)


@pytest.mark.parametrize("procedure_param", [False, True])
def test_queries_are_the_same_at_two_sizes(
    client,
    alice,
    bob,
    charlie,
    dave,
    django_assert_num_queries,
    django_assert_max_num_queries,
    procedure_param,
):
    """Counted once the figures are stored (the first view after a change stores them:
    three queries more, whatever the size)."""
    client.force_login(alice)
    _varied(alice, bob, 1)
    url = MINE
    if procedure_param:
        url += f"?procedure={ProcedureType.objects.get(slug='si-joint').pk}"
    client.get(url)
    with django_assert_max_num_queries(12) as small:
        assert client.get(url).status_code == 200
        counted = len(small)  # here: the response's closing empties the log
    assert counted >= 5  # the page's own reads, counted
    _varied(alice, bob, 40)
    signed(charlie, dave, 30, count=200)
    client.get(url)
    with django_assert_num_queries(counted):
        assert client.get(url).status_code == 200


def test_the_logbook_csv_carries_each_cases_radiation(client, alice, bob):
    import csv
    import io

    EntryFactory(
        trainee=alice,
        supervisor=bob,
        guidance="ct",
        fluoro_time_s=None,
        dap=None,
        dlp=Decimal("400"),
        ctdi_vol=Decimal("12.5"),
        ct_scans=3,
    )
    EntryFactory(
        trainee=alice, supervisor=bob, air_kerma=Decimal("2.5"), carm_operator="supervisor"
    )
    client.force_login(alice)
    text = client.get(reverse("curriculum:my_logbook_csv")).content.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    by_guidance = {row["Guidance"]: row for row in rows}
    ct, fluoro = by_guidance["CT"], by_guidance["Fluoroscopy"]
    assert (ct["CTDIvol (mGy)"], ct["CT scans"]) == ("12.50", "3")
    assert ct["Estimated patient effective dose, CT (mSv)"] == "6.00"
    assert (fluoro["Reference air kerma (mGy)"], fluoro["C-arm operated by"]) == (
        "2.50",
        "Supervisor",
    )


def test_the_nightly_command_computes_todays_program_medians(alice, bob, program):
    from io import StringIO

    from django.core.management import call_command

    signed(alice, bob, 40, count=5)
    out = StringIO()
    call_command("refresh_dose_reference", stdout=out)
    assert ProgramDoseReference.objects.get(program=program).computed_on == timezone.localdate()
    assert f"{program.slug}: 2 medians" in out.getvalue()
