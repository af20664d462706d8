"""What the two digest commands share: --dry-run, sending, and one line per recipient."""

from django.core.management.base import BaseCommand
from django.utils import timezone

from procedures.digests import send_digests


class DigestCommand(BaseCommand):
    """A digest command: `select`, `compose` and `sent_field` as procedures.digests takes
    them, `kind` for the summary ("Daily"), and `describe(digest)` for its line."""

    kind = ""
    sent_field = ""
    select = compose = None  # staticmethod(...) of procedures.digests

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="List, send nothing.")

    def describe(self, digest) -> str:
        raise NotImplementedError

    def handle(self, *args, dry_run: bool = False, **options):
        digests = send_digests(
            select=self.select,
            compose=self.compose,
            sent_field=self.sent_field,
            today=timezone.localdate(),
            dry_run=dry_run,
        )
        sent = 0
        for digest in digests:
            line = f"{digest.user.username}: {self.describe(digest)}"
            if digest.skipped:
                self.stderr.write(f"{line}: {digest.skipped}, skipped")
                continue
            sent += 0 if dry_run else 1
            if options["verbosity"] >= 1:
                self.stdout.write(f"{line}{' (dry run)' if dry_run else ''}")
        self.stdout.write(self.style.SUCCESS(f"{self.kind} digests queued: {sent}."))
