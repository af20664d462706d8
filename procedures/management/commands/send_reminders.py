"""Email each supervisor whose sign-off queue is too long or too old (DESIGN §5).

Run daily (cron). A supervisor gets one email when more than PRECEPT_REMINDER_WAITING
entries (default 25) wait for them, or any has waited longer than PRECEPT_REMINDER_DAYS
(default 30). Two queries whatever the number of supervisors; `--dry-run` sends nothing.
The emails are queued as tasks (procedures.mail), so a mail server that is down when
cron runs delays them instead of losing them; the worker sends them.
"""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db.models import Count, Min, Q
from django.urls import reverse
from django.utils import timezone

from procedures.mail import send_email, usable_address
from procedures.models import Entry


def supervisors_to_remind(now=None) -> list[dict]:
    """[{"supervisor": User, "waiting": int, "oldest": datetime}], in one query plus one
    for the users."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.PRECEPT_REMINDER_DAYS)
    rows = list(
        Entry.objects.filter(status=Entry.Status.SUBMITTED, supervisor__isnull=False)
        .values("supervisor")
        .annotate(waiting=Count("id"), oldest=Min("submitted_at"))
        .filter(Q(waiting__gt=settings.PRECEPT_REMINDER_WAITING) | Q(oldest__lt=cutoff))
        .order_by("supervisor")
    )
    users = get_user_model().objects.in_bulk([row["supervisor"] for row in rows])
    return [{**row, "supervisor": users[row["supervisor"]]} for row in rows]


class Command(BaseCommand):
    help = "Email supervisors with more than 25 entries waiting, or any waiting over 30 days."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="List, send nothing.")

    def handle(self, *args, dry_run: bool = False, **options):
        now = timezone.now()
        queue_url = settings.PRECEPT_BASE_URL + reverse("procedures:signoff_queue")
        queued = 0
        for row in supervisors_to_remind(now):
            supervisor, waiting = row["supervisor"], row["waiting"]
            days = (now - row["oldest"]).days
            line = f"{supervisor.username}: {waiting} waiting, oldest {days} days"
            if not supervisor.email:
                self.stderr.write(f"{line}: no email address, skipped")
                continue
            # One bad address never stops the reminders of the others.
            if not usable_address(supervisor.email):
                self.stderr.write(f"{line}: the address cannot be used, skipped")
                continue
            if not dry_run:
                send_email.enqueue(
                    subject=f"Precept: {waiting} entr{'y' if waiting == 1 else 'ies'} "
                    "waiting for your sign-off",
                    body=f"Dear {supervisor.display_name},\n\n{waiting} logbook "
                    f"entr{'y is' if waiting == 1 else 'ies are'} waiting for your sign-off; "
                    f"the oldest was submitted {days} days ago.\n\n{queue_url}\n",
                    to=supervisor.email,
                )
                queued += 1
            if options["verbosity"] >= 1:
                self.stdout.write(f"{line}{' (dry run)' if dry_run else ''}")
        self.stdout.write(self.style.SUCCESS(f"Reminders queued: {queued}."))
