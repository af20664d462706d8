"""The stored monthly counts behind the Progress chart are kept by the database: whatever
path writes an entry (services, a queryset, raw SQL, a delete), they equal a fresh count of
the entries that are not drafts, by trainee, month and guidance."""

from collections import Counter
from datetime import date

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
