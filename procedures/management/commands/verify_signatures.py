"""Verify every signed-off entry against its signature (procedures.signatures).

Run nightly (cron). Reads the entries in batches, so memory stays bounded whatever their
number; records each mismatch as an open finding for the program's director (Cohort) and
the time of the sweep. Exits with status 1 when any signature fails, so that cron's mail
or the monitoring says so.
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
        if sweep.failed:
            failing = SignatureCheck.objects.filter(resolved=False).order_by("entry_id")
            for check in failing.only("entry_id", "revision").iterator():
                self.stdout.write(f"  entry {check.entry_id} revision {check.revision}")
            raise CommandError(
                f"{sweep.failed} signature(s) do not match their entry's content: "
                "the record was changed after signing."
            )
