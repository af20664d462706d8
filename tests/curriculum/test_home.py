"""Home (`/`): what to do next for a trainee, a supervisor and a director (issue 10 point 4)."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from procedures.models import Entry
from procedures.services import entry_return
from programs.models import Enrollment, Program
from tests.factories import EntryFactory, UserFactory, waiting_entries

HOME = reverse("home")


def home(client, user):
    client.force_login(user)
    response = client.get(HOME)
    assert response.status_code == 200
    return response


def returned(trainee, supervisor, comment="Which level was it?", days_ago=1):
    entry = EntryFactory(
        trainee=trainee,
        supervisor=supervisor,
        status=Entry.Status.SUBMITTED,
        submitted_at=timezone.now() - timedelta(days=days_ago),
    )
    entry_return(entry_id=entry.pk, supervisor=supervisor, comment=comment)
    return entry


def draft(trainee, days_ago, **fields):
    entry = EntryFactory(trainee=trainee, **fields)
    Entry.objects.filter(pk=entry.pk).update(created_at=timezone.now() - timedelta(days=days_ago))
    return entry


def bulk(trainee, supervisor, status, n, **fields):
    return Entry.objects.bulk_create(
        [
            EntryFactory.build(trainee=trainee, supervisor=supervisor, status=status, **fields)
            for _ in range(n)
        ]
    )


# --- the trainee's section ------------------------------------------------------------------


def test_trainee_sees_what_to_fix_what_is_old_and_what_waits_long(client, alice, bob):
    fix = returned(alice, bob, comment="Which level was it? L4–L5 or L5–S1?")
    old = draft(alice, days_ago=10)
    fresh = draft(alice, days_ago=2)
    (long,) = waiting_entries(alice, bob, 1, days_ago=20)
    (recent,) = waiting_entries(alice, bob, 1, days_ago=3)

    response = home(client, alice)
    section = response.context["trainee"]
    assert [e.pk for e in section.returned.items] == [fix.pk]
    assert [e.pk for e in section.old_drafts.items] == [old.pk]
    assert [e.pk for e in section.long_waiting.items] == [long.pk]
    html = response.content.decode()
    assert "Which level was it? L4–L5 or L5–S1?" in html  # the supervisor's comment
    assert "Returned by Bob Baker" in html
    for entry in (fix, old, long):
        assert f'href="/entries/{entry.pk}/"' in html
    for entry in (fresh, recent):
        assert f'href="/entries/{entry.pk}/"' not in html
    assert "started 10 days ago" in html
    assert "with Bob Baker for 20 days" in html
    assert response.context["supervisor"] is None and response.context["director"] is None


def test_the_latest_return_comment_is_shown(client, alice, bob):
    entry = returned(alice, bob, comment="First: which side?")
    Entry.objects.filter(pk=entry.pk).update(
        status=Entry.Status.SUBMITTED, submitted_at=timezone.now()
    )
    entry_return(entry_id=entry.pk, supervisor=bob, comment="Second: and the level?")
    html = home(client, alice).content.decode()
    assert "Second: and the level?" in html
    assert "First: which side?" not in html


def test_next_requirement_is_the_first_unmet_of_the_current_stage(client, alice, bob, program):
    section = home(client, alice).context["trainee"]
    nxt = section.next
    assert nxt.stage_number == 1 and nxt.stages == program.stages.filter(active=True).count()
    assert nxt.requirement.requirement.name == "Diagnostic MSK ultrasound examinations"
    assert nxt.requirement.remaining == 20
    assert nxt.unmet == 4
    html = home(client, alice).content.decode()
    assert "Next requirement to work on" in html
    assert "Still to do: 20 more diagnostic MSK ultrasound examinations" in html
    assert "has 4 requirements still to meet" in html


def test_lists_show_five_and_link_to_the_filtered_logbook_for_the_rest(client, alice, bob):
    for _ in range(7):
        returned(alice, bob)
    long_ago = timezone.now() - timedelta(days=20)
    bulk(alice, bob, Entry.Status.SUBMITTED, 6, submitted_at=long_ago)
    response = home(client, alice)
    section = response.context["trainee"]
    assert len(section.returned.items) == 5 and section.returned.total == 7
    assert len(section.long_waiting.items) == 5 and section.long_waiting.total == 6
    html = response.content.decode()
    assert '<a href="/entries/?status=returned">and 2 more returned</a>' in html
    assert '<a href="/entries/?status=submitted">and 1 more waiting</a>' in html
    # Oldest first: the entry returned first is at the top.
    assert section.returned.items == sorted(section.returned.items, key=lambda e: e.updated_at)


def test_trainee_with_nothing_to_do_is_told_so(client, alice):
    html = home(client, alice).content.decode()
    assert "Nothing returned: no supervisor has asked you to change an entry." in html
    assert "No draft has waited more than 7 days to be submitted." in html
    assert "Nothing has waited on a supervisor that long." in html


def test_someone_with_no_role_is_told_why_there_is_no_logbook(client, db):
    nobody = UserFactory(username="nobody")
    response = home(client, nobody)
    assert response.context["trainee"] is None
    assert response.context["supervisor"] is None and response.context["director"] is None
    html = response.content.decode()
    assert "No Logbook" in html
    assert "Your program director or an administrator enrolls trainees" in html


def test_a_trainee_whose_enrollment_ended_has_no_trainee_section(client, alice, bob):
    returned(alice, bob)
    Enrollment.objects.filter(trainee=alice).update(active=False)
    response = home(client, alice)
    assert response.context["trainee"] is None
    assert "No Logbook" in response.content.decode()


def test_a_trainee_sees_only_their_own_entries(client, alice, bob, charlie, dave):
    alices = returned(alice, bob)
    response = home(client, charlie)
    assert f"/entries/{alices.pk}/" not in response.content.decode()
    section = response.context["trainee"]
    assert not (section.returned.items or section.old_drafts.items or section.long_waiting.items)


# --- the supervisor's and the director's sections -------------------------------------------


def test_supervisor_sees_the_queue_and_what_waits_over_30_days(client, alice, bob):
    waiting_entries(alice, bob, 2, days_ago=3)
    overdue = waiting_entries(alice, bob, 1, days_ago=45) + waiting_entries(alice, bob, 1, 31)
    response = home(client, bob)
    assert response.context["trainee"] is None
    section = response.context["supervisor"]
    assert [e.pk for e in section.overdue.items] == [e.pk for e in overdue]
    assert section.oldest_days == 45
    html = response.content.decode()
    assert "Sign-off queue: 4 entries waiting" in html
    assert "2 entries have waited more than 30 days (the oldest 45 days)" in html
    assert f'href="/entries/{overdue[0].pk}/"' in html


def test_supervisor_with_an_empty_queue_is_told_so(client, alice, bob):
    html = home(client, bob).content.decode()
    assert "is empty: nothing waits for your sign-off" in html
    assert "None: no entry has waited for you more than 30 days." in html


def test_director_sees_cohorts_flags(client, alice, bob, charlie, dave, diana):
    waiting_entries(alice, bob, 3, days_ago=40)
    waiting_entries(charlie, dave, 1, days_ago=35)
    waiting_entries(charlie, dave, 5, days_ago=2)  # not overdue
    returned(charlie, dave)
    response = home(client, diana)
    section = response.context["director"]
    assert [(row["supervisor"], row["n"], row["days"]) for row in section.overdue] == [
        (bob, 3, 40),
        (dave, 1, 35),
    ]
    assert section.overdue_total == 4 and section.returned_total == 1
    html = response.content.decode()
    assert "4 sign-offs waiting more than 30 days" in html
    assert "Bob Baker: 3 (the oldest 40 days)" in html
    assert "1 entry returned and not resubmitted" in html
    assert f'href="/cohort/?program={Program.objects.get().pk}"' in html


def test_director_with_nothing_flagged_is_told_so(client, alice, diana):
    html = home(client, diana).content.decode()
    assert "Nothing flagged" in html


def test_director_sees_only_their_programs(client, alice, bob, diana):
    other = Program.objects.create(name="Other program", slug="other")
    stranger = UserFactory(username="stranger")
    enrollment = Enrollment.objects.create(
        trainee=stranger, program=other, start_date=timezone.localdate()
    )
    elsewhere = UserFactory(username="elsewhere")
    enrollment.supervisors.add(elsewhere)
    waiting_entries(stranger, elsewhere, 4, days_ago=50)
    section = home(client, diana).context["director"]
    assert section.overdue == [] and section.overdue_total == 0


def test_someone_with_several_roles_sees_each_section(client, alice, bob, program):
    # bob supervises alice, directs the program and is a trainee in another program.
    program.directors.add(bob)
    other = Program.objects.create(name="Fellowship", slug="fellowship")
    Enrollment.objects.create(trainee=bob, program=other, start_date=timezone.localdate())
    response = home(client, bob)
    assert response.context["trainee"] is not None
    assert response.context["supervisor"] is not None
    assert response.context["director"] is not None
    html = response.content.decode()
    assert "Your logbook" in html and "Your sign-offs" in html and "Your program" in html


def test_home_is_read_only(client, alice):
    client.force_login(alice)
    assert client.post(HOME).status_code == 405


# --- queries ----------------------------------------------------------------------------------


def trainee_data(alice, bob, n):
    long_ago = timezone.now() - timedelta(days=20)
    bulk(alice, bob, Entry.Status.SUBMITTED, n, submitted_at=long_ago)
    bulk(alice, bob, Entry.Status.RETURNED, n, submitted_at=long_ago)
    drafts = bulk(alice, None, Entry.Status.DRAFT, n)
    Entry.objects.filter(pk__in=[d.pk for d in drafts]).update(created_at=long_ago)
    bulk(alice, bob, Entry.Status.SIGNED_OFF, n, submitted_at=long_ago, autonomy=4)


# Trainee, measured: session, user, roles (shared with the navigation); the three lists'
# ids and counts, their entries, the comments; the enrollment; progress (versions and
# snapshots). 8 at both sizes.
@pytest.mark.parametrize("n", [2, 300])
def test_trainee_home_queries_do_not_grow(client, alice, bob, n, django_assert_max_num_queries):
    trainee_data(alice, bob, n)
    client.force_login(alice)
    client.get(HOME)  # the first read stores the progress snapshot
    # 8, and the dose alerts of this quarter and the last (issue 12's banner)
    with django_assert_max_num_queries(9):
        response = client.get(HOME)
    assert response.context["trainee"].returned.items


@pytest.mark.parametrize("n", [2, 300])
def test_supervisor_and_director_home_queries_do_not_grow(
    client, alice, bob, charlie, dave, program, n, django_assert_max_num_queries
):
    program.directors.add(bob)
    trainee_data(alice, bob, n)
    trainee_data(charlie, dave, n)
    waiting_entries(alice, bob, n, days_ago=40)
    client.force_login(bob)
    # Measured: session, user, roles (shared with the navigation); overdue and their count;
    # programs, the backlog per supervisor, their names, returned, open signature findings,
    # the last sweep; the navigation's queue count. 12 at both sizes.
    with django_assert_max_num_queries(12):
        response = client.get(HOME)
    assert response.context["supervisor"].overdue.items
    assert response.context["director"].overdue
