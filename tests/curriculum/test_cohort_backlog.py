"""Cohort's backlog (procedures.backlog): what waits too long and what was returned, read a
bounded amount at a time, whatever the size of the program."""

import pytest
from django.urls import reverse
from django.utils import timezone

from procedures.backlog import COUNT_CAP, CappedCount, waiting_by_supervisor
from procedures.models import Entry
from programs.access import supervisors_ever
from programs.models import Enrollment
from tests.factories import EntryFactory, UserFactory, waiting_entries


def waiting(trainee, supervisor, n, days_ago):
    waiting_entries(trainee, supervisor, n, days_ago)


def returned(trainee, supervisor, n):
    Entry.objects.bulk_create(
        [
            EntryFactory.build(
                trainee=trainee,
                supervisor=supervisor,
                status=Entry.Status.RETURNED,
                submitted_at=timezone.now(),
            )
            for _ in range(n)
        ]
    )


def cohort(client, director):
    client.force_login(director)
    response = client.get(reverse("curriculum:cohort"))
    assert response.status_code == 200
    return response


def test_a_count_reads_as_the_number_counted_and_100_plus_past_the_cap():
    assert str(CappedCount(COUNT_CAP)) == "100" and not CappedCount(COUNT_CAP).capped
    assert str(CappedCount(COUNT_CAP + 1)) == "100+" and CappedCount(COUNT_CAP + 1).capped
    assert CappedCount(7) == 7 and CappedCount(7) > 6


def test_backlogs_past_the_cap_read_100_plus_and_up_to_it_exactly(
    client, alice, bob, charlie, dave, diana
):
    waiting(alice, bob, COUNT_CAP + 5, days_ago=40)
    waiting(charlie, dave, COUNT_CAP, days_ago=45)
    waiting(charlie, dave, 3, days_ago=10)  # not yet 30 days: not in the count
    response = cohort(client, diana)
    rows = {row["supervisor"]: row for row in response.context["overdue"]}
    assert str(rows[bob]["n"]) == "100+"
    assert str(rows[dave]["n"]) == "100"
    assert rows[dave]["days"] == 45
    # The longest backlog first.
    assert [row["supervisor"] for row in response.context["overdue"]] == [bob, dave]
    # The words say what is counted: not everything waiting, only what waits over 30 days.
    assert b"100+ waiting over 30 days (the oldest 40 days)" in response.content
    assert b"100 waiting over 30 days (the oldest 45 days)" in response.content


def test_returned_entries_are_counted_up_to_the_cap(client, alice, bob, charlie, dave, diana):
    returned(alice, bob, 60)
    response = cohort(client, diana)
    assert str(response.context["returned_total"]) == "60"
    assert b"Returned and not resubmitted (60)" in response.content
    returned(charlie, dave, COUNT_CAP)
    response = cohort(client, diana)
    assert str(response.context["returned_total"]) == "100+"
    assert b"Returned and not resubmitted (100+)" in response.content
    assert len(response.context["returned"]) == 50  # the oldest fifty are listed


def test_entries_waiting_for_a_supervisor_taken_off_the_roster_still_show(
    client, alice, bob, diana
):
    waiting(alice, bob, 2, days_ago=35)
    enrollment = Enrollment.objects.get(trainee=alice)
    enrollment.supervisors.remove(bob)
    enrollment.supervisors.add(UserFactory(username="erin"))
    (row,) = cohort(client, diana).context["overdue"]
    assert (row["supervisor"], row["n"]) == (bob, 2)


def test_another_programs_supervisors_and_trainees_are_not_counted(
    program, alice, bob, charlie, dave, diana
):
    waiting(alice, bob, 1, days_ago=40)
    waiting(charlie, dave, 1, days_ago=40)
    only_alice = Enrollment.objects.filter(trainee=alice).values("trainee_id")
    rows = waiting_by_supervisor(only_alice, supervisors_ever(program), timezone.now())
    assert [(row["supervisor_id"], row["n"]) for row in rows] == [(bob.pk, 1)]


@pytest.mark.parametrize("backlog", [3, 3 * COUNT_CAP])
def test_the_backlog_costs_the_same_queries_whatever_its_size(
    client, alice, bob, diana, backlog, django_assert_max_num_queries
):
    waiting(alice, bob, backlog, days_ago=40)
    returned(alice, bob, backlog)
    cohort(client, diana)
    # session, user, roles, programs, supervisors, trainee count, page of enrollments,
    # curriculum version, snapshots, overdue, returned, returned count, the people and
    # procedures named, open signature findings, last signature sweep, the page's
    # flagged ablations and safety-bundle compliance (the few types concerned, then one
    # grouped query each), radiation (issue 12): the page's stored figures, the program's medians, recent dose alerts and readings (4)
    with django_assert_max_num_queries(24):
        assert client.get(reverse("curriculum:cohort")).status_code == 200
