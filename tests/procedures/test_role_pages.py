"""Role-aware pages (issue 10 point 6): only people enrolled as trainees have a Logbook and
log procedures; an entry page's Back link goes where its reader came from, never to
another site."""

import pytest
from django.urls import reverse
from django.utils import timezone

from procedures.models import Entry
from procedures.services import entry_submit
from programs.models import Enrollment
from tests.factories import EntryFactory, UserFactory
from tests.procedures.test_signoff import new_entry_data

LOGBOOK = reverse("procedures:entry_list")
LOG = reverse("procedures:entry_create")
QUEUE = reverse("procedures:signoff_queue")
COHORT = reverse("curriculum:cohort")
NOT_A_TRAINEE = "Only trainees have a Logbook"


def nav(response) -> str:
    html = response.content.decode()
    return html[html.index('id="nav-main"') : html.index("</nav>")]


# --- who has a Logbook ------------------------------------------------------------------


def test_a_trainee_has_the_logbook_and_log_a_procedure_in_the_menu(client, alice):
    client.force_login(alice)
    response = client.get(LOGBOOK)
    assert response.status_code == 200
    assert ">Logbook</a>" in nav(response) and ">Log a procedure</a>" in nav(response)
    assert client.get(LOG).status_code == 200


# Home (curriculum.home) has each role's section: the queue's, Cohort's.
@pytest.mark.parametrize(("who", "home"), [("bob", reverse("home")), ("diana", reverse("home"))])
@pytest.mark.parametrize("page", [LOGBOOK, LOG])
def test_a_supervisor_or_director_is_taken_home_with_a_word_why(
    client, alice, bob, diana, request, who, home, page
):
    client.force_login(request.getfixturevalue(who))
    response = client.get(page, follow=True)
    assert response.redirect_chain[-1] == (home, 302)
    assert NOT_A_TRAINEE in response.content.decode()
    assert "Logbook</a>" not in nav(response) and "Log a procedure" not in nav(response)


def test_a_supervisor_cannot_save_a_draft_he_could_never_submit(client, alice, bob, dave):
    client.force_login(bob)
    data = new_entry_data(dave, action="draft")
    response = client.post(LOG, data)
    assert response.status_code == 403
    assert NOT_A_TRAINEE in response.content.decode()
    assert not Entry.objects.filter(trainee=bob).exists()


def test_someone_with_no_role_starts_on_a_page_that_says_why(client, db):
    nobody = UserFactory(username="nobody")
    client.force_login(nobody)
    response = client.get(reverse("home"), follow=True)
    assert response.status_code == 200
    assert "No Logbook" in response.content.decode()
    assert NOT_A_TRAINEE in response.content.decode()
    assert client.post(LOG, {"action": "draft"}).status_code == 403


def test_a_supervisor_who_is_also_a_trainee_has_both(client, program, alice, bob, dave):
    enrollment = Enrollment.objects.create(
        trainee=bob, program=program, start_date=timezone.localdate()
    )
    enrollment.supervisors.add(dave)
    client.force_login(bob)
    response = client.get(LOGBOOK)
    assert response.status_code == 200
    assert ">Log a procedure</a>" in nav(response) and "Sign-off queue" in nav(response)


def test_a_former_trainee_still_reads_her_logbook_but_logs_nothing_new(client, alice, bob):
    EntryFactory(trainee=alice, supervisor=bob, status=Entry.Status.SIGNED_OFF, autonomy=4)
    Enrollment.objects.filter(trainee=alice).update(active=False)
    client.force_login(alice)
    response = client.get(LOGBOOK)
    assert response.status_code == 200
    assert len(response.context["entries"]) == 1
    assert 'href="/entries/new/"' not in response.content.decode()
    assert client.post(LOG, new_entry_data(bob, action="draft")).status_code == 403
    assert Entry.objects.count() == 1


# --- Back ---------------------------------------------------------------------------------


@pytest.fixture
def waiting(alice, bob):
    return EntryFactory(
        trainee=alice, supervisor=bob, status=Entry.Status.SUBMITTED, submitted_at=timezone.now()
    )


def back(response) -> tuple[str, str]:
    link = response.context["back"]
    return link["url"], link["label"]


def test_the_trainee_goes_back_to_her_logbook(client, alice, waiting):
    client.force_login(alice)
    response = client.get(waiting.get_absolute_url())
    assert back(response) == (LOGBOOK, "Back to the Logbook")
    assert f'<a href="{LOGBOOK}">Back to the Logbook</a>' in response.content.decode()


def test_a_supervisor_goes_back_to_his_queue_by_default(client, bob, waiting):
    client.force_login(bob)
    assert back(client.get(waiting.get_absolute_url())) == (QUEUE, "Back to the sign-off queue")


def test_back_follows_the_referer_from_the_queue_keeping_its_page(client, bob, waiting):
    client.force_login(bob)
    response = client.get(
        waiting.get_absolute_url(), headers={"referer": f"http://testserver{QUEUE}?page=2"}
    )
    assert back(response) == (f"{QUEUE}?page=2", "Back to the sign-off queue")


def test_back_follows_next_from_a_trainees_progress(client, alice, bob):
    waiting = EntryFactory(trainee=alice, supervisor=bob)
    entry_submit(entry=waiting, by=alice)  # an event for Progress's recent activity
    client.force_login(bob)
    progress = reverse(
        "curriculum:trainee_progress", args=[Enrollment.objects.get(trainee=alice).pk]
    )
    # The Progress page links its entries with ?next= itself.
    assert f"?next={progress}" in client.get(progress).content.decode()
    response = client.get(waiting.get_absolute_url(), {"next": progress})
    assert back(response) == (progress, "Back to the trainee's Progress")


def test_a_director_goes_back_to_cohort(client, diana, waiting):
    client.force_login(diana)
    assert back(client.get(waiting.get_absolute_url())) == (COHORT, "Back to Cohort")
    response = client.get(waiting.get_absolute_url(), {"next": f"{COHORT}?supervisor=3"})
    assert back(response) == (f"{COHORT}?supervisor=3", "Back to Cohort")


@pytest.mark.parametrize(
    "hostile",
    [
        "https://evil.example/entries/sign-off/",
        "//evil.example/entries/sign-off/",
        "/\\evil.example/entries/sign-off/",
        "http://evil.example@testserver.evil.example/",
        "javascript:alert(1)//entries/sign-off/",
        "data:text/html,<script>alert(1)</script>",
        "/entries/1/delete/",  # this site, but not a page that lists entries
        "/accounts/logout/",
        "/no/such/page/",
        "/" + "x" * 3000,
        "\x00/entries/",
    ],
)
def test_a_hostile_next_or_referer_falls_back_to_the_readers_own_list(
    client, bob, waiting, hostile
):
    client.force_login(bob)
    by_next = client.get(waiting.get_absolute_url(), {"next": hostile})
    assert by_next.status_code == 200
    assert back(by_next) == (QUEUE, "Back to the sign-off queue")
    if "\x00" not in hostile:
        by_referer = client.get(waiting.get_absolute_url(), headers={"referer": hostile})
        assert back(by_referer) == (QUEUE, "Back to the sign-off queue")


def test_a_referer_from_another_site_is_ignored_even_if_its_path_is_ours(client, bob, waiting):
    client.force_login(bob)
    response = client.get(
        waiting.get_absolute_url(), headers={"referer": f"https://evil.example{COHORT}"}
    )
    assert back(response) == (QUEUE, "Back to the sign-off queue")


def test_the_entry_page_asks_for_the_roles_once(
    client, bob, waiting, django_assert_max_num_queries
):
    client.force_login(bob)
    client.get(waiting.get_absolute_url())  # warm
    with django_assert_max_num_queries(40) as captured:
        client.get(waiting.get_absolute_url(), {"next": QUEUE})
    roles = [q for q in captured.captured_queries if '"is_trainee"' in q["sql"]]
    assert len(roles) == 1
