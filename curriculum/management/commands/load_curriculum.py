"""Load the procedure catalogue and the default curriculum from the TOML data file.

Idempotent: safe to run on every deploy and from `make run`. A second run reports
"no changes". Catalogue rows, stages and requirements dropped from the file are retired
(inactive), never deleted, because entries, progress and history point at them.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from curriculum.loader import DEFAULT_PATH, LoaderError, load_curriculum


class Command(BaseCommand):
    help = "Load the procedure catalogue and curriculum from a TOML file (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", default=str(DEFAULT_PATH), type=Path)

    def handle(self, *args, path: Path, **options):
        try:
            stats = load_curriculum(path)
        except (LoaderError, KeyError) as exc:
            raise CommandError(f"Curriculum not loaded: {exc}") from exc
        changes = {k: v for k, v in sorted(stats.items()) if v}
        if not changes:
            self.stdout.write(
                self.style.SUCCESS(f"Curriculum up to date ({path.name}): no changes.")
            )
            return
        summary = ", ".join(f"{v} {k}" for k, v in changes.items())
        self.stdout.write(self.style.SUCCESS(f"Curriculum loaded from {path.name}: {summary}."))
