"""Build a program at DESIGN §8's size in a throwaway database and time the main pages.

The default is the design's scale: 60 trainees × 3,000 entries, 20 supervisors. The data
goes into a separate database (a temporary SQLite file, or `<name>_bench` on PostgreSQL),
never into the one DATABASE_URL names; it is dropped at the end. Prints each page's median
server time over repeated requests, its SQL queries, and its ratio to a baseline page.

`--keep NAME` builds into the database NAME (a SQLite file path, or a PostgreSQL database
name) and keeps it; `--reuse NAME` times that database again without building: the large
registry takes a quarter of an hour to build, a second timing of it about a minute.
"""

import tempfile
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test.utils import override_settings

from curriculum.benchmark import (
    build_dataset,
    find_dataset,
    format_timings,
    settle,
    time_pages,
)


class Command(BaseCommand):
    help = "Time the main pages on a synthetic program (default 60 × 3,000 entries)."

    def add_arguments(self, parser):
        parser.add_argument("--trainees", type=int, default=60)
        parser.add_argument("--entries", type=int, default=3000, help="Per trainee.")
        parser.add_argument("--supervisors", type=int, default=20)
        parser.add_argument("--repeat", type=int, default=15, help="Timed requests per page.")
        kept = parser.add_mutually_exclusive_group()
        kept.add_argument(
            "--keep",
            metavar="NAME",
            help="Build into this database (SQLite file or PostgreSQL name) and keep it.",
        )
        kept.add_argument(
            "--reuse", metavar="NAME", help="Time a database kept with --keep; build nothing."
        )

    def handle(self, *args, trainees, entries, supervisors, repeat, keep, reuse, **options):
        started = time.perf_counter()
        settings_dict = connection.settings_dict
        old_name = settings_dict["NAME"]
        self._not_the_application_database(keep or reuse)
        with tempfile.TemporaryDirectory() as tmp:
            if reuse:
                self._use(reuse)
            else:
                if keep:
                    name = keep
                elif connection.vendor == "sqlite":
                    name = str(Path(tmp) / "benchmark.sqlite3")
                else:
                    name = f"{old_name}_bench"
                settings_dict["TEST"]["NAME"] = name
                connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
            try:
                if reuse:
                    data = find_dataset()
                    self.stdout.write(
                        f"Timing the kept database {reuse} ({data.entries:,} entries)…"
                    )
                else:
                    data = self._build(trainees, entries, supervisors)
                # The test client's requests must not be redirected to https.
                with override_settings(SECURE_SSL_REDIRECT=False, ALLOWED_HOSTS=["testserver"]):
                    timings = time_pages(data, repeat=repeat)
                self.stdout.write(format_timings(timings))
                self.stdout.write(
                    f"Median of {repeat} requests per page after a first one (shown as first ms). "
                    f"Total {time.perf_counter() - started:.0f} s."
                )
            finally:
                if keep or reuse:
                    connection.close()
                    settings_dict["NAME"] = old_name
                    if keep:
                        self.stdout.write(f"Kept: time it again with --reuse {keep}")
                else:
                    connection.creation.destroy_test_db(old_name, verbosity=0)

    def _build(self, trainees: int, entries: int, supervisors: int):
        self.stdout.write(
            f"Building {trainees} trainees × {entries:,} entries, {supervisors} "
            f"supervisors on {connection.vendor} ({connection.settings_dict['NAME']})…"
        )
        build_started = time.perf_counter()
        data = build_dataset(
            trainees=trainees, entries=entries, supervisors=supervisors, log=self.stdout.write
        )
        built = time.perf_counter() - build_started
        settle()
        self.stdout.write(f"Built {data.entries:,} entries in {built:.0f} s. Timing pages…")
        return data

    def _not_the_application_database(self, name: str | None) -> None:
        """--keep drops and rebuilds the database it names, --reuse writes sign-offs into it:
        never the one DATABASE_URL names (a SQLite file by any spelling of its path)."""
        if not name:
            return
        own = connection.settings_dict["NAME"]
        same = (
            Path(name).resolve() == Path(own).resolve()
            if connection.vendor == "sqlite"
            else name == own
        )
        if same:
            raise CommandError(
                f"{name} is the application's own database; name another for the benchmark."
            )

    def _use(self, name: str) -> None:
        """Point the connection at a kept benchmark database."""
        if connection.vendor == "sqlite" and not Path(name).is_file():
            raise CommandError(f"No benchmark database at {name}.")
        connection.close()
        connection.settings_dict["NAME"] = name
