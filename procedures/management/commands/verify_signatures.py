"""Verify every signed-off entry against its signature (procedures.signatures).

Run nightly (cron). Reads the entries in batches, so memory stays bounded whatever their
number; records each mismatch as an open finding for the program's director (Cohort) and
the time of the sweep. Exits with status 1 while any finding is open (not yet marked
resolved in the admin), so that cron's mail or the monitoring says so.
"""

from django.core.management.base import BaseCommand, CommandError

from procedures.models import SignatureCheck
from procedures.signatures import SWEEP_BATCH, sweep_signatures


class Command(BaseCommand):
    help = "Check every signed-off entry against its signature; record the ones that fail."

    def add_arguments(self, parser):
        parser.add_argument(
            "--batch-size",
            type=int,
            default=SWEEP_BATCH,
            help=f"Entries read at a time (default {SWEEP_BATCH}).",
        )

    def handle(self, *args, batch_size: int = SWEEP_BATCH, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        sweep = sweep_signatures(batch_size=batch_size)
        self.stdout.write(f"Checked {sweep.checked} signed-off entries: {sweep.failed} failed.")
        # Findings someone has looked into and resolved no longer raise the alarm.
        findings = SignatureCheck.objects.filter(resolved=False).order_by("entry_id", "revision")
        count = findings.count()
        if count:
            for check in findings.only("entry_id", "revision", "found_at").iterator():
                self.stdout.write(
                    f"  entry {check.entry_id} revision {check.revision}, "
                    f"found {check.found_at:%Y-%m-%d %H:%M}"
                )
            raise CommandError(
                f"{count} open finding(s): signatures that do not match their entry's "
                "content (the record was changed after signing). See Cohort or the admin."
            )
