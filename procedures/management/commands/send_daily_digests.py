"""Send each supervisor who chose the daily digest one e-mail listing the entries waiting
for their sign-off, oldest first (procedures.digests).

Run once a day from cron (README, Deploying). Supervisors with nothing waiting get
nothing; a second run the same day sends nothing more (the date sent is recorded with the
e-mail queued). Supervisors who chose the digest get no e-mail per submission. Those
without a usable address are listed on stderr and tried again the next run. `--dry-run`
lists and sends nothing.
"""

from django.core.management.base import BaseCommand
from django.utils import timezone

from procedures.digests import daily_digests, daily_mail, send_digests
from procedures.models import Entry


class Command(BaseCommand):
    help = "E-mail supervisors who chose the daily digest the entries waiting for them."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="List, send nothing.")

    def handle(self, *args, dry_run: bool = False, **options):
        digests = send_digests(
            select=daily_digests,
            compose=daily_mail,
            sent_field="daily_digest_sent_on",
            today=timezone.localdate(),
            dry_run=dry_run,
        )
        sent = 0
        for digest in digests:
            line = f"{digest.user.username}: {digest.totals[Entry.Status.SUBMITTED]} waiting"
            if digest.skipped:
                self.stderr.write(f"{line}: {digest.skipped}, skipped")
                continue
            sent += 0 if dry_run else 1
            if options["verbosity"] >= 1:
                self.stdout.write(f"{line}{' (dry run)' if dry_run else ''}")
        self.stdout.write(self.style.SUCCESS(f"Daily digests queued: {sent}."))
