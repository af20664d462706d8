"""One door to the record: a signed-off revision is never changed in place, whatever the
path (the model, a queryset, raw SQL, a stale form), and the database stays as it was."""

import pytest
from django.db import IntegrityError, connection, transaction
from django.urls import reverse

from procedures import services
from procedures.models import Entry, Injectate, Signature, SignedRevisionFrozen
from programs.dbtriggers import is_guard_error
from tests.factories import EntryFactory
from tests.procedures.test_signoff import correction_data, state, submitted_entry


@pytest.fixture
def signed_off(alice, bob):
    entry = submitted_entry(alice, bob)
    services.entry_sign_off(entry_id=entry.pk, supervisor=bob, autonomy=4)
    entry.refresh_from_db()
    return entry


def refused_by_the_database(write) -> None:
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        write()
    assert is_guard_error(caught.value), caught.value


def test_saving_a_changed_signed_off_instance_is_refused_before_the_database(signed_off):
    before = state(signed_off)
    signed_off.notes = "Changed after signing."
    with pytest.raises(SignedRevisionFrozen, match="never changed in place"):
        signed_off.save()
    assert state(signed_off) == before


def test_a_stale_instance_cannot_slip_past_the_model_guard(alice, bob):
    entry = submitted_entry(alice, bob)
    stale = Entry.objects.get(pk=entry.pk)  # read while still submitted
    services.entry_sign_off(entry_id=entry.pk, supervisor=bob, autonomy=4)
    before = state(entry)
    stale.levels = "L5–S1"
    refused_by_the_database(stale.save)
    assert state(entry) == before


def test_a_queryset_update_of_a_signed_off_entry_is_refused(signed_off):
    before = state(signed_off)
    refused_by_the_database(lambda: Entry.objects.filter(pk=signed_off.pk).update(levels="L1"))
    refused_by_the_database(
        lambda: Entry.objects.filter(pk=signed_off.pk).update(status=Entry.Status.DRAFT)
    )
    assert state(signed_off) == before


def test_raw_sql_cannot_change_a_signed_off_entry(signed_off):
    before = state(signed_off)

    def tamper():
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE procedures_entry SET notes = 'tampered', autonomy = 5 WHERE id = %s",
                [signed_off.pk],
            )

    refused_by_the_database(tamper)
    assert state(signed_off) == before


def test_a_correction_is_the_only_way_on_from_signed_off(signed_off):
    # Revision n + 1, back to Submitted: what entry_save does for a correction.
    Entry.objects.filter(pk=signed_off.pk).update(
        status=Entry.Status.SUBMITTED, revision=signed_off.revision + 1, autonomy=None
    )
    assert Entry.objects.get(pk=signed_off.pk).revision == 2
    # ... and the revision never goes back, nor does the entry change hands.
    refused_by_the_database(lambda: Entry.objects.filter(pk=signed_off.pk).update(revision=1))


def test_an_entry_never_changes_trainee(alice, bob, charlie):
    draft = EntryFactory(trainee=alice, supervisor=bob)
    refused_by_the_database(lambda: Entry.objects.filter(pk=draft.pk).update(trainee=charlie))


def test_injectates_of_a_signed_off_revision_cannot_be_added(signed_off):
    before = list(signed_off.injectates.values_list("pk", flat=True))
    lidocaine = Injectate.objects.get(slug="lidocaine")
    refused_by_the_database(lambda: signed_off.injectates.add(lidocaine))
    assert list(signed_off.injectates.values_list("pk", flat=True)) == before


def test_a_signature_is_never_edited(signed_off):
    signature = Signature.objects.get(entry=signed_off)
    refused_by_the_database(
        lambda: Signature.objects.filter(pk=signature.pk).update(autonomy=5, signer_name="Dr X")
    )
    refused_by_the_database(
        lambda: Signature.objects.filter(pk=signature.pk).update(content_hash="0" * 64)
    )
    signature_after = Signature.objects.get(pk=signature.pk)
    assert (signature_after.autonomy, signature_after.content_hash) == (
        signature.autonomy,
        signature.content_hash,
    )


def test_a_stale_edit_cannot_overwrite_an_entry_signed_off_meanwhile(
    client, alice, bob, monkeypatch
):
    """The race: the trainee's edit form was read and checked while the entry was
    Returned; between the view's checks and the save it was resubmitted (another tab) and
    signed off. The service re-reads under a lock and saves nothing."""
    returned = submitted_entry(alice, bob)
    services.entry_return(entry_id=returned.pk, supervisor=bob, comment="Which level?")
    client.force_login(alice)
    real_save = services.entry_save

    def decided_meanwhile(*, form, trainee, submit):
        # Between the view's checks and the save: resubmitted and signed off elsewhere.
        other = Entry.objects.get(pk=returned.pk)
        services.entry_submit(entry=other, by=alice)
        services.entry_sign_off(entry_id=returned.pk, supervisor=bob, autonomy=3)
        return real_save(form=form, trainee=trainee, submit=submit)

    monkeypatch.setattr("procedures.views.entries.entry_save", decided_meanwhile)
    data = correction_data(Entry.objects.get(pk=returned.pk), notes="Typed in the stale tab.")
    response = client.post(reverse("procedures:entry_edit", args=[returned.pk]), data)
    assert response.status_code == 200
    assert "Nothing was saved: this entry changed while you were editing it" in (
        response.content.decode()
    )
    assert "Typed in the stale tab." in response.content.decode()  # what was typed is kept
    stored = Entry.objects.get(pk=returned.pk)
    assert (stored.status, stored.revision, stored.notes) == (Entry.Status.SIGNED_OFF, 1, "")
    assert services.content_hash(stored) == Signature.objects.get(entry=stored).content_hash
