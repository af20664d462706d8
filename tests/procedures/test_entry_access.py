"""Who may read and change which entry (DESIGN §5 Access), each rule tried and broken.

alice is a trainee supervised by bob; charlie is another trainee, supervised by dave;
diana directs the program. Refused writes must leave the database unchanged.
"""

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from procedures.models import Entry, ProcedureType
from tests.factories import EntryFactory


def url(name, entry=None):
    return reverse(f"procedures:{name}", args=[entry.pk] if entry else [])


def snapshot(entry) -> dict:
    """Every stored value of `entry`, to check that a refused request changed nothing."""
    row = Entry.objects.filter(pk=entry.pk).values().get()
    row["injectates"] = sorted(entry.injectates.values_list("pk", flat=True))
    return row


def edit_data(entry, **overrides) -> dict:
    """A valid POST of the edit form that changes the entry's notes and levels."""
    data = {
        "performed_on": entry.performed_on.isoformat(),
        "procedure": entry.procedure_id,
        "guidance": entry.guidance,
        "side": entry.side,
        "levels": "L5-S1",
        "purpose": entry.purpose,
        "role": entry.role,
        "supervisor": entry.supervisor_id or "",
        "fluoro_time_s": entry.fluoro_time_s or "",
        "dap": entry.dap or "",
        "complication": entry.complication,
        "notes": "Changed by someone.",
        "action": "draft",
    }
    data.update(overrides)
    return data


@pytest.fixture
def draft(alice, bob):
    return EntryFactory(trainee=alice, supervisor=bob)


@pytest.fixture
def submitted(alice, bob):
    return EntryFactory(
        trainee=alice, supervisor=bob, status=Entry.Status.SUBMITTED, submitted_at=timezone.now()
    )


@pytest.fixture
def signed_off(alice, bob):
    return EntryFactory(
        trainee=alice,
        supervisor=bob,
        status=Entry.Status.SIGNED_OFF,
        autonomy=4,
        submitted_at=timezone.now(),
    )


# --- anonymous -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "name", "needs_entry"),
    [
        ("get", "entry_list", False),
        ("get", "entry_create", False),
        ("post", "entry_create", False),
        ("get", "entry_detail", True),
        ("get", "entry_edit", True),
        ("post", "entry_edit", True),
        ("post", "entry_submit", True),
        ("get", "entry_delete", True),
        ("post", "entry_delete", True),
    ],
)
def test_anonymous_is_redirected_to_login(client, draft, method, name, needs_entry):
    before = snapshot(draft)
    target = url(name, draft if needs_entry else None)

    response = getattr(client, method)(target, edit_data(draft) if method == "post" else None)

    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next={target}"
    assert Entry.objects.count() == 1
    assert snapshot(draft) == before


# --- another trainee -------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["entry_detail", "entry_edit", "entry_delete"])
def test_other_trainee_gets_404_reading(client, charlie, draft, name):
    client.force_login(charlie)

    assert client.get(url(name, draft)).status_code == 404


@pytest.mark.parametrize("name", ["entry_edit", "entry_submit", "entry_delete"])
def test_other_trainee_gets_404_writing_and_nothing_changes(client, charlie, draft, name):
    before = snapshot(draft)
    client.force_login(charlie)

    response = client.post(url(name, draft), edit_data(draft, action="submit"))

    assert response.status_code == 404
    assert snapshot(draft) == before


def test_other_trainee_gets_404_on_a_submitted_entry_too(client, charlie, submitted):
    client.force_login(charlie)

    assert client.get(url("entry_detail", submitted)).status_code == 404


def test_a_missing_entry_looks_the_same_as_someone_elses(client, alice):
    client.force_login(alice)

    assert client.get(reverse("procedures:entry_detail", args=[999999])).status_code == 404


# --- the owner, once the entry has left her hands ----------------------------------------------


# A signed-off entry is not edited in place either: "Edit" becomes a correction, a new
# revision that goes back for sign-off (tests/procedures/test_signoff.py).
@pytest.mark.parametrize(
    ("status_fixture", "name"),
    [
        ("submitted", "entry_edit"),
        ("submitted", "entry_submit"),
        ("submitted", "entry_delete"),
        ("signed_off", "entry_submit"),
        ("signed_off", "entry_delete"),
    ],
)
def test_trainee_cannot_change_her_entry_once_submitted_or_signed_off(
    client, alice, request, status_fixture, name
):
    entry = request.getfixturevalue(status_fixture)
    before = snapshot(entry)
    client.force_login(alice)

    response = client.post(url(name, entry), edit_data(entry, action="submit"))

    assert response.status_code == 403
    assert snapshot(entry) == before


@pytest.mark.parametrize("name", ["entry_edit", "entry_delete"])
def test_trainee_gets_403_opening_the_edit_or_delete_page_of_a_submitted_entry(
    client, alice, submitted, name
):
    client.force_login(alice)

    assert client.get(url(name, submitted)).status_code == 403


def test_trainee_reads_her_submitted_entry_without_an_edit_link(client, alice, submitted):
    client.force_login(alice)

    response = client.get(url("entry_detail", submitted))

    assert response.status_code == 200
    assert response.context["can_edit"] is False
    assert url("entry_edit", submitted) not in response.content.decode()


def test_owner_edits_her_draft(client, alice, draft):
    client.force_login(alice)

    response = client.post(url("entry_edit", draft), edit_data(draft, notes="Corrected."))

    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.levels == "L5–S1"
    assert draft.notes == "Corrected."


def test_a_returned_entry_can_be_edited_and_submitted_again(client, alice, bob):
    entry = EntryFactory(trainee=alice, supervisor=bob, status=Entry.Status.RETURNED)
    client.force_login(alice)

    response = client.post(url("entry_edit", entry), edit_data(entry, action="submit"))

    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.status == Entry.Status.SUBMITTED


# --- supervisors and directors -----------------------------------------------------------------


def test_supervisor_reads_a_submitted_entry_of_his_trainee(client, bob, submitted):
    client.force_login(bob)

    response = client.get(url("entry_detail", submitted))

    assert response.status_code == 200
    assert response.context["entry"] == submitted


def test_supervisor_gets_404_on_his_trainees_draft(client, bob, draft):
    client.force_login(bob)

    assert client.get(url("entry_detail", draft)).status_code == 404


@pytest.mark.parametrize("name", ["entry_edit", "entry_submit", "entry_delete"])
def test_supervisor_cannot_change_his_trainees_entry(client, bob, submitted, name):
    before = snapshot(submitted)
    client.force_login(bob)

    response = client.post(url(name, submitted), edit_data(submitted))

    assert response.status_code == 403
    assert snapshot(submitted) == before


def test_supervisor_of_another_trainee_gets_404(client, dave, submitted):
    client.force_login(dave)

    assert client.get(url("entry_detail", submitted)).status_code == 404


def test_director_reads_a_submitted_entry_in_her_program(client, diana, submitted):
    client.force_login(diana)

    assert client.get(url("entry_detail", submitted)).status_code == 200


def test_director_gets_404_on_a_draft(client, diana, draft):
    client.force_login(diana)

    assert client.get(url("entry_detail", draft)).status_code == 404


def test_director_cannot_edit_a_submitted_entry(client, diana, submitted):
    before = snapshot(submitted)
    client.force_login(diana)

    response = client.post(url("entry_edit", submitted), edit_data(submitted))

    assert response.status_code == 403
    assert snapshot(submitted) == before


# --- methods, lists, choices -----------------------------------------------------------------


def test_get_on_submit_gives_405(client, alice, draft):
    client.force_login(alice)

    response = client.get(url("entry_submit", draft))

    assert response.status_code == 405
    draft.refresh_from_db()
    assert draft.status == Entry.Status.DRAFT


def test_logbook_lists_only_her_own_entries(client, alice, charlie, bob, dave):
    mine = [EntryFactory(trainee=alice, supervisor=bob) for _ in range(2)]
    EntryFactory(trainee=charlie, supervisor=dave, status=Entry.Status.SUBMITTED)
    client.force_login(alice)

    response = client.get(url("entry_list"))

    assert response.status_code == 200
    assert {e.pk for e in response.context["entries"]} == {e.pk for e in mine}


def test_a_supervisor_has_no_logbook_listing_his_trainees_entries(client, bob, submitted):
    # Issue 10 point 6: only trainees have a Logbook; a supervisor is taken to his Home,
    # which shows his queue.
    client.force_login(bob)

    response = client.get(url("entry_list"), follow=True)

    assert response.redirect_chain[-1][0] == reverse("home")
    assert "procedures/entry_list.html" not in [t.name for t in response.templates]
    assert "Only trainees have a Logbook" in response.content.decode()


def test_supervisor_choices_are_only_her_supervisors(client, alice, bob, charlie, dave, diana):
    client.force_login(alice)

    response = client.get(url("entry_create"))

    choices = list(response.context["form"].fields["supervisor"].queryset)
    assert choices == [bob]
    select = re.search(r'<select name="supervisor".*?</select>', response.content.decode(), re.S)
    options = re.findall(r'<option value="(\d+)"', select.group())
    assert options == [str(bob.pk)]


def test_a_forged_trainee_field_still_logs_the_entry_for_the_signed_in_user(
    client, alice, bob, charlie
):
    client.force_login(alice)
    data = {
        "trainee": charlie.pk,
        "status": Entry.Status.SIGNED_OFF,
        "submitted_at": "2020-01-01T00:00:00Z",
        "performed_on": (timezone.localdate() - timedelta(days=1)).isoformat(),
        "procedure": ProcedureType.objects.get(slug="caudal-epidural").pk,
        "guidance": "ultrasound",
        "side": "midline",
        "purpose": "therapeutic",
        "role": "3",
        "supervisor": bob.pk,
        "complication": "none",
        "action": "draft",
    }

    response = client.post(url("entry_create"), data)

    assert response.status_code == 302
    entry = Entry.objects.get()
    assert entry.trainee == alice
    assert entry.status == Entry.Status.DRAFT
    assert entry.submitted_at is None
    assert not charlie.entries.exists()


def test_log_another_like_this_copies_her_own_entry_but_not_its_date(client, alice, bob):
    source = EntryFactory(
        trainee=alice, supervisor=bob, performed_on=timezone.localdate() - timedelta(days=30)
    )
    client.force_login(alice)

    response = client.get(url("entry_create") + f"?like={source.pk}")

    assert response.status_code == 200
    initial = response.context["form"].initial
    assert initial["procedure"] == source.procedure
    assert initial["levels"] == "L4–L5"
    assert initial["supervisor"] == bob
    assert initial["performed_on"] == timezone.localdate()


def test_log_another_like_this_with_someone_elses_entry_gives_404(client, alice, charlie, dave):
    theirs = EntryFactory(trainee=charlie, supervisor=dave, status=Entry.Status.SUBMITTED)
    client.force_login(alice)

    response = client.get(url("entry_create") + f"?like={theirs.pk}")

    assert response.status_code == 404


def test_log_another_like_this_with_a_non_ascii_digit_is_ignored(client, alice):
    client.force_login(alice)

    response = client.get(url("entry_create") + "?like=²")

    assert response.status_code in (200, 404)


def test_post_without_csrf_token_is_refused(alice, bob):
    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(alice)
    data = {
        "performed_on": (timezone.localdate() - timedelta(days=1)).isoformat(),
        "procedure": ProcedureType.objects.get(slug="caudal-epidural").pk,
        "guidance": "ultrasound",
        "side": "midline",
        "purpose": "therapeutic",
        "role": "3",
        "supervisor": bob.pk,
        "complication": "none",
        "action": "draft",
    }

    response = csrf_client.post(url("entry_create"), data)

    assert response.status_code == 403
    assert Entry.objects.count() == 0


# --- deleting a draft ------------------------------------------------------------------------


def test_owner_deletes_her_draft_after_confirming(client, alice, draft):
    client.force_login(alice)

    response = client.get(url("entry_delete", draft))

    assert response.status_code == 200
    assert "Delete this entry?" in response.content.decode()
    assert Entry.objects.filter(pk=draft.pk).exists()

    response = client.post(url("entry_delete", draft))

    assert response.status_code == 302
    assert response.url == url("entry_list")
    assert not Entry.objects.filter(pk=draft.pk).exists()
