"""Shared builders for diagnostic blocks, series and ablations (issue 11)."""

from datetime import timedelta

from django.utils import timezone

from procedures import services
from procedures.models import BlockResponse, Entry, Injectate, ProcedureType
from tests.factories import EntryFactory

# Relief at or above 80% for 1 h (lidocaine-like), and for 8 h (bupivacaine-like), from 8.
SHORT = [[30, 1], [60, 1], [120, 6], [240, 8]]
LONG = [[30, 1], [60, 1], [120, 1], [240, 1], [360, 1], [480, 1], [1440, 7]]
NONE = [[30, 7], [60, 8]]


def block(trainee, supervisor, *, days_ago=0, side="right", levels="L4, L5", **fields) -> Entry:
    """A submitted lumbar medial branch block, logged as diagnostic."""
    fields.setdefault("status", Entry.Status.SUBMITTED)
    if fields["status"] != Entry.Status.DRAFT:
        fields.setdefault("submitted_at", timezone.now())
    return EntryFactory(
        trainee=trainee,
        supervisor=supervisor,
        procedure=ProcedureType.objects.get(slug=fields.pop("procedure", "lumbar-mbb")),
        performed_on=timezone.localdate() - timedelta(days=days_ago),
        side=side,
        levels=levels,
        purpose=Entry.Purpose.DIAGNOSTIC,
        **fields,
    )


def respond(entry, diary, *, agent="lidocaine", before=8, follows=None, **fields):
    """Record `entry`'s block response directly (the views have their own tests)."""
    return BlockResponse.objects.create(
        entry=entry,
        before=before,
        diary=diary,
        agent=Injectate.objects.get(slug=agent) if agent else None,
        follows=follows,
        **fields,
    )


def series(trainee, supervisor, first_diary=SHORT, second_diary=LONG, **kwargs):
    """Two blocks as a series (lidocaine then bupivacaine): (first, second)."""
    first = block(trainee, supervisor, days_ago=14, **kwargs)
    second = block(trainee, supervisor, days_ago=7, **kwargs)
    respond(first, first_diary, agent="lidocaine")
    respond(second, second_diary, agent="bupivacaine", follows=first)
    return first, second


def ablation(trainee, supervisor, rests_on=None, **fields) -> Entry:
    fields.setdefault("status", Entry.Status.SUBMITTED)
    if fields["status"] != Entry.Status.DRAFT:
        fields.setdefault("submitted_at", timezone.now())
    return EntryFactory(
        trainee=trainee,
        supervisor=supervisor,
        procedure=ProcedureType.objects.get(slug="lumbar-rfa"),
        levels="L4–L5",
        rests_on=rests_on,
        **fields,
    )


def sign(entry, supervisor, autonomy=4):
    services.entry_sign_off(entry_id=entry.pk, supervisor=supervisor, autonomy=autonomy)
    entry.refresh_from_db()
    return entry
