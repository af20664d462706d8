"""Cohort's radiation column (issue 12, point 4): each trainee's median fluoroscopy time
against the program's, their flags, and their dosimetry status."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from curriculum.dosimetry import record_reading
from curriculum.radiation import cohort_radiation
from programs.models import Enrollment
from tests.curriculum.test_radiation_page import signed


def enrollments(*users):
    return list(Enrollment.objects.filter(trainee__in=users).select_related("trainee", "program"))


def test_each_trainee_against_the_program(alice, bob, charlie, dave, program):
    signed(charlie, dave, 20, count=15)
    signed(alice, bob, 50, count=5)  # the program's median: 20 s; alice's 50: 2.5×
    found = cohort_radiation(enrollments(alice, charlie), program)
    by_trainee = {e.trainee_id: found[e.pk] for e in enrollments(alice, charlie)}
    assert by_trainee[alice.pk].ratio == Decimal("2.5")
    assert by_trainee[alice.pk].flagged == 1  # time and DAP of one type and band: one flag
    assert by_trainee[charlie.pk].ratio == Decimal("1.0")
    assert by_trainee[charlie.pk].flagged == 0


def test_too_few_cases_give_no_ratio(alice, bob, charlie, dave, program):
    signed(charlie, dave, 20, count=15)
    signed(alice, bob, 50, count=4)
    found = cohort_radiation(enrollments(alice), program)
    only = next(iter(found.values()))
    assert only.ratio is None and only.flagged == 0


def test_the_dosimetry_status(alice, bob, charlie, dave, program):
    today = timezone.localdate()
    record_reading(
        person=alice,
        by=alice,
        period_start=today,
        period_end=today,
        whole_body=Decimal("2"),
        lens=None,
        extremity=None,
    )
    record_reading(
        person=charlie,
        by=charlie,
        period_start=today - timedelta(days=400),
        period_end=today - timedelta(days=390),
        whole_body=Decimal("0.1"),
        lens=None,
        extremity=None,
    )
    found = cohort_radiation(enrollments(alice, charlie), program)
    words = {e.trainee_id: found[e.pk].dose_words for e in enrollments(alice, charlie)}
    assert words == {alice.pk: "Investigation level II", charlie.pk: "No recent reading"}


def test_the_same_queries_for_two_and_for_twenty_trainees(
    alice, bob, charlie, dave, program, django_assert_num_queries
):
    from tests.factories import UserFactory

    signed(alice, bob, 30, count=6)
    few = enrollments(alice, charlie)
    cohort_radiation(few, program)  # stores the figures
    with django_assert_num_queries(3):  # snapshots, program medians, dose facts
        cohort_radiation(few, program)
    many = []
    for i in range(18):
        user = UserFactory(username=f"t{i}")
        Enrollment.objects.create(trainee=user, program=program, start_date=timezone.localdate())
        signed(user, bob, 30 + i, count=6)
        many.append(user)
    everyone = enrollments(alice, charlie, *many)
    cohort_radiation(everyone, program)
    with django_assert_num_queries(3):  # snapshots, program medians, dose facts
        cohort_radiation(everyone, program)


def test_cohort_stores_the_medians_alone_and_the_page_completes_them(alice, bob, program):
    from curriculum.models import RadiationSnapshot
    from curriculum.radiation import radiation_page

    signed(alice, bob, 30, count=6)
    (enrollment,) = enrollments(alice)
    cohort_radiation([enrollment], program)
    snapshot = RadiationSnapshot.objects.get(enrollment=enrollment)
    assert snapshot.medians and snapshot.months is None and snapshot.curves is None
    page = radiation_page(enrollment)  # computes the rest
    assert page.curve_rows and page.groups[0].fluoro.cases == 6
    snapshot.refresh_from_db()
    assert snapshot.months is not None and snapshot.curves


def test_cohort_shows_the_medians_it_has_and_refreshes_them_in_the_background(
    alice, bob, program, django_capture_on_commit_callbacks
):
    signed(alice, bob, 30, count=6)
    (enrollment,) = enrollments(alice)
    cohort_radiation([enrollment], program)
    signed(alice, bob, 300, count=7)  # now most of her cases are slow
    with django_capture_on_commit_callbacks(execute=False) as queued:
        before = cohort_radiation([enrollment], program)[enrollment.pk]
        again = cohort_radiation([enrollment], program)[enrollment.pk]
    assert before.flagged == again.flagged == 0  # the stored medians, for now,
    assert before.updating  # marked as such
    assert len(queued) == 1  # asked once, however many views
    queued[0]()  # the worker recomputes them
    after = cohort_radiation([enrollment], program)[enrollment.pk]
    from curriculum.models import RadiationSnapshot

    snapshot = RadiationSnapshot.objects.get(enrollment=enrollment)
    assert not snapshot.refresh_requested and snapshot.curves
    key = next(k for k in snapshot.medians if k.endswith(":f"))
    assert snapshot.medians[key] == [13, "300.0"]
    assert after.ratio is not None and not after.updating


def test_the_cohort_page_marks_medians_being_updated(client, alice, bob, diana, program):
    from django.urls import reverse

    signed(alice, bob, 30, count=6)
    client.force_login(diana)
    page = client.get(reverse("curriculum:cohort")).content.decode()
    assert "(updating)" not in page and "No recent reading" in page
    signed(alice, bob, 30, count=1)
    assert "(updating)" in client.get(reverse("curriculum:cohort")).content.decode()


def test_an_empty_page_of_trainees_costs_nothing(program, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert cohort_radiation([], program) == {}
