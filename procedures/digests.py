"""E-mail digests (issue 10 points 2 and 4): a supervisor's daily list of the entries
waiting for them, instead of an e-mail per submission; a trainee's weekly list of their
drafts and returned entries (opt-out).

Run from cron (README, Deploying) by `send_daily_digests` and `send_weekly_digests`.
Each digest is sent at most once per period: the user's `daily_digest_sent_on` /
`weekly_digest_sent_on` is set in the same transaction that queues the e-mail, with the
candidates' rows locked first (PostgreSQL; SQLite writes one transaction at a time), so
a second run, even a concurrent one, finds them sent. Nobody is e-mailed about nothing: a
supervisor with no entry waiting, or a trainee with no draft and no returned entry, is
skipped and nothing is recorded for them.

The reads are three queries whatever the number of users: the recipients, the counts,
and the listed entries (at most LIST_LIMIT per recipient and kind, by a window function).
Each e-mail is then one task queued (one INSERT with the database task backend).
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Window
from django.db.models.functions import RowNumber
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from accounts.validators import one_line
from programs.models import Enrollment

from .mail import send_email, usable_address
from .models import Entry

LIST_LIMIT = 20  # entries listed per digest (and per kind, for trainees); the rest counted


@dataclass
class Digest:
    """One e-mail to one user: what it lists and how many there are of each kind."""

    user: User
    entries: dict[str, list[Entry]] = field(default_factory=lambda: defaultdict(list))
    totals: dict[str, int] = field(default_factory=dict)
    skipped: str = ""  # why it cannot be sent ("" when it can)


def _url(name: str, *args) -> str:
    return settings.PRECEPT_BASE_URL + reverse(name, args=args)


def _on_roster(supervisor_ref, trainee_ref) -> Exists:
    """The trainee's active enrollment names the supervisor: the Sign-off queue's rule
    (Entry.objects.awaiting), for a correlated subquery."""
    return Exists(
        Enrollment.objects.filter(trainee=trainee_ref, supervisors=supervisor_ref, active=True)
    )


def _waiting() -> QuerySet:
    """Every entry waiting in some supervisor's Sign-off queue."""
    return Entry.objects.filter(status=Entry.Status.SUBMITTED).filter(
        _on_roster(OuterRef("supervisor"), OuterRef("trainee"))
    )


def _first(entries: QuerySet, partition: list[str], order: list) -> QuerySet:
    """The first LIST_LIMIT of `entries` per `partition`, by `order` (one query)."""
    return (
        entries.annotate(
            place=Window(RowNumber(), partition_by=[F(p) for p in partition], order_by=order)
        )
        .filter(place__lte=LIST_LIMIT)
        .select_related("procedure", "trainee", "supervisor")
        .order_by(*partition, "place")
    )


def _collect(users: list[User], entries: QuerySet, kind_of, counts) -> list[Digest]:
    digests = {user.pk: Digest(user) for user in users}
    for row in counts:
        digests[row["owner"]].totals[row["kind"]] = row["n"]
    for entry in entries:
        owner, kind = kind_of(entry)
        digests[owner].entries[kind].append(entry)
    for digest in digests.values():
        digest.skipped = _why_not(digest.user)
    return list(digests.values())


def _why_not(user: User) -> str:
    if not user.email:
        return "no e-mail address"
    if not usable_address(user.email):
        return "the address cannot be used"
    return ""


# --- Supervisors: daily ----------------------------------------------------------------------


def daily_digests(today: date, *, lock: bool = False) -> list[Digest]:
    """The supervisors who chose the daily digest, have not had today's, and have entries
    waiting for them; with those entries, oldest submission first. Three queries."""
    waiting = _waiting()
    users = User.objects.filter(
        Q(daily_digest_sent_on__isnull=True) | Q(daily_digest_sent_on__lt=today),
        Exists(waiting.filter(supervisor=OuterRef("pk"))),
        supervisor_mail=User.SupervisorMail.DAILY,
        is_active=True,
    ).order_by("pk")
    users = list(users.select_for_update() if lock else users)
    if not users:
        return []
    mine = waiting.filter(supervisor__in=users)
    counts = mine.order_by().values(owner=F("supervisor"), kind=F("status")).annotate(n=Count("id"))
    entries = _first(mine, ["supervisor"], [F("submitted_at").asc(), F("id").asc()])
    return _collect(users, entries, lambda e: (e.supervisor_id, e.status), counts)


def daily_mail(digest: Digest, today: date) -> tuple[str, str]:
    """(subject, body) of a supervisor's daily digest: plain text, absolute links."""
    user = digest.user
    entries = digest.entries[Entry.Status.SUBMITTED]
    total = digest.totals[Entry.Status.SUBMITTED]
    noun = "entry is" if total == 1 else "entries are"
    lines = [
        f"Dear {one_line(user.display_name)},",
        "",
        f"{total} logbook {noun} waiting for your sign-off, oldest first:",
        "",
    ]
    now = timezone.now()
    for entry in entries:
        days = (now - entry.submitted_at).days
        waited = "today" if days == 0 else f"{days} day{'s' if days != 1 else ''} ago"
        lines += [
            f"- {entry.procedure.name}, {entry.performed_on:%d %b %Y}: "
            f"{one_line(entry.trainee.display_name)}, submitted {waited}",
            f"  {_url('procedures:entry_detail', entry.pk)}",
        ]
    if total > len(entries):
        lines += ["", f"and {total - len(entries)} more in your queue."]
    lines += [
        "",
        f"Sign-off queue: {_url('procedures:signoff_queue')}",
        "",
        "You get this daily digest instead of an e-mail for each submission. "
        f"To change that: {_url('email_settings')}",
    ]
    subject = (
        f"Precept daily digest: {total} entr{'y' if total == 1 else 'ies'} waiting for your "
        f"sign-off ({today:%d %b})"
    )
    return subject, "\n".join(lines) + "\n"


# --- Trainees: weekly ------------------------------------------------------------------------

TRAINEE_KINDS = (Entry.Status.RETURNED, Entry.Status.DRAFT)


def week_start(today: date) -> date:
    """The Monday of `today`'s week: one weekly digest per Monday-to-Sunday week."""
    return today - timedelta(days=today.weekday())


def weekly_digests(today: date, *, lock: bool = False) -> list[Digest]:
    """The trainees (an active enrollment) who have not opted out, have not had this week's
    digest, and have drafts or returned entries; with them, the returned first, each kind oldest first.
    Three queries."""
    to_do = Entry.objects.filter(status__in=TRAINEE_KINDS)
    users = User.objects.filter(
        Q(weekly_digest_sent_on__isnull=True) | Q(weekly_digest_sent_on__lt=week_start(today)),
        Exists(to_do.filter(trainee=OuterRef("pk"))),
        # Trainees now: someone whose enrollment ended can no longer submit what is listed.
        Exists(Enrollment.objects.filter(trainee=OuterRef("pk"), active=True)),
        weekly_digest=True,
        is_active=True,
    ).order_by("pk")
    users = list(users.select_for_update() if lock else users)
    if not users:
        return []
    theirs = to_do.filter(trainee__in=users)
    counts = theirs.order_by().values(owner=F("trainee"), kind=F("status")).annotate(n=Count("id"))
    entries = _first(theirs, ["trainee", "status"], [F("updated_at").asc(), F("id").asc()])
    return _collect(users, entries, lambda e: (e.trainee_id, e.status), counts)


def weekly_mail(digest: Digest, today: date) -> tuple[str, str]:
    """(subject, body) of a trainee's weekly digest: plain text, absolute links."""
    user = digest.user
    lines = [f"Dear {one_line(user.display_name)},", ""]
    parts = []
    for kind, heading, more in (
        (Entry.Status.RETURNED, "Returned to you to fix", "returned"),
        (Entry.Status.DRAFT, "Drafts not yet submitted", "drafts"),
    ):
        total = digest.totals.get(kind, 0)
        if not total:
            continue
        entries = digest.entries[kind]
        noun = {"returned": "returned", "drafts": f"draft{'s' if total != 1 else ''}"}[more]
        parts.append(f"{total} {noun}")
        lines += [f"{heading} ({total}):", ""]
        for entry in entries:
            lines += [
                f"- {entry.procedure.name}, {entry.performed_on:%d %b %Y}",
                f"  {_url('procedures:entry_detail', entry.pk)}",
            ]
        if total > len(entries):
            logbook = f"{_url('procedures:entry_list')}?status={kind.value}"
            lines += [f"and {total - len(entries)} more: {logbook}"]
        lines.append("")
    lines += [
        "Entries count towards your progress once your supervisor signs them off.",
        "",
        f"Your home page: {_url('home')}",
        f"To stop this weekly digest: {_url('email_settings')}",
    ]
    subject = f"Precept weekly: {' and '.join(parts)} in your logbook"
    return subject, "\n".join(lines) + "\n"


# --- Sending ---------------------------------------------------------------------------------


def send_digests(
    *, select, compose, sent_field: str, today: date, dry_run: bool = False
) -> list[Digest]:
    """Queue each digest that `select(today)` finds and record it sent on `today`, in one
    transaction with the recipients' rows locked; with `dry_run`, only find them. Returns
    every digest found, those that cannot be sent with `skipped` saying why (nothing is
    recorded for them: they are found again once their address is fixed)."""
    if dry_run:
        return select(today)
    with transaction.atomic():
        digests = select(today, lock=True)
        sendable = [d for d in digests if not d.skipped]
        User.objects.filter(pk__in=[d.user.pk for d in sendable]).update(**{sent_field: today})
        for digest in sendable:
            subject, body = compose(digest, today)
            send_email.enqueue(subject=subject, body=body, to=digest.user.email)
    return digests
