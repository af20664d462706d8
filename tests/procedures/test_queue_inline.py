"""The queue's own Sign off and Return forms (issue 10, point 2), through the test client.

Each queue row posts to the same views as the entry page, with `from=queue`: a refused
form comes back to the queue, the error in that row, what was chosen and typed kept; a
decision goes back to the queue as it was filtered. Every refusal changes nothing.
"""

import pytest
from django.urls import reverse

from procedures.models import Entry, Signature
from tests.factories import PASSWORD, waiting_entries
from tests.procedures.test_signoff import messages_of, state

QUEUE = reverse("procedures:signoff_queue")


def sign_off_url(entry):
    return reverse("procedures:entry_sign_off", args=[entry.pk])


def return_url(entry):
    return reverse("procedures:entry_return", args=[entry.pk])


@pytest.fixture
def bobs_client(client, bob):
    client.force_login(bob)
    return client


def test_each_row_has_its_rating_buttons_sign_off_and_return(bobs_client, alice, bob):
    first, second = waiting_entries(alice, bob, 2)
    page = bobs_client.get(QUEUE).content.decode()
    for entry in (first, second):
        assert f'action="{sign_off_url(entry)}"' in page
        assert f'action="{return_url(entry)}"' in page
        for value in range(1, 6):
            assert f'id="e{entry.pk}-r{value}"' in page
    assert "4 – “I needed to be in the room just in case”" in page
    assert "In the room" in page
    # The password is due (never typed this session): each row asks for it.
    assert f'id="e{first.pk}-password"' in page


def test_no_rating_comes_back_to_the_queue_with_the_error_in_that_row(bobs_client, alice, bob):
    first, second = waiting_entries(alice, bob, 2)
    before = state(second)
    response = bobs_client.post(
        sign_off_url(second),
        {"from": "queue", "comment": "Steady hands.", "password": PASSWORD},
    )
    assert response.status_code == 200
    assert response.templates[0].name == "procedures/signoff_queue.html"
    page = response.content.decode()
    assert f'id="e{second.pk}-autonomy-error"' in page
    assert "Rate the trainee’s autonomy before signing off." in page
    assert f'id="e{first.pk}-autonomy-error"' not in page
    # What was typed is kept, in that row only.
    assert page.count("Steady hands.") == 1
    assert state(second) == before


def test_a_wrong_password_keeps_the_rating_checked(bobs_client, alice, bob):
    (entry,) = waiting_entries(alice, bob, 1)
    response = bobs_client.post(
        sign_off_url(entry), {"from": "queue", "autonomy": "3", "password": "wrong-one"}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert f'id="e{entry.pk}-password-error"' in page
    assert f'value="3" id="e{entry.pk}-r3" required checked' in page
    assert Signature.objects.count() == 0


def test_signed_from_the_queue_goes_back_to_the_queue_as_filtered(bobs_client, alice, bob):
    (entry,) = waiting_entries(alice, bob, 1)
    response = bobs_client.post(
        sign_off_url(entry),
        {
            "from": "queue",
            "autonomy": "5",
            "password": PASSWORD,
            "trainee": str(alice.pk),
            "submission": "",
        },
    )
    assert response.status_code == 302
    assert response.url == f"{QUEUE}?trainee={alice.pk}"
    entry.refresh_from_db()
    assert (entry.status, entry.autonomy) == (Entry.Status.SIGNED_OFF, 5)
    assert messages_of(response) == [f"Signed off: {entry.procedure} for Alice Adams."]


@pytest.mark.parametrize("trainee", ["", "abc", "1e3", "../../evil", "١"])
def test_a_hostile_trainee_filter_goes_back_to_the_whole_queue(bobs_client, alice, bob, trainee):
    (entry,) = waiting_entries(alice, bob, 1)
    response = bobs_client.post(
        sign_off_url(entry),
        {"from": "queue", "autonomy": "5", "password": PASSWORD, "trainee": trainee},
    )
    assert response.url == QUEUE


def test_a_return_without_a_comment_comes_back_to_the_queue_open(bobs_client, alice, bob):
    (entry,) = waiting_entries(alice, bob, 1)
    before = state(entry)
    response = bobs_client.post(return_url(entry), {"from": "queue", "comment": "  "})
    assert response.status_code == 200
    page = response.content.decode()
    assert f'id="e{entry.pk}-return-error"' in page
    assert "Say what the trainee should correct." in page
    assert '<details class="queue-return mt-2" open>' in page
    assert state(entry) == before


def test_returned_from_the_queue(bobs_client, alice, bob):
    (entry,) = waiting_entries(alice, bob, 1)
    response = bobs_client.post(
        return_url(entry), {"from": "queue", "comment": "Add the injectates, please."}
    )
    assert response.url == QUEUE
    entry.refresh_from_db()
    assert entry.status == Entry.Status.RETURNED


def test_the_entry_page_still_gets_its_own_errors_back(bobs_client, alice, bob):
    """Without `from=queue` (the entry page's forms) a refusal renders the entry page."""
    (entry,) = waiting_entries(alice, bob, 1)
    response = bobs_client.post(sign_off_url(entry), {"password": PASSWORD})
    assert response.status_code == 200
    assert response.templates[0].name == "procedures/entry_detail.html"


def test_another_supervisors_entry_cannot_be_signed_from_the_queue(
    client, alice, bob, charlie, dave
):
    (entry,) = waiting_entries(charlie, dave, 1)
    before = state(entry)
    client.force_login(bob)
    response = client.post(
        sign_off_url(entry), {"from": "queue", "autonomy": "5", "password": PASSWORD}
    )
    assert response.status_code == 404
    assert state(entry) == before


@pytest.mark.parametrize("waiting", [3, 50])
def test_a_refused_row_renders_the_queue_in_bounded_queries(
    bobs_client, alice, bob, waiting, django_assert_max_num_queries
):
    entries = waiting_entries(alice, bob, waiting)
    # 16, and 8 for the trainee's entrustment in each entry's competency computed for the
    # first time (curriculum.competence: the enrollments with their snapshots, the
    # program's competencies (3), the cases, the ratings' agreement, the DOPS, the stored
    # snapshot).
    with django_assert_max_num_queries(16 + 8):
        response = bobs_client.post(
            sign_off_url(entries[-1]), {"from": "queue", "password": PASSWORD}
        )
    assert response.status_code == 200
