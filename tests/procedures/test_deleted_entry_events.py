"""Deleting an entry keeps its events: a Deleted event is recorded, the earlier ones (a
supervisor's return comment among them) stay with their entry set to null and what they
were about (entry number, trainee, procedure, date) kept on them; they show in the
trainee's recent activity to those who may see it, and to nobody else."""

import pytest
from django.urls import reverse

from procedures import services
from procedures.models import Entry, EntryEvent
from programs.models import Enrollment
from tests.procedures.test_signoff import submitted_entry

COMMENT = "Which level was it? Please add the injectates."


@pytest.fixture
def returned(alice, bob):
    entry = submitted_entry(alice, bob)
    services.entry_return(entry_id=entry.pk, supervisor=bob, comment=COMMENT)
    return Entry.objects.get(pk=entry.pk)


def delete_as(client, user, entry):
    client.force_login(user)
    return client.post(reverse("procedures:entry_delete", args=[entry.pk]))


def test_deleting_a_returned_entry_keeps_its_events_and_the_return_comment(
    client, alice, bob, returned
):
    number, procedure, performed_on = returned.pk, returned.procedure, returned.performed_on
    before = list(EntryEvent.objects.filter(entry=returned).values_list("action", flat=True))
    assert EntryEvent.Action.RETURNED in before

    response = delete_as(client, alice, returned)

    assert response.status_code == 302
    assert not Entry.objects.filter(pk=number).exists()
    events = list(EntryEvent.objects.filter(entry_number=number).order_by("at", "id"))
    assert [e.action for e in events] == [*before, EntryEvent.Action.DELETED]
    assert all(e.entry_id is None for e in events)
    assert all(
        (e.trainee, e.procedure, e.performed_on) == (alice, procedure, performed_on) for e in events
    )
    (returned_event,) = [e for e in events if e.action == EntryEvent.Action.RETURNED]
    assert (returned_event.actor, returned_event.comment) == (bob, COMMENT)
    deleted = events[-1]
    assert (deleted.actor, deleted.from_status, deleted.to_status) == (
        alice,
        Entry.Status.RETURNED,
        "",
    )


def test_a_deleted_entrys_page_is_gone_for_everyone(client, alice, bob, diana, returned):
    number = returned.pk
    delete_as(client, alice, returned)
    for user in (alice, bob, diana):
        client.force_login(user)
        assert client.get(reverse("procedures:entry_detail", args=[number])).status_code == 404


@pytest.mark.parametrize(
    ("viewer", "status"),
    [("alice", 200), ("bob", 200), ("diana", 200), ("charlie", 404), ("dave", 404)],
)
def test_the_deleted_entrys_events_show_only_to_who_sees_alices_progress(
    client, alice, bob, charlie, dave, diana, returned, viewer, status
):
    name = returned.procedure.name
    delete_as(client, alice, returned)
    users = {"alice": alice, "bob": bob, "charlie": charlie, "dave": dave, "diana": diana}
    client.force_login(users[viewer])
    if viewer == "alice":
        url = reverse("curriculum:my_progress")
    else:
        url = reverse(
            "curriculum:trainee_progress", args=[Enrollment.objects.get(trainee=alice).pk]
        )
    response = client.get(url)
    assert response.status_code == status
    html = response.content.decode()
    if status == 200:
        assert f"{name} (" in html and ", deleted): deleted by Alice Adams" in html
        assert "returned to trainee by Bob Baker" in html
        assert f'href="/entries/{returned.pk}/"' not in html  # no link to what is gone
    else:
        assert name not in html and "deleted by" not in html


def test_charlies_own_progress_never_shows_alices_deleted_entry(client, alice, charlie, returned):
    delete_as(client, alice, returned)
    client.force_login(charlie)
    html = client.get(reverse("curriculum:my_progress")).content.decode()
    assert ", deleted)" not in html and "deleted by" not in html
    assert "Alice" not in html and "Bob" not in html


def test_only_the_trainee_deletes_and_a_refused_delete_records_nothing(
    client, alice, bob, diana, returned
):
    before = EntryEvent.objects.count()
    for user in (bob, diana):
        assert delete_as(client, user, returned).status_code in (403, 404)
    assert Entry.objects.filter(pk=returned.pk).exists()
    assert EntryEvent.objects.count() == before


def test_a_stale_delete_of_an_entry_submitted_meanwhile_deletes_nothing(alice, bob, returned):
    stale = Entry.objects.get(pk=returned.pk)  # read while Returned
    services.entry_submit(entry=Entry.objects.get(pk=returned.pk), by=alice)
    before = EntryEvent.objects.count()
    with pytest.raises(services.EntryChanged):
        services.entry_delete(entry=stale, by=alice)
    assert Entry.objects.get(pk=returned.pk).status == Entry.Status.SUBMITTED
    assert EntryEvent.objects.count() == before


def test_the_delete_page_says_so_when_the_entry_moved_on(client, alice, bob, returned, monkeypatch):
    real = services.entry_delete

    def submitted_meanwhile(*, entry, by):
        services.entry_submit(entry=Entry.objects.get(pk=entry.pk), by=alice)
        return real(entry=entry, by=by)

    monkeypatch.setattr("procedures.views.entries.delete_entry", submitted_meanwhile)
    response = delete_as(client, alice, returned)
    assert response.status_code == 302
    assert Entry.objects.get(pk=returned.pk).status == Entry.Status.SUBMITTED
    assert not EntryEvent.objects.filter(action=EntryEvent.Action.DELETED).exists()


def test_the_admin_deletes_through_the_service(client, admin, alice, bob, returned):
    number = returned.pk
    client.force_login(admin)
    url = reverse("admin:procedures_entry_delete", args=[number])
    assert client.post(url, {"post": "yes"}).status_code == 302
    assert not Entry.objects.filter(pk=number).exists()
    deleted = EntryEvent.objects.get(entry_number=number, action=EntryEvent.Action.DELETED)
    assert deleted.actor == admin
    assert EntryEvent.objects.get(entry_number=number, action="returned").comment == COMMENT


def bulk_delete(client, *entries):
    return client.post(
        reverse("admin:procedures_entry_changelist"),
        {"action": "delete_selected", "_selected_action": [e.pk for e in entries], "post": "yes"},
    )


def test_the_admins_delete_selected_refuses_a_submitted_entry_and_deletes_nothing(
    client, admin, alice, bob, returned
):
    waiting = submitted_entry(alice, bob)
    before = EntryEvent.objects.count()
    client.force_login(admin)
    assert bulk_delete(client, returned, waiting).status_code == 403
    assert Entry.objects.filter(pk__in=[returned.pk, waiting.pk]).count() == 2
    assert EntryEvent.objects.count() == before


def test_the_admins_delete_selected_goes_through_the_service(client, admin, alice, bob, returned):
    draft = Entry.objects.create(
        trainee=alice,
        procedure=returned.procedure,
        performed_on=returned.performed_on,
        guidance=returned.guidance,
        side=returned.side,
        levels=returned.levels,
        purpose=returned.purpose,
        role=returned.role,
    )
    client.force_login(admin)
    assert bulk_delete(client, returned, draft).status_code == 302
    assert not Entry.objects.filter(pk__in=[returned.pk, draft.pk]).exists()
    deleted = EntryEvent.objects.filter(action=EntryEvent.Action.DELETED)
    assert sorted(deleted.values_list("entry_number", flat=True)) == sorted([returned.pk, draft.pk])
    assert {e.actor for e in deleted} == {admin}
    assert EntryEvent.objects.get(entry_number=returned.pk, action="returned").comment == COMMENT


def test_a_race_in_delete_selected_keeps_what_moved_on_and_says_so(
    client, admin, alice, bob, returned, monkeypatch
):
    real = services.entry_delete

    def submitted_meanwhile(*, entry, by):
        services.entry_submit(entry=Entry.objects.get(pk=entry.pk), by=alice)
        return real(entry=entry, by=by)

    monkeypatch.setattr("procedures.admin.entry_delete", submitted_meanwhile)
    client.force_login(admin)
    response = bulk_delete(client, returned)
    assert response.status_code == 302
    assert Entry.objects.get(pk=returned.pk).status == Entry.Status.SUBMITTED
    messages = [str(m) for m in response.wsgi_request._messages]
    assert f"Not deleted (submitted or signed off): #{returned.pk}." in messages
