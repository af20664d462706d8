"""Signatures are verifiable: every signature shown is checked against its entry's content,
a nightly sweep checks them all, and a mismatch reaches the program's director on Cohort.

The tampering goes round everything the app has: raw SQL with the record's guard trigger
switched off for the one statement (dropped and recreated on SQLite, disabled and enabled
on PostgreSQL), inside the test's transaction.

alice is a trainee supervised by bob; charlie is another trainee, supervised by dave;
diana directs the program.
"""

import csv
import importlib
import io
import logging
from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from procedures.models import Entry, Injectate, SignatureCheck, SignatureSweep
from procedures.services import CONTENT_FIELDS, entry_sign_off
from procedures.signatures import signature_alerts, sweep_signatures, verify_signature
from programs.models import Enrollment, Program
from tests.factories import EntryFactory, UserFactory

record_triggers = importlib.import_module("procedures.migrations.0005_record_triggers")
TRIGGERS = {trigger.name: trigger for trigger in record_triggers.TRIGGERS}
ENTRY_FROZEN = "procedures_entry_signed_revision_frozen"
INJECTATES_FROZEN = "procedures_entry_injectates_frozen_insert"

MISMATCH = "Signature does not match this entry's content"
VERIFIED = "Signature verified"


@contextmanager
def guard_off(name: str):
    """Switch off one of the record's guard triggers, as someone with the database's keys
    would, and put it back afterwards."""
    trigger = TRIGGERS[name]
    vendor = connection.vendor
    with connection.cursor() as cursor:
        if vendor == "postgresql":
            # ALTER TABLE refuses while deferred foreign-key checks are pending.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"ALTER TABLE {trigger.table} DISABLE TRIGGER {trigger.name}")
        else:
            for sql in trigger.drop(vendor):
                cursor.execute(sql)
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            if vendor == "postgresql":
                cursor.execute(f"ALTER TABLE {trigger.table} ENABLE TRIGGER {trigger.name}")
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            else:
                for sql in trigger.sqlite():
                    cursor.execute(sql)


def tamper(entry: Entry, **columns) -> None:
    """Change a signed-off entry's row in raw SQL, past the guard."""
    assignments = ", ".join(f"{column} = %s" for column in columns)
    with guard_off(ENTRY_FROZEN), connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE procedures_entry SET {assignments} WHERE id = %s",
            [*columns.values(), entry.pk],
        )


def tamper_injectates(entry: Entry, injectate: Injectate) -> None:
    with guard_off(INJECTATES_FROZEN), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO procedures_entry_injectates (entry_id, injectate_id) VALUES (%s, %s)",
            [entry.pk, injectate.pk],
        )


def signed(trainee, supervisor, *, injectates=("lidocaine",), **fields) -> Entry:
    """An entry signed off through the real service."""
    entry = EntryFactory(
        trainee=trainee,
        supervisor=supervisor,
        status=Entry.Status.SUBMITTED,
        submitted_at=timezone.now(),
        **fields,
    )
    entry.injectates.set(Injectate.objects.filter(slug__in=injectates))
    entry_sign_off(entry_id=entry.pk, supervisor=supervisor, autonomy=4)
    return Entry.objects.get(pk=entry.pk)


def entry_url(entry) -> str:
    return reverse("procedures:entry_detail", args=[entry.pk])


def portfolio_url(trainee) -> str:
    enrollment = Enrollment.objects.get(trainee=trainee)
    return reverse("curriculum:trainee_portfolio", args=[enrollment.pk])


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


# --- The check -----------------------------------------------------------------------------------


def test_a_signature_made_by_the_service_verifies(alice, bob):
    entry = signed(alice, bob)
    verification = verify_signature(entry)
    assert verification.verified and not verification.failed
    assert verification.signature == entry.signatures.get()


def test_an_entry_not_signed_off_has_nothing_to_verify(alice, bob):
    entry = EntryFactory(trainee=alice, supervisor=bob)
    verification = verify_signature(entry)
    assert not verification.applies
    assert not verification.verified and not verification.failed


@pytest.mark.parametrize("name", CONTENT_FIELDS)
def test_a_change_of_any_content_field_fails_the_check(alice, bob, charlie, name):
    entry = signed(alice, bob)
    changed = {
        "performed_on": entry.performed_on - timedelta(days=1),
        "procedure_id": entry.procedure_id + 1,
        "guidance": "ct",
        "side": "left",
        "levels": "L5–S1",
        "purpose": Entry.Purpose.DIAGNOSTIC,
        "role": Entry.Role.OBSERVED,
        "supervisor_id": charlie.pk,
        "fluoro_time_s": Decimal("99.9"),
        "dap": Decimal("1.00"),
        "dlp": Decimal("100.0"),
        "complication": Entry.Complication.VASOVAGAL,
        "pain_relief_pct": 80,
        "age_band": "80+",
        "sex": "male",
        "notes": "Written in later.",
    }
    assert set(changed) == set(CONTENT_FIELDS)  # a new content field needs a case here
    setattr(entry, name, changed[name])
    assert verify_signature(entry).failed


def test_a_change_of_injectates_fails_the_check(alice, bob):
    entry = signed(alice, bob)
    assert verify_signature(entry, injectate_ids=[]).failed
    bupivacaine = Injectate.objects.get(slug="bupivacaine")
    tamper_injectates(entry, bupivacaine)
    assert verify_signature(Entry.objects.get(pk=entry.pk)).failed


def test_signed_off_without_a_signature_fails_the_check(alice, bob):
    entry = signed(alice, bob)
    tamper(entry, revision=entry.revision + 1)  # the signature now names an old revision
    verification = verify_signature(Entry.objects.get(pk=entry.pk))
    assert verification.failed and verification.signature is None


def test_the_check_reads_prefetched_injectates_and_signatures_without_a_query(alice, bob):
    signed(alice, bob)
    entry = Entry.objects.prefetch_related("injectates", "signatures").get()
    with CaptureQueriesContext(connection) as ctx:
        assert verify_signature(entry).verified
    assert ctx.captured_queries == []


# --- Pages ---------------------------------------------------------------------------------------


def test_the_entry_page_and_portfolio_say_a_good_signature_is_verified(client, alice, bob):
    entry = signed(alice, bob)
    for user in (alice, bob):
        client.force_login(user)
        for url in (entry_url(entry), portfolio_url(alice)):
            body = client.get(url).content.decode()
            assert VERIFIED in body
            assert MISMATCH not in body
    assert not SignatureCheck.objects.exists()


def test_a_row_changed_after_signing_is_flagged_on_every_page(client, alice, bob, diana, caplog):
    entry = signed(alice, bob, notes="Uneventful.")
    good = signed(alice, bob)
    tamper(entry, notes="Two levels, not one.", dap=Decimal("12.00"))

    client.force_login(alice)
    with caplog.at_level(logging.ERROR, logger="precept.security"):
        body = client.get(entry_url(entry)).content.decode()
    assert MISMATCH in body and "Tell your program director" in body
    assert VERIFIED not in body
    assert f"signature mismatch entry={entry.pk}" in caplog.text
    check = SignatureCheck.objects.get()
    assert (check.entry_id, check.revision, check.resolved) == (entry.pk, 1, False)

    body = client.get(portfolio_url(alice)).content.decode()
    assert "1 signature does not match its entry's content" in body  # the summary
    assert body.count(MISMATCH) == 1  # the entry's row
    assert body.count(VERIFIED) == 1  # the untouched entry
    assert SignatureCheck.objects.count() == 1  # found again, still one finding

    client.force_login(diana)
    body = client.get(reverse("curriculum:cohort")).content.decode()
    assert "1 signed-off entry was changed after signing" in body
    assert entry_url(entry) in body
    assert entry_url(good) not in body
    assert "Not yet checked in full" in body

    sweep = sweep_signatures()
    assert (sweep.checked, sweep.failed) == (2, 1)
    body = client.get(reverse("curriculum:cohort")).content.decode()
    assert "Last checked" in body and "(2 signed-off entries)" in body
    assert entry_url(entry) in body


def test_the_sweep_alone_brings_a_change_to_cohort(client, alice, bob, diana):
    entry = signed(alice, bob)
    tamper_injectates(entry, Injectate.objects.get(slug="bupivacaine"))
    client.force_login(diana)
    assert entry_url(entry) not in client.get(reverse("curriculum:cohort")).content.decode()
    out = io.StringIO()
    with pytest.raises(CommandError, match="1 open finding"):
        call_command("verify_signatures", stdout=out)
    assert f"entry {entry.pk} revision 1" in out.getvalue()
    body = client.get(reverse("curriculum:cohort")).content.decode()
    assert entry_url(entry) in body and "Last checked" in body


def test_the_sweep_resolves_a_finding_whose_content_is_put_back(alice, bob):
    entry = signed(alice, bob, notes="As signed.")
    tamper(entry, notes="Changed.")
    assert sweep_signatures().failed == 1
    tamper(entry, notes="As signed.")
    sweep = sweep_signatures()
    assert sweep.failed == 0
    check = SignatureCheck.objects.get()
    assert check.resolved and check.resolved_at is not None


def test_the_sweep_reads_in_batches_and_checks_every_entry(alice, bob):
    entries = [signed(alice, bob) for _ in range(5)]
    EntryFactory(trainee=alice, supervisor=bob)  # a draft: nothing to check
    tamper(entries[3], notes="Changed.")
    sweep = sweep_signatures(batch_size=2)
    assert (sweep.checked, sweep.failed) == (5, 1)
    assert list(SignatureCheck.objects.values_list("entry_id", flat=True)) == [entries[3].pk]
    assert SignatureSweep.objects.latest() == sweep


def test_the_sweeps_queries_grow_with_batches_not_entries(alice, bob):
    signed(alice, bob)
    with CaptureQueriesContext(connection) as small:
        sweep_signatures(batch_size=100)
    for _ in range(9):
        signed(alice, bob)
    with CaptureQueriesContext(connection) as large:
        sweep_signatures(batch_size=100)
    assert len(small.captured_queries) == len(large.captured_queries)


def test_the_command_reports_no_failure_when_every_signature_matches(alice, bob):
    signed(alice, bob)
    out = io.StringIO()
    call_command("verify_signatures", stdout=out)
    assert "Checked 1 signed-off entries: 0 failed." in out.getvalue()
    assert SignatureSweep.objects.get().checked == 1


def test_the_command_refuses_a_batch_size_below_one(db):
    with pytest.raises(CommandError, match="--batch-size must be at least 1"):
        call_command("verify_signatures", "--batch-size", "0", stdout=io.StringIO())


# --- Who sees a finding ------------------------------------------------------------------------


def test_cohort_shows_only_the_directors_own_programs_findings(client, alice, bob, diana):
    other = Program.objects.create(slug="other", name="Other program")
    stranger_director = UserFactory(username="stranger")
    other.directors.add(stranger_director)
    outsider = UserFactory(username="outsider")
    outsider_supervisor = UserFactory(username="outsider_supervisor")
    enrollment = Enrollment.objects.create(
        trainee=outsider, program=other, start_date=timezone.localdate()
    )
    enrollment.supervisors.add(outsider_supervisor)
    ours = signed(alice, bob)
    theirs = signed(outsider, outsider_supervisor)
    tamper(ours, notes="Changed.")
    tamper(theirs, notes="Changed.")
    sweep_signatures()

    client.force_login(diana)
    body = client.get(reverse("curriculum:cohort")).content.decode()
    assert entry_url(ours) in body and entry_url(theirs) not in body
    # Asking for the other program by its id is refused like any program not hers.
    response = client.get(reverse("curriculum:cohort"), {"program": other.pk})
    assert response.status_code == 404

    client.force_login(stranger_director)
    body = client.get(reverse("curriculum:cohort")).content.decode()
    assert entry_url(theirs) in body and entry_url(ours) not in body


def test_cohort_shows_findings_whichever_supervisor_is_chosen(
    client, alice, bob, charlie, dave, diana
):
    entry = signed(alice, bob)
    tamper(entry, notes="Changed.")
    sweep_signatures()
    client.force_login(diana)
    response = client.get(reverse("curriculum:cohort"), {"supervisor": dave.pk})
    assert entry_url(entry) in response.content.decode()


def test_a_trainee_never_sees_a_finding_on_someone_elses_entry(client, alice, bob, charlie):
    entry = signed(alice, bob)
    tamper(entry, notes="Changed.")
    client.force_login(charlie)
    assert client.get(entry_url(entry)).status_code == 404
    assert client.get(reverse("curriculum:cohort")).status_code == 404
    assert not SignatureCheck.objects.exists()  # nothing checked for a page not shown


# --- Queries stay bounded --------------------------------------------------------------------


def test_portfolio_queries_do_not_grow_with_signatures_or_failures(client, alice, bob):
    client.force_login(alice)
    url = portfolio_url(alice)
    count_queries(client, url)  # the curriculum, read once per process
    first = signed(alice, bob)
    tamper(first, notes="Changed.")
    one = count_queries(client, url)
    for _ in range(5):
        tamper(signed(alice, bob), notes="Changed.")
        signed(alice, bob)
    many = count_queries(client, url)
    assert SignatureCheck.objects.count() == 6
    assert one == many


def test_entry_page_checks_without_a_query_when_the_signature_matches(client, alice, bob):
    entry = signed(alice, bob)
    submitted = EntryFactory(
        trainee=alice, supervisor=bob, status=Entry.Status.SUBMITTED, submitted_at=timezone.now()
    )
    submitted.injectates.set(Injectate.objects.filter(slug="lidocaine"))
    client.force_login(alice)
    assert count_queries(client, entry_url(entry)) == count_queries(client, entry_url(submitted))


def test_cohort_queries_do_not_grow_with_findings(client, alice, bob, diana):
    client.force_login(diana)
    url = reverse("curriculum:cohort")
    count_queries(client, url)  # the curriculum, read once per process
    tamper(signed(alice, bob), notes="Changed.")
    sweep_signatures()
    one = count_queries(client, url)
    for _ in range(5):
        tamper(signed(alice, bob), notes="Changed.")
    sweep_signatures()
    many = count_queries(client, url)
    assert one == many


def test_signature_alerts_count_past_the_list_limit(alice, bob):
    for _ in range(3):
        tamper(signed(alice, bob), notes="Changed.")
    sweep_signatures()
    alerts = signature_alerts(Enrollment.objects.values("trainee_id"), limit=2)
    assert (len(alerts.failures), alerts.total) == (2, 3)


def test_staff_mark_a_finding_resolved_and_only_a_further_change_reopens(client, admin, alice, bob):
    entry = signed(alice, bob)
    tamper(entry, notes="Changed.")
    sweep_signatures()
    check = SignatureCheck.objects.get()
    url = reverse("admin:procedures_signaturecheck_change", args=[check.pk])
    client.force_login(admin)
    assert client.post(url, {"resolved": "on"}).status_code == 302
    check.refresh_from_db()
    assert check.resolved and check.resolved_at is not None
    page = client.get(url).content.decode()
    assert 'name="resolved"' not in page  # resolved is final
    client.post(url, {})
    check.refresh_from_db()
    assert check.resolved
    # The same content found again is the finding already resolved; the pages still warn,
    # but the nightly command no longer raises the alarm.
    out = io.StringIO()
    call_command("verify_signatures", stdout=out)
    assert "1 failed" in out.getvalue()
    assert not SignatureCheck.objects.filter(resolved=False).exists()
    client.force_login(alice)
    assert MISMATCH in client.get(entry_url(entry)).content.decode()
    assert not SignatureCheck.objects.filter(resolved=False).exists()
    # A further change is a new finding.
    tamper(entry, notes="Changed again.")
    sweep_signatures()
    assert SignatureCheck.objects.filter(resolved=False).count() == 1


def test_the_csv_says_whether_each_signature_verifies(client, alice, bob):
    today = timezone.localdate()
    changed = signed(alice, bob, performed_on=today - timedelta(days=2))
    signed(alice, bob, performed_on=today - timedelta(days=1))
    EntryFactory(trainee=alice, performed_on=today)  # a draft: nothing to verify
    tamper(changed, notes="Changed.")
    client.force_login(alice)
    response = client.get(reverse("curriculum:my_logbook_csv"))
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [row["Signature verified"] for row in rows] == [
        "NO: the record was changed after signing",
        "yes",
        "",
    ]
    assert SignatureCheck.objects.get().entry_id == changed.pk


# --- Earlier revisions: checked against the version saved when they were signed ---------------


def corrected_and_signed_again(client, alice, bob) -> Entry:
    from tests.procedures.test_signoff import correction_data

    entry = signed(alice, bob, notes="First revision.")
    lidocaine = Injectate.objects.get(slug="lidocaine")
    client.force_login(alice)
    response = client.post(
        reverse("procedures:entry_edit", args=[entry.pk]),
        correction_data(entry, notes="Second revision.", injectates=[lidocaine.pk]),
    )
    assert response.status_code == 302
    entry_sign_off(entry_id=entry.pk, supervisor=bob, autonomy=5)
    return Entry.objects.get(pk=entry.pk)


def test_an_earlier_revisions_signature_verifies_against_its_signed_version(client, alice, bob):
    entry = corrected_and_signed_again(client, alice, bob)
    assert entry.revision == 2
    body = client.get(entry_url(entry)).content.decode()
    assert body.count(VERIFIED) == 2
    assert "against the version signed" in body
    assert MISMATCH not in body
    assert not SignatureCheck.objects.exists()


def test_a_changed_saved_version_fails_its_earlier_signature(client, alice, bob):
    entry = corrected_and_signed_again(client, alice, bob)
    # The history table has no guard: an UPDATE is all it takes.
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE procedures_historicalentry SET notes = %s WHERE id = %s AND revision = 1",
            ["Rewritten history.", entry.pk],
        )
    body = client.get(entry_url(entry)).content.decode()
    assert MISMATCH in body
    assert body.count(VERIFIED) == 1  # revision 2, the live row, is as signed
    check = SignatureCheck.objects.get()
    assert (check.entry_id, check.revision, check.resolved) == (entry.pk, 1, False)
