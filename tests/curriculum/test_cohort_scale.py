"""A large cohort: the Cohort page shows 50 trainees a page, its page links keep the
filters, its CSV has every trainee; the Cohort and Progress pages run no more queries with
many trainees or entries than with a few."""

import csv
import io

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from curriculum.progress import clear_curriculum_cache
from curriculum.views import COHORT_PAGE_SIZE
from procedures.models import Entry
from programs.models import Enrollment
from tests.factories import EntryFactory


def enroll(program, supervisor, n, prefix="t"):
    """`n` trainees supervised by `supervisor`, in bulk, named so that they sort in order."""
    users = get_user_model().objects.bulk_create(
        [
            get_user_model()(username=f"{prefix}{i:04d}", last_name=f"{prefix.upper()}{i:04d}")
            for i in range(n)
        ]
    )
    enrollments = Enrollment.objects.bulk_create(
        [Enrollment(trainee=u, program=program, start_date=timezone.localdate()) for u in users]
    )
    Enrollment.supervisors.through.objects.bulk_create(
        [
            Enrollment.supervisors.through(enrollment_id=e.pk, user_id=supervisor.pk)
            for e in enrollments
        ]
    )
    return users


def names(response) -> list[str]:
    return [row["name"] for row in response.context["rows"]]


def csv_rows(response) -> list[dict]:
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_the_cohort_is_shown_fifty_trainees_a_page(client, program, bob, diana):
    enroll(program, bob, 2 * COHORT_PAGE_SIZE + 3)
    client.force_login(diana)
    url = reverse("curriculum:cohort")
    first = client.get(url)
    assert names(first) == [f"T{i:04d}" for i in range(COHORT_PAGE_SIZE)]
    last = client.get(url, {"page": "3"})
    assert names(last) == [
        f"T{i:04d}" for i in range(2 * COHORT_PAGE_SIZE, 2 * COHORT_PAGE_SIZE + 3)
    ]
    assert "103 trainees" in last.content.decode()


@pytest.mark.parametrize("page", ["0", "-1", "abc", "999", "1e3", "9" * 30, ""])
def test_a_page_number_that_is_not_one_shows_a_page(client, program, bob, diana, page):
    enroll(program, bob, COHORT_PAGE_SIZE + 1)
    client.force_login(diana)
    response = client.get(reverse("curriculum:cohort"), {"page": page})
    assert response.status_code == 200
    assert len(response.context["rows"]) in (1, COHORT_PAGE_SIZE)


def test_page_links_keep_the_program_and_supervisor(client, program, bob, dave, diana):
    enroll(program, bob, COHORT_PAGE_SIZE + 5, prefix="b")
    enroll(program, dave, 2 * COHORT_PAGE_SIZE + 1, prefix="d")
    client.force_login(diana)
    url = reverse("curriculum:cohort")
    response = client.get(url, {"program": program.pk, "supervisor": dave.pk})
    links = [link for link in response.context["page_links"] if link]
    assert [link["number"] for link in links] == [1, 2, 3]
    for link in links:
        assert f"program={program.pk}" in link["url"]
        assert f"supervisor={dave.pk}" in link["url"]
        assert f"page={link['number']}" in link["url"]
        assert f'href="{escape(link["url"])}"' in response.content.decode() or link["current"]
    # Following the link to page 3 shows the rest of dave's trainees, no one else's.
    page3 = client.get(url + links[2]["url"])
    assert names(page3) == ["D0100"]
    assert page3.context["chosen_supervisor"] == dave
    # And bob's trainees make two pages of their own.
    bobs = client.get(url, {"supervisor": bob.pk, "page": "2"})
    assert names(bobs) == [f"B{i:04d}" for i in range(COHORT_PAGE_SIZE, COHORT_PAGE_SIZE + 5)]
    assert all(f"supervisor={bob.pk}" in link["url"] for link in bobs.context["page_links"])


def test_one_page_of_trainees_has_no_page_links(client, alice, charlie, diana):
    client.force_login(diana)
    response = client.get(reverse("curriculum:cohort"))
    assert response.context["page_links"] == []
    assert 'aria-label="Cohort pages"' not in response.content.decode()


def test_the_csv_has_every_trainee_not_one_page(client, program, bob, dave, diana, alice):
    enroll(program, bob, 2 * COHORT_PAGE_SIZE + 7)
    enroll(program, dave, 4, prefix="d")
    client.force_login(diana)
    response = client.get(reverse("curriculum:cohort"))
    assert response.context["csv_url"] == (
        reverse("curriculum:cohort_csv") + f"?program={program.pk}"
    )
    rows = csv_rows(client.get(response.context["csv_url"]))
    assert len(rows) == 2 * COHORT_PAGE_SIZE + 7 + 4 + 1  # alice too
    assert {"Trainee", "Username", "Overall (%)", "Current stage"} <= set(rows[0])
    alices = next(r for r in rows if r["Username"] == "alice")
    assert alices["Current stage"].startswith("Stage 1:")
    # The supervisor filter holds in the CSV as on the page.
    filtered = client.get(reverse("curriculum:cohort"), {"supervisor": dave.pk})
    assert f"supervisor={dave.pk}" in filtered.context["csv_url"]
    rows = csv_rows(client.get(filtered.context["csv_url"]))
    assert [r["Username"] for r in rows] == ["d0000", "d0001", "d0002", "d0003"]


def test_the_csv_shows_a_name_as_text_never_as_a_formula(client, program, bob, diana):
    (user,) = enroll(program, bob, 1)
    user.last_name = "=HYPERLINK(1)"
    user.save()
    client.force_login(diana)
    (row,) = csv_rows(client.get(reverse("curriculum:cohort_csv")))
    assert row["Trainee"].startswith("'=")


def test_only_a_programs_director_gets_its_csv(client, alice, bob, program):
    from programs.models import Program

    other = Program.objects.create(slug="other", name="Other program")
    client.force_login(bob)
    assert client.get(reverse("curriculum:cohort_csv")).status_code == 404
    director = get_user_model().objects.create_user("olga")
    other.directors.add(director)
    client.force_login(director)
    url = reverse("curriculum:cohort_csv")
    assert client.get(url, {"program": program.pk}).status_code == 404
    assert csv_rows(client.get(url)) == []  # her own program, which has no trainees


def some_entries(trainees, supervisor, each):
    Entry.objects.bulk_create(
        [
            EntryFactory.build(
                trainee=t,
                supervisor=supervisor,
                status=Entry.Status.SIGNED_OFF if i % 3 else Entry.Status.SUBMITTED,
                autonomy=4 if i % 3 else None,
                submitted_at=timezone.now(),
            )
            for t in trainees
            for i in range(each)
        ]
    )


@pytest.mark.parametrize("trainees", [3, 3 * COHORT_PAGE_SIZE])
def test_cohort_queries_are_bounded_at_a_few_and_many_trainees(
    client, program, bob, diana, trainees, django_assert_max_num_queries
):
    some_entries(enroll(program, bob, trainees), bob, 4)
    client.force_login(diana)
    url = reverse("curriculum:cohort")
    clear_curriculum_cache()
    # cold: session, user, roles, programs, supervisors, curriculum (4), trainee count,
    # page of enrollments, curriculum version, snapshots, then for the stale trainees:
    # versions, entry aggregates (2), assessment aggregates (2), DELETE, INSERT; overdue,
    # returned, returned count; savepoints around the snapshot write; completed block
    # series and measured stress examinations (the default curriculum counts them); the
    # page's flagged ablations and safety-bundle compliance (the few types concerned, then
    # one grouped query each); radiation (issue 12): the page's stored figures, the program's medians, recent dose alerts and readings, and once in the
    # program's life the medians' first computing (3), for stale trainees their figures
    # (3) and their store (1); competence (issue 13): the page's stored standings and the
    # program's competencies (3), for trainees never computed their cases, agreement,
    # DOPS and store (4)
    with django_assert_max_num_queries(41 + 8):
        assert client.get(url).status_code == 200
    with django_assert_max_num_queries(41 + 8):
        assert client.get(url, {"page": "2"}).status_code == 200
    # warm: session, user, roles, programs, supervisors, trainee count, page of
    # enrollments, curriculum version, snapshots, overdue, returned, returned count,
    # open signature findings, last signature sweep, the page's stored facts (flagged
    # ablations and safety-bundle compliance: curriculum.cohort_facts),
    # radiation (issue 12): the page's stored figures, the program's medians, recent dose alerts and readings (4),
    # competence (issue 13): the page's stored standings (1)
    with django_assert_max_num_queries(23):
        assert client.get(url).status_code == 200
    with django_assert_max_num_queries(23):
        assert client.get(url, {"page": "2"}).status_code == 200
    # The CSV: every trainee, the same bounded queries (no count; no overdue or returned);
    # for the trainees not shown yet their stored facts are computed (curriculum.
    # cohort_facts: the stored ones read, flagged ablations, the bundle (2), the store).
    with django_assert_max_num_queries(31):
        assert client.get(reverse("curriculum:cohort_csv")).status_code == 200
    with django_assert_max_num_queries(13):  # with radiation's 4
        assert client.get(reverse("curriculum:cohort_csv")).status_code == 200


@pytest.mark.parametrize("entries", [10, 2000])
def test_progress_queries_are_bounded_at_a_few_and_many_entries(
    client, alice, bob, entries, django_assert_max_num_queries
):
    some_entries([alice], bob, entries)
    client.force_login(alice)
    url = reverse("curriculum:my_progress")
    client.get(url)
    # warm: session, user, roles, enrollment, curriculum version, snapshot, recent events,
    # recent assessments, monthly counts, the stored safety-bundle compliance (curriculum.cohort_facts),
    # the entrustment snapshot with its versions (the decisions only when there are some)
    with django_assert_max_num_queries(11):
        response = client.get(url)
    chart = response.context["chart"]
    assert sum(sum(s["data"]) for s in chart["series"]) == entries  # all this month
