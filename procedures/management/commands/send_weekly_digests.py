"""Send each trainee who has drafts or returned entries, and has not opted out, one
e-mail a week listing them (procedures.digests).

Run once a week from cron (README, Deploying); a second run in the same Monday-to-Sunday
week sends nothing more (the date sent is recorded with the e-mail queued). Trainees with
neither drafts nor returned entries get nothing. Those without a usable address are
listed on stderr and tried again the next run. `--dry-run` lists and sends nothing.
"""

from django.core.management.base import BaseCommand
from django.utils import timezone

from procedures.digests import send_digests, weekly_digests, weekly_mail


class Command(BaseCommand):
    help = "E-mail trainees a weekly digest of their drafts and returned entries."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="List, send nothing.")

    def handle(self, *args, dry_run: bool = False, **options):
        digests = send_digests(
            select=weekly_digests,
            compose=weekly_mail,
            sent_field="weekly_digest_sent_on",
            today=timezone.localdate(),
            dry_run=dry_run,
        )
        sent = 0
        for digest in digests:
            counts = ", ".join(f"{n} {kind}" for kind, n in sorted(digest.totals.items()))
            line = f"{digest.user.username}: {counts}"
            if digest.skipped:
                self.stderr.write(f"{line}: {digest.skipped}, skipped")
                continue
            sent += 0 if dry_run else 1
            if options["verbosity"] >= 1:
                self.stdout.write(f"{line}{' (dry run)' if dry_run else ''}")
        self.stdout.write(self.style.SUCCESS(f"Weekly digests queued: {sent}."))
