"""The DOPS loop on the pages (issue 10, point 5): "Record a DOPS" on an entry's page; each
DOPS's rating (number and O-SCORE words) and comments on Progress, on its entry's page and in
the portfolio; the DOPS CSV; who may see what; bounded queries with many DOPS."""

import csv
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from curriculum.models import ObservedAssessment, Requirement
from procedures.models import Entry, ProcedureType
from procedures.services import entry_sign_off
from programs.models import Enrollment
from tests.factories import EntryFactory

WORDS = "“I needed to be in the room just in case”"


def enrollment_of(user):
    return Enrollment.objects.get(trainee=user)


def mbb_dops_requirement() -> Requirement:
    return Requirement.objects.get(key="lumbar-mbb-dops")


def submitted_mbb(trainee, supervisor) -> Entry:
    return EntryFactory(
        trainee=trainee,
        supervisor=supervisor,
        procedure=ProcedureType.objects.get(slug="lumbar-mbb"),
        status=Entry.Status.SUBMITTED,
        submitted_at=timezone.now(),
    )


def dops(trainee, assessor, *, entry=None, rating=4, comments="Good views.", n=1):
    return ObservedAssessment.objects.bulk_create(
        [
            ObservedAssessment(
                trainee=trainee,
                assessor=assessor,
                entry=entry,
                procedure=ProcedureType.objects.get(slug="lumbar-mbb"),
                guidance="fluoroscopy",
                rating=rating,
                comments=comments,
                observed_on=timezone.localdate(),
                requirement=mbb_dops_requirement(),
            )
            for _ in range(n)
        ]
    )


def record_url(trainee, entry) -> str:
    url = reverse("curriculum:assessment_create", args=[enrollment_of(trainee).pk])
    return f"{url}?entry={entry.pk}"


# --- The entry page -----------------------------------------------------------------------------


def test_her_supervisor_sees_record_a_dops_on_the_entry_page(client, alice, bob):
    entry = submitted_mbb(alice, bob)
    client.force_login(bob)
    body = client.get(entry.get_absolute_url()).content.decode()
    assert "Record a DOPS" in body
    assert f'href="{record_url(alice, entry)}"' in body


@pytest.mark.parametrize("viewer", ["alice", "diana"])
def test_the_trainee_and_the_director_see_the_dops_but_may_not_record_one(
    client, alice, bob, diana, viewer
):
    entry = submitted_mbb(alice, bob)
    dops(alice, bob, entry=entry, comments="Steady needle; check the lateral view.")
    client.force_login({"alice": alice, "diana": diana}[viewer])
    body = client.get(entry.get_absolute_url()).content.decode()
    assert "Record a DOPS" not in body
    assert "Global rating <strong>4/5</strong>" in body
    assert WORDS in body
    assert "Steady needle; check the lateral view." in body
    assert "counts for DOPS on a lumbar medial branch block, rated 4 or higher" in body
    assert "By Bob Baker" in body


def test_the_entry_page_shows_only_the_dops_of_that_entry(client, alice, bob):
    entry, other = submitted_mbb(alice, bob), submitted_mbb(alice, bob)
    dops(alice, bob, entry=other, comments="On the other entry.")
    dops(alice, bob, comments="On no entry.")
    client.force_login(alice)
    body = client.get(entry.get_absolute_url()).content.decode()
    assert "On the other entry." not in body
    assert "On no entry." not in body
    assert "No DOPS recorded on this procedure yet." not in body  # nothing to show, no section


def test_a_supervisor_whose_enrollment_ended_reads_the_entry_but_not_its_dops(client, alice, bob):
    entry = submitted_mbb(alice, bob)
    entry_sign_off(entry_id=entry.pk, supervisor=bob, autonomy=4)
    dops(alice, bob, entry=entry, comments="Kept from him now.")
    Enrollment.objects.filter(trainee=alice).update(active=False)
    client.force_login(bob)
    response = client.get(entry.get_absolute_url())
    assert response.status_code == 200  # what he signed stays his to read
    body = response.content.decode()
    assert "Kept from him now." not in body
    assert "Record a DOPS" not in body


def test_a_draft_has_no_dops_section(client, alice, bob):
    entry = EntryFactory(trainee=alice, supervisor=bob)
    client.force_login(alice)
    assert (
        "Observed assessments (DOPS)" not in client.get(entry.get_absolute_url()).content.decode()
    )


def test_the_entry_page_queries_are_the_same_with_1_and_40_dops(
    client, alice, bob, django_assert_max_num_queries
):
    entry = submitted_mbb(alice, bob)
    dops(alice, bob, entry=entry)
    client.force_login(bob)
    with django_assert_max_num_queries(14):  # test_signoff's bound for the entry page
        client.get(entry.get_absolute_url())
    dops(alice, bob, entry=entry, n=39)
    with django_assert_max_num_queries(14):
        body = client.get(entry.get_absolute_url()).content.decode()
    assert body.count("dops-item") == 40


# --- Progress -----------------------------------------------------------------------------------


def test_the_trainee_sees_rating_words_and_comments_on_progress(client, alice, bob):
    entry = submitted_mbb(alice, bob)
    dops(alice, bob, entry=entry, comments="Good fluoroscopic views.")
    client.force_login(alice)
    body = client.get(reverse("curriculum:my_progress")).content.decode()
    assert "Global rating <strong>4/5</strong>" in body
    assert WORDS in body
    assert "Good fluoroscopic views." in body
    assert "counts for DOPS on a lumbar medial branch block, rated 4 or higher" in body
    assert f'href="{entry.get_absolute_url()}"' in body
    assert f'href="{reverse("curriculum:my_dops_csv")}"' in body


@pytest.mark.parametrize("viewer", ["bob", "diana"])
def test_the_supervisor_and_director_see_the_same_on_her_progress(
    client, alice, bob, diana, viewer
):
    dops(alice, bob, comments="Good fluoroscopic views.", rating=3)
    client.force_login({"bob": bob, "diana": diana}[viewer])
    url = reverse("curriculum:trainee_progress", args=[enrollment_of(alice).pk])
    body = client.get(url).content.decode()
    assert "Global rating <strong>3/5</strong>" in body
    assert "Good fluoroscopic views." in body
    assert "rated below its 4, does not count" in body
    dops_csv = reverse("curriculum:trainee_dops_csv", args=[enrollment_of(alice).pk])
    assert f'href="{dops_csv}"' in body


def test_progress_shows_no_other_trainees_dops(client, alice, bob, charlie, dave):
    dops(charlie, dave, comments="Of Charlie alone.")
    client.force_login(alice)
    body = client.get(reverse("curriculum:my_progress")).content.decode()
    assert "Of Charlie alone." not in body


def test_progress_queries_are_the_same_with_3_and_60_dops(
    client, alice, bob, django_assert_max_num_queries
):
    client.force_login(alice)
    url = reverse("curriculum:my_progress")
    dops(alice, bob, n=3)
    client.get(url)  # the counts stored
    # session, user, roles, enrollment, curriculum version, snapshot, recent events, the
    # newest DOPS with their procedures, assessors and requirements, monthly chart,
    # the stored safety-bundle compliance (curriculum.cohort_facts), the entrustment snapshot with its
    # versions (the decisions only when there are some)
    with django_assert_max_num_queries(11):
        client.get(url)
    dops(alice, bob, n=57)
    client.get(url)
    with django_assert_max_num_queries(11):
        response = client.get(url)
    assert len(response.context["assessments"]) == 20
    assert response.context["more_assessments"]


# --- Portfolio and CSV --------------------------------------------------------------------------


def test_the_portfolio_lists_every_dops(client, alice, bob):
    dops(alice, bob, n=25, comments="In the portfolio.")
    client.force_login(alice)
    body = client.get(reverse("curriculum:my_portfolio")).content.decode()
    assert "Observed assessments (DOPS) (25)" in body
    assert body.count("In the portfolio.") == 25
    assert WORDS in body
    assert f'href="{reverse("curriculum:my_dops_csv")}"' in body


def test_her_supervisor_reads_her_dops_in_her_portfolio(client, alice, bob, charlie, dave):
    dops(alice, bob, comments="Of Alice.")
    dops(charlie, dave, comments="Of Charlie.")
    client.force_login(bob)
    url = reverse("curriculum:trainee_portfolio", args=[enrollment_of(alice).pk])
    body = client.get(url).content.decode()
    assert "Of Alice." in body
    assert "Of Charlie." not in body


def read_csv(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_the_dops_csv_has_every_dops_and_neutralises_formulas(client, alice, bob, charlie, dave):
    entry = submitted_mbb(alice, bob)
    dops(alice, bob, entry=entry, comments='=HYPERLINK("http://evil")')
    dops(alice, bob, rating=3, comments="Plain words.")
    dops(charlie, dave, comments="Of Charlie.")
    client.force_login(alice)
    rows = read_csv(client.get(reverse("curriculum:my_dops_csv")))
    assert rows[0] == [
        "Date observed",
        "Procedure",
        "Guidance",
        "Global rating",
        "Rating in words (O-SCORE)",
        "Counts for",
        "Counts",
        "Assessor",
        "Log entry",
        "Comments",
    ]
    assert len(rows) == 3
    first, second = rows[1:]
    assert first[1:8] == [
        "Lumbar medial branch block",
        "Fluoroscopy",
        "4",
        WORDS,
        "DOPS on a lumbar medial branch block, rated 4 or higher",
        "yes",
        "Bob Baker",
    ]
    assert first[8].endswith(entry.get_absolute_url())
    assert first[9] == '\'=HYPERLINK("http://evil")'
    assert (second[3], second[6], second[8], second[9]) == ("3", "no", "", "Plain words.")


@pytest.mark.parametrize(("viewer", "status"), [("bob", 200), ("diana", 200), ("charlie", 404)])
def test_her_dops_csv_is_hers_her_supervisors_and_her_directors(
    client, alice, bob, charlie, dave, diana, viewer, status
):
    dops(alice, bob, comments="Of Alice.")
    users = {"bob": bob, "diana": diana, "charlie": charlie}
    client.force_login(users[viewer])
    response = client.get(reverse("curriculum:trainee_dops_csv", args=[enrollment_of(alice).pk]))
    assert response.status_code == status
    if status == 200:
        assert "Of Alice." in response.content.decode("utf-8-sig")


def test_her_own_dops_csv_never_holds_anothers(client, alice, bob, charlie, dave):
    dops(charlie, dave, comments="Of Charlie.")
    client.force_login(alice)
    rows = read_csv(client.get(reverse("curriculum:my_dops_csv")))
    assert rows[1:] == []


def test_a_supervisor_whose_enrollment_ended_gets_no_dops_csv(client, alice, bob):
    dops(alice, bob)
    enrollment = enrollment_of(alice)
    Enrollment.objects.filter(pk=enrollment.pk).update(active=False)
    client.force_login(bob)
    response = client.get(reverse("curriculum:trainee_dops_csv", args=[enrollment.pk]))
    assert response.status_code == 404


def test_a_dops_recorded_before_the_form_asked_shows_what_it_counts_for(client, alice, bob):
    (old,) = dops(alice, bob, rating=3)
    ObservedAssessment.objects.filter(pk=old.pk).update(requirement=None)
    client.force_login(alice)
    body = client.get(reverse("curriculum:my_progress")).content.decode()
    # Rated 3: too low for the MBB DOPS, so the engine counts it for the radiation-safety one.
    assert "counts for Radiation-safety DOPS under fluoroscopy" in body


@pytest.mark.parametrize("name", ["curriculum:my_dops_csv", "curriculum:my_portfolio"])
def test_the_dops_csv_and_portfolio_queries_are_the_same_with_2_and_50_dops(
    client, alice, bob, name
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(alice)
    url = reverse(name)

    def queries() -> int:
        client.get(url)  # the counts stored
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    entry = submitted_mbb(alice, bob)
    dops(alice, bob, entry=entry, n=2)
    small = queries()
    dops(alice, bob, n=48)
    assert queries() == small
    # CSV: session, user, enrollment, the DOPS with procedure, assessor and requirement.
    # Portfolio: also the roles, curriculum version, snapshot, and the entries with their
    # injectates and signatures.
    assert small <= (4 if name.endswith("csv") else 12)


def test_pages_say_what_the_engine_counts_once_a_requirement_is_retired(client, alice, bob):
    """A DOPS recorded against a requirement that is later retired no longer counts for it
    (curriculum.progress.dops_target); Progress must not say it does."""
    entry = submitted_mbb(alice, bob)
    dops(alice, bob, entry=entry)
    client.force_login(alice)
    said = "counts for DOPS on a lumbar medial branch block"
    assert said in client.get(reverse("curriculum:my_progress")).content.decode()
    Requirement.objects.filter(pk=mbb_dops_requirement().pk).update(active=False)
    body = client.get(reverse("curriculum:my_progress")).content.decode()
    assert said not in body
