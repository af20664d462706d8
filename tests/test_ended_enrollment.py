"""What a supervisor of an ended enrollment may still do (decided in programs.access):
read the entries they signed off, nothing else. No progress page, CSV or DOPS for the
trainee, no queue, no sign-off or return, and nothing the trainee logs afterwards. The same
holds for a supervisor taken off an active enrollment. A director keeps the program's view
but records no DOPS on an ended enrollment."""

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from curriculum.models import ObservedAssessment
from procedures import services
from procedures.models import Entry
from programs.models import Enrollment
from tests.factories import EntryFactory, password_just_typed
from tests.procedures.test_signoff import correction_data


def enrollment_of(user) -> Enrollment:
    return Enrollment.objects.get(trainee=user)


@pytest.fixture
def history(alice, bob):
    """Alice's record under Bob: one signed off, one returned, one waiting; then it ends."""
    signed = EntryFactory(trainee=alice, supervisor=bob, status=Entry.Status.SUBMITTED)
    services.entry_sign_off(entry_id=signed.pk, supervisor=bob, autonomy=4)
    returned = EntryFactory(trainee=alice, supervisor=bob, status=Entry.Status.SUBMITTED)
    services.entry_return(entry_id=returned.pk, supervisor=bob, comment="Levels?")
    waiting = EntryFactory(trainee=alice, supervisor=bob, status=Entry.Status.SUBMITTED)
    Enrollment.objects.filter(trainee=alice).update(active=False)
    later = EntryFactory(
        trainee=alice, supervisor=bob, status=Entry.Status.SUBMITTED, performed_on=date.today()
    )
    return {"signed": signed, "returned": returned, "waiting": waiting, "later": later}


def test_the_former_supervisor_reads_what_they_signed_and_nothing_else(client, bob, history):
    assert set(Entry.objects.visible_to(bob)) == {history["signed"]}
    client.force_login(bob)
    signed = client.get(reverse("procedures:entry_detail", args=[history["signed"].pk]))
    assert signed.status_code == 200 and not signed.context["can_decide"]
    for name in ("returned", "waiting", "later"):
        url = reverse("procedures:entry_detail", args=[history[name].pk])
        assert client.get(url).status_code == 404, name


def test_the_former_supervisor_has_no_queue_progress_csv_or_dops(client, alice, bob, history):
    enrollment = enrollment_of(alice)
    client.force_login(bob)
    queue = client.get(reverse("procedures:signoff_queue"))
    assert queue.status_code == 200
    assert list(queue.context["entries"]) == []
    assert not Entry.objects.awaiting(bob).exists()
    for url in (
        reverse("curriculum:trainee_progress", args=[enrollment.pk]),
        reverse("curriculum:trainee_logbook_csv", args=[enrollment.pk]),
        reverse("curriculum:trainee_portfolio", args=[enrollment.pk]),
        reverse("curriculum:assessment_create", args=[enrollment.pk]),
    ):
        assert client.get(url).status_code == 404, url
    response = client.post(
        reverse("curriculum:assessment_create", args=[enrollment.pk]),
        {"procedure": history["signed"].procedure_id, "observed_on": date.today(), "rating": 4},
    )
    assert response.status_code == 404
    assert not ObservedAssessment.objects.exists()


def test_the_former_supervisor_cannot_decide_by_service_or_by_post(client, bob, history):
    waiting = history["waiting"]
    with pytest.raises(PermissionDenied):
        services.entry_sign_off(entry_id=waiting.pk, supervisor=bob, autonomy=4)
    with pytest.raises(PermissionDenied):
        services.entry_return(entry_id=waiting.pk, supervisor=bob, comment="No.")
    client.force_login(bob)
    password_just_typed(client)
    client.post(reverse("procedures:entry_sign_off", args=[waiting.pk]), {"autonomy": 4})
    client.post(reverse("procedures:entry_return", args=[waiting.pk]), {"comment": "No."})
    waiting.refresh_from_db()
    assert waiting.status == Entry.Status.SUBMITTED and waiting.autonomy is None


def test_a_supervisor_taken_off_an_active_enrollment_is_treated_the_same(alice, bob, dave):
    entry = EntryFactory(trainee=alice, supervisor=bob, status=Entry.Status.SUBMITTED)
    services.entry_sign_off(entry_id=entry.pk, supervisor=bob, autonomy=4)
    other = EntryFactory(trainee=alice, supervisor=bob, status=Entry.Status.SUBMITTED)
    enrollment = enrollment_of(alice)
    enrollment.supervisors.set([dave])
    assert set(Entry.objects.visible_to(bob)) == {entry}
    assert set(Entry.objects.visible_to(dave)) == {entry, other}


def test_the_director_keeps_the_view_but_records_no_dops_on_an_ended_enrollment(
    client, alice, bob, diana, history
):
    enrollment = enrollment_of(alice)
    enrollment.supervisors.add(diana)  # directs and supervised
    client.force_login(diana)
    progress = client.get(reverse("curriculum:trainee_progress", args=[enrollment.pk]))
    assert progress.status_code == 200 and not progress.context["can_assess"]
    assert (
        client.get(reverse("curriculum:assessment_create", args=[enrollment.pk])).status_code == 403
    )
    assert set(Entry.objects.visible_to(diana)) == set(history.values())


def test_an_active_supervisor_still_sees_the_whole_record(alice, bob, history):
    Enrollment.objects.filter(trainee=alice).update(active=True)
    assert set(Entry.objects.visible_to(bob)) == set(history.values())


def test_an_entry_they_signed_and_that_came_back_cannot_be_decided_after_the_end(
    client, alice, bob
):
    """Signed by Bob, corrected by Alice (back to Bob, Submitted), then the enrollment
    ends: Bob still reads it (he signed it), but neither the page nor a forged POST lets
    him decide on it."""
    entry = EntryFactory(trainee=alice, supervisor=bob, status=Entry.Status.SUBMITTED)
    services.entry_sign_off(entry_id=entry.pk, supervisor=bob, autonomy=4)
    entry.refresh_from_db()
    client.force_login(alice)
    response = client.post(
        reverse("procedures:entry_edit", args=[entry.pk]), correction_data(entry)
    )
    assert response.status_code == 302
    entry.refresh_from_db()
    assert (entry.status, entry.supervisor_id) == (Entry.Status.SUBMITTED, bob.pk)
    Enrollment.objects.filter(trainee=alice).update(active=False)

    client.force_login(bob)
    password_just_typed(client)
    page = client.get(reverse("procedures:entry_detail", args=[entry.pk]))
    assert page.status_code == 200 and not page.context["can_decide"]
    signing = client.post(reverse("procedures:entry_sign_off", args=[entry.pk]), {"autonomy": 5})
    returning = client.post(reverse("procedures:entry_return", args=[entry.pk]), {"comment": "No"})
    assert (signing.status_code, returning.status_code) == (403, 403)
    entry.refresh_from_db()
    assert entry.status == Entry.Status.SUBMITTED and entry.autonomy is None
