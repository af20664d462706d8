"""The stored monthly counts behind the Progress chart are kept by the database: whatever
path writes an entry (services, a queryset, raw SQL, a delete), they equal a fresh count of
the entries that are not drafts, by trainee, month and guidance."""

import io
import json
from collections import Counter
from datetime import date

import pytest
from django.core.management import call_command
from django.db import connection

from procedures import services
from procedures.models import Entry, MonthlyCount
from tests.factories import EntryFactory


def stored(trainee) -> dict:
    return {
        (m, g): n
        for m, g, n in MonthlyCount.objects.filter(trainee=trainee).values_list(
            "month", "guidance", "n"
        )
        if n
    }


def counted(trainee) -> dict:
    return dict(
        Counter(
            (f"{e.performed_on:%Y-%m}", e.guidance)
            for e in Entry.objects.filter(trainee=trainee).exclude(status=Entry.Status.DRAFT)
        )
    )


def test_a_draft_does_not_count_and_submitting_it_does(alice, bob):
    entry = EntryFactory(trainee=alice, supervisor=bob, performed_on=date(2026, 3, 14))
    assert stored(alice) == {}
    services.entry_submit(entry=entry, by=alice)
    assert stored(alice) == {("2026-03", "fluoroscopy"): 1} == counted(alice)


def test_sign_off_return_and_resubmission_keep_one_count(alice, bob):
    first = EntryFactory(trainee=alice, supervisor=bob, status=Entry.Status.SUBMITTED)
    second = EntryFactory(trainee=alice, supervisor=bob, status=Entry.Status.SUBMITTED)
    services.entry_sign_off(entry_id=first.pk, supervisor=bob, autonomy=4)
    services.entry_return(entry_id=second.pk, supervisor=bob, comment="Levels?")
    month = f"{first.performed_on:%Y-%m}"
    assert stored(alice) == {(month, "fluoroscopy"): 2} == counted(alice)
    second.refresh_from_db()
    services.entry_submit(entry=second, by=alice)
    assert stored(alice) == {(month, "fluoroscopy"): 2} == counted(alice)


def test_changes_by_queryset_and_raw_sql_move_the_count(alice, bob, charlie, dave):
    entry = EntryFactory(
        trainee=alice, supervisor=bob, status=Entry.Status.SUBMITTED, performed_on=date(2026, 1, 31)
    )
    EntryFactory(trainee=charlie, supervisor=dave, status=Entry.Status.SUBMITTED)
    Entry.objects.filter(pk=entry.pk).update(performed_on=date(2026, 2, 1))
    assert stored(alice) == {("2026-02", "fluoroscopy"): 1} == counted(alice)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE procedures_entry SET guidance = 'ultrasound', fluoro_time_s = NULL, "
            "dap = NULL WHERE id = %s",
            [entry.pk],
        )
    assert stored(alice) == {("2026-02", "ultrasound"): 1} == counted(alice)
    Entry.objects.filter(pk=entry.pk).update(status=Entry.Status.DRAFT)
    assert stored(alice) == {} == counted(alice)
    assert stored(charlie) == counted(charlie) != {}  # another trainee's count is untouched


def test_deleting_an_entry_takes_its_count_away(alice, bob):
    kept, gone = EntryFactory.create_batch(
        2, trainee=alice, supervisor=bob, status=Entry.Status.RETURNED
    )
    draft = EntryFactory(trainee=alice, supervisor=bob)
    gone.delete()
    draft.delete()  # never counted: nothing to take away
    assert stored(alice) == {(f"{kept.performed_on:%Y-%m}", "fluoroscopy"): 1} == counted(alice)


def test_bulk_inserts_count_too(alice, bob):
    Entry.objects.bulk_create(
        [
            EntryFactory.build(
                trainee=alice,
                supervisor=bob,
                status=Entry.Status.SUBMITTED,
                performed_on=date(2025, month, 1),
            )
            for month in (1, 1, 2, 12)
        ]
    )
    assert stored(alice) == counted(alice)
    assert stored(alice)["2025-01", "fluoroscopy"] == 2


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("counts_first", [False, True], ids=["counts after", "counts before"])
def test_a_loaddata_restore_takes_counts_from_the_entries_not_the_backup(
    alice, bob, charlie, dave, tmp_path, counts_first
):
    """The backup's counts come before or after its entries (the dump's order); either way
    the restored counts are those of the restored entries, never twice, never swapped."""
    for month in (1, 1, 2):
        EntryFactory(
            trainee=alice,
            supervisor=bob,
            status=Entry.Status.SUBMITTED,
            performed_on=date(2026, month, 10),
        )
    EntryFactory(trainee=charlie, supervisor=dave, status=Entry.Status.SUBMITTED)
    # A key whose entries are gone leaves a row at 0 in the backup.
    gone = EntryFactory(
        trainee=charlie,
        supervisor=dave,
        status=Entry.Status.SUBMITTED,
        performed_on=date(2025, 5, 5),
    )
    gone.delete()
    before = {t: stored(t) for t in (alice, charlie)}
    backup = io.StringIO()
    call_command(
        "dumpdata",
        "--natural-foreign",
        "--exclude=contenttypes",
        "--exclude=auth.permission",
        "--exclude=sessions",
        stdout=backup,
    )
    objects = json.loads(backup.getvalue())
    counts = [o for o in objects if o["model"] == "procedures.monthlycount"]
    assert counts, "the backup holds the counts"
    rest = [o for o in objects if o["model"] != "procedures.monthlycount"]
    path = tmp_path / "backup.json"
    # Counts first: right before the entries (after the users they name).
    at = next(i for i, o in enumerate(rest) if o["model"] == "procedures.entry")
    path.write_text(json.dumps(rest[:at] + counts + rest[at:] if counts_first else rest + counts))
    call_command("flush", "--no-input", verbosity=0)
    call_command("loaddata", str(path), verbosity=0)
    assert {t: stored(t) for t in (alice, charlie)} == before
    assert stored(alice) == counted(alice) and stored(charlie) == counted(charlie)
