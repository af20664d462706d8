"""Synthetic program data and page timings for `manage.py benchmark` (DESIGN §8).

`build_dataset` makes a program at the given size in whatever database is current;
`time_pages` times the main pages with Django's test client. The command runs both in a
separate, throwaway database; tests run them at a tiny size.
"""

import contextlib
import itertools
import random
import secrets
import statistics
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace
from unittest import mock

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from procedures.models import Entry, EntryEvent, Injectate, Modality, ProcedureType, Signature
from procedures.services import build_event, content_hash, entry_sign_off
from programs.models import Enrollment, Program

from .loader import load_curriculum
from .models import ObservedAssessment, Requirement
from .views import COHORT_PAGE_SIZE

PROGRAM_SLUG = "interventional-orthopedics"
# Rows per transaction. On PostgreSQL each entry's trigger updates its trainee's enrollment
# row, and the versions one transaction makes of a row are pruned only after it ends: 3,000
# entries in one transaction made 3,000 versions to walk, about a minute per trainee.
CHUNK = 250
STATUSES = [
    Entry.Status.SIGNED_OFF,
    Entry.Status.SUBMITTED,
    Entry.Status.RETURNED,
    Entry.Status.DRAFT,
]
RECENT_WEIGHTS = [50, 40, 5, 5]  # performed in the last three weeks
OLD_WEIGHTS = [97, 1, 1.5, 0.5]
LEVELS = {"lumbar": "L4–L5", "spine": "L4–L5", "cervical": "C5–C6", "thoracic": "T7–T8"}


def _insert(model, rows: list) -> None:
    """Bulk-insert `rows` (their pks set), CHUNK rows per transaction."""
    for start in range(0, len(rows), CHUNK):
        with transaction.atomic():
            model.objects.bulk_create(rows[start : start + CHUNK])


def settle() -> None:
    """What a live database has and a freshly bulk-loaded one lacks: the planner's
    statistics and, on PostgreSQL, a vacuumed table (the visibility map that index-only
    scans rely on). Autovacuum does this within a minute of a bulk load; the timings must
    not depend on whether it has started yet. Outside any transaction."""
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")


@dataclass
class Dataset:
    program: Program
    trainee: object  # the trainee whose pages are timed
    supervisor: object  # one of that trainee's supervisors
    director: object
    entries: int


def build_dataset(
    *, trainees: int = 60, entries: int = 3000, supervisors: int = 20, seed: int = 1, log=print
) -> Dataset:
    """A program with `trainees` trainees of `entries` entries each, `supervisors`
    supervisors (each trainee has one, in turn) and one director. Bulk inserts: no
    history rows, events only for each trainee's latest entries."""
    rng = random.Random(seed)
    load_curriculum()
    program = Program.objects.get(slug=PROGRAM_SLUG)
    User = get_user_model()
    password = secrets.token_urlsafe()
    director = User.objects.create_user("bench-director", password=password, last_name="Director")
    program.directors.add(director)
    sups = User.objects.bulk_create(
        [
            User(username=f"bench-supervisor-{i}", last_name=f"Supervisor {i}")
            for i in range(supervisors)
        ]
    )
    users = User.objects.bulk_create(
        [User(username=f"bench-trainee-{i}", last_name=f"Trainee {i}") for i in range(trainees)]
    )
    start = timezone.localdate() - timedelta(days=730)
    enrollments = Enrollment.objects.bulk_create(
        [Enrollment(trainee=u, program=program, start_date=start) for u in users]
    )
    Enrollment.supervisors.through.objects.bulk_create(
        [
            Enrollment.supervisors.through(enrollment_id=e.pk, user_id=sups[i % supervisors].pk)
            for i, e in enumerate(enrollments)
        ]
    )

    # What trainees log: every procedure type, weighted towards the curriculum's.
    types = list(ProcedureType.objects.filter(active=True))
    wanted = set(
        Requirement.procedure_types.through.objects.values_list("proceduretype_id", flat=True)
    )
    weights = [3 if t.pk in wanted else 1 for t in types]
    prp, bmc, steroid = (
        Injectate.objects.get(slug=s) for s in ("prp", "bmc", "steroid-particulate")
    )
    today = timezone.localdate()
    now = timezone.now()
    total = 0
    for index, trainee in enumerate(users):
        supervisor = sups[index % supervisors]
        rows = []
        for _ in range(entries):
            procedure = rng.choices(types, weights)[0]
            guidance = rng.choice(procedure.modalities)
            performed = today - timedelta(days=rng.randint(0, 720))
            # Recent work is still in flight; older work is signed off, but for a few
            # entries forgotten in a queue or returned and never resubmitted.
            recent = (today - performed).days <= 21
            status = rng.choices(STATUSES, RECENT_WEIGHTS if recent else OLD_WEIGHTS)[0]
            entry = Entry(
                trainee=trainee,
                supervisor=supervisor,
                procedure=procedure,
                performed_on=performed,
                guidance=guidance,
                side=rng.choice(procedure.sides),
                levels=LEVELS[procedure.region] if procedure.needs_levels else "",
                purpose=Entry.Purpose.THERAPEUTIC,
                role=rng.choices([1, 2, 3, 4, 5], [10, 10, 50, 25, 5])[0],
                status=status,
                autonomy=rng.randint(2, 5) if status == Entry.Status.SIGNED_OFF else None,
                submitted_at=None
                if status == Entry.Status.DRAFT
                else now - timedelta(days=max((today - performed).days - rng.randint(0, 2), 0)),
            )
            if guidance == Modality.FLUOROSCOPY:
                entry.fluoro_time_s = Decimal(rng.randint(50, 900)) / 10
                entry.dap = Decimal(rng.randint(5000, 150000)) / 100
            elif guidance == Modality.CT:
                entry.dlp = Decimal(rng.randint(800, 4000)) / 10
            rows.append(entry)
        # What each entry used: most nothing listed, some PRP, BMC or a steroid.
        used = [prp.pk, bmc.pk, steroid.pk, None]
        drugs = [rng.choices(used, [5, 3, 22, 70])[0] for _ in rows]
        # A signed-off revision's injectates are fixed (a database guard): an entry to be
        # signed off that used one is saved as submitted, given it, then signed in a few
        # UPDATEs (one per rating); the others are saved signed off.
        to_flip = defaultdict(list)
        for entry, drug in zip(rows, drugs, strict=True):
            if entry.status == Entry.Status.SIGNED_OFF and drug:
                to_flip[entry.autonomy].append(entry)
                entry.status, entry.autonomy = Entry.Status.SUBMITTED, None
        _insert(Entry, rows)
        _insert(
            Entry.injectates.through,
            [
                Entry.injectates.through(entry_id=entry.pk, injectate_id=drug)
                for entry, drug in zip(rows, drugs, strict=True)
                if drug
            ],
        )
        for autonomy, flipped in to_flip.items():
            Entry.objects.filter(pk__in=[e.pk for e in flipped]).update(
                status=Entry.Status.SIGNED_OFF, autonomy=autonomy
            )
            for entry in flipped:
                entry.status, entry.autonomy = Entry.Status.SIGNED_OFF, autonomy
        _insert(
            Signature,
            [
                Signature(
                    entry=e,
                    revision=1,
                    supervisor=supervisor,
                    signer_name=str(supervisor),
                    signed_at=e.submitted_at,
                    autonomy=e.autonomy,
                    content_hash=content_hash(e, [drug] if drug else []),
                )
                for e, drug in zip(rows, drugs, strict=True)
                if e.status == Entry.Status.SIGNED_OFF
            ],
        )
        latest = sorted(rows, key=lambda e: e.performed_on)[-20:]
        EntryEvent.objects.bulk_create(
            [
                build_event(
                    e,
                    trainee,
                    EntryEvent.Action.SUBMITTED,
                    Entry.Status.DRAFT,
                    to_status=Entry.Status.SUBMITTED,
                    at=e.submitted_at,
                )
                for e in latest
                if e.submitted_at
            ]
        )
        ObservedAssessment.objects.bulk_create(
            [
                ObservedAssessment(
                    trainee=trainee,
                    assessor=supervisor,
                    observed_on=today - timedelta(days=rng.randint(0, 700)),
                    procedure=rng.choice(types[:5]),
                    guidance=Modality.FLUOROSCOPY,
                    rating=rng.randint(2, 5),
                )
                for _ in range(5)
            ]
        )
        total += len(rows)
        if log and (index + 1) % 10 == 0:
            log(f"  {index + 1} trainees, {total:,} entries")
    return Dataset(
        program=program, trainee=users[0], supervisor=sups[0], director=director, entries=total
    )


def find_dataset() -> Dataset:
    """The Dataset that `build_dataset` made in the current database (for timing a kept
    benchmark database again without building it anew)."""
    User = get_user_model()
    program = Program.objects.get(slug=PROGRAM_SLUG)
    return Dataset(
        program=program,
        trainee=User.objects.get(username="bench-trainee-0"),
        supervisor=User.objects.get(username="bench-supervisor-0"),
        director=User.objects.get(username="bench-director"),
        entries=Entry.objects.filter(trainee__enrollments__program=program).count(),
    )


@dataclass
class PageTiming:
    name: str
    url: str
    median_ms: float
    first_ms: float
    queries: int
    ratio: float = 0.0


def _timed(client: Client, url: str) -> float:
    start = time.perf_counter()
    response = client.get(url)
    elapsed = (time.perf_counter() - start) * 1000
    if response.status_code != 200:
        raise RuntimeError(f"{url} answered {response.status_code}")
    return elapsed


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        client.get(url)
    return len(ctx.captured_queries)


def _time_in_turn(pages, repeat: int, baseline: list) -> list[PageTiming]:
    """Each page's first request, then `repeat` rounds of one request to every page in
    turn (a machine that slows down or speeds up during the run shifts every page alike,
    and the ratios hold); the queries on one more request, untimed. `baseline` collects
    the first page's samples."""
    firsts = [_timed(client, url) for _, client, url in pages]
    samples = [baseline, *([] for _ in pages[1:])]
    for _ in range(repeat):
        for (_, client, url), page_samples in zip(pages, samples, strict=True):
            page_samples.append(_timed(client, url))
    return [
        PageTiming(name, url, statistics.median(page_samples), first, _queries(client, url))
        for (name, client, url), first, page_samples in zip(pages, firsts, samples, strict=True)
    ]


def _time_after(
    name: str, client: Client, url: str, repeat: int, change, baseline: tuple, samples: list
) -> PageTiming:
    """The first request after each of `repeat` changes: what a user pays right after one.
    `change` is a generator: each step makes the change and yields a context to time in.
    Each step also times the `baseline` page (client, url) into `samples`. The queries are
    counted after one more change, untimed: recording them costs time."""
    timings = []
    for _, context in zip(range(repeat), change, strict=False):
        samples.append(_timed(*baseline))
        with context:
            timings.append(_timed(client, url))
    if not timings:
        raise RuntimeError(f"{name}: nothing to change")
    queries = 0
    for context in itertools.islice(change, 1):
        with context:
            queries = _queries(client, url)
    return PageTiming(name, url, statistics.median(timings), timings[0], queries)


def _sign_off_one(data: Dataset):
    """Sign off, through the service, one waiting entry at a time, each of another trainee
    shown on the Cohort's first page (a trainee on another page would cost that page
    nothing to show)."""
    shown = list(
        Enrollment.objects.filter(program=data.program, active=True)
        .order_by("trainee__last_name", "trainee__first_name", "pk")
        .values_list("trainee_id", flat=True)[:COHORT_PAGE_SIZE]
    )
    by_trainee = {t: [] for t in shown}
    for pk, supervisor_id, trainee_id in Entry.objects.filter(
        trainee_id__in=shown, status=Entry.Status.SUBMITTED
    ).values_list("pk", "supervisor_id", "trainee_id"):
        by_trainee[trainee_id].append((pk, supervisor_id))
    waiting = [
        e for row in itertools.zip_longest(*by_trainee.values()) for e in row if e is not None
    ]
    supervisors = get_user_model().objects.in_bulk({sid for _, sid in waiting})
    for pk, supervisor_id in waiting:
        # As on the page, the supervisor ticks the red-flag box where the entry has one
        # (the synthetic data gives some cervical transforaminals a particulate steroid).
        entry_sign_off(
            entry_id=pk, supervisor=supervisors[supervisor_id], autonomy=4, acknowledged=True
        )
        yield contextlib.nullcontext()


def _next_day(clock_of: str = "curriculum.progress.timezone"):
    """Each step moves today on by one more day, for the module whose clock is `clock_of`
    (the progress engine's; the Radiation page's, whose program medians are of a day)."""
    real = timezone.localdate()
    for days in itertools.count(1):
        clock = SimpleNamespace(localdate=lambda days=days: real + timedelta(days=days))
        yield mock.patch(clock_of, clock)


def time_pages(data: Dataset, *, repeat: int = 15) -> list[PageTiming]:
    """Median server time of each main page over `repeat` requests (after one first,
    untimed-for-the-median request that also builds stored progress), its SQL queries,
    and its ratio to the baseline page (signed in, base template, no data). The pages are
    requested in turn, and the baseline next to every other sample, so that a machine
    whose speed drifts during the run does not skew the ratios.

    More rows time the first Cohort and committee requests after a change: after one
    trainee's entry is signed off, and after the day has moved on since the snapshots were
    made; one the first Radiation request of a day (the program's medians are recomputed
    then).
    """
    trainee, supervisor, director = Client(), Client(), Client()
    trainee.force_login(data.trainee)
    supervisor.force_login(data.supervisor)
    director.force_login(data.director)
    pages = [
        ("Baseline (About)", trainee, reverse("about")),
        ("Logbook", trainee, reverse("procedures:entry_list")),
        ("Log a procedure", trainee, reverse("procedures:entry_create")),
        ("Progress", trainee, reverse("curriculum:my_progress")),
        ("Radiation", trainee, reverse("curriculum:my_radiation")),
        ("Sign-off queue", supervisor, reverse("procedures:signoff_queue")),
        ("My trainees", supervisor, reverse("curriculum:my_trainees")),
        ("Cohort", director, reverse("curriculum:cohort")),
        ("Committee", director, reverse("curriculum:committee")),
        # Home, one section per role (curriculum.home).
        ("Home (trainee)", trainee, reverse("home")),
        ("Home (supervisor)", supervisor, reverse("home")),
        ("Home (director)", director, reverse("home")),
    ]
    baseline_samples = []
    timings = _time_in_turn(pages, repeat, baseline_samples)
    cohort_url = reverse("curriculum:cohort")
    about = (trainee, reverse("about"))
    timings.append(
        _time_after(
            "Cohort after one sign-off",
            director,
            cohort_url,
            repeat,
            _sign_off_one(data),
            about,
            baseline_samples,
        )
    )
    timings.append(
        _time_after(
            "Committee after one sign-off",
            director,
            reverse("curriculum:committee"),
            repeat,
            _sign_off_one(data),
            about,
            baseline_samples,
        )
    )
    timings.append(
        _time_after(
            "Cohort, first view of the day",
            director,
            cohort_url,
            repeat,
            _next_day(),
            about,
            baseline_samples,
        )
    )
    timings.append(
        _time_after(
            "Radiation, first view of the day",
            trainee,
            reverse("curriculum:my_radiation"),
            repeat,
            _next_day("curriculum.radiation.timezone"),
            about,
            baseline_samples,
        )
    )
    # The baseline over the whole run: it was timed next to every other sample.
    timings[0].median_ms = baseline = statistics.median(baseline_samples)
    for t in timings:
        t.ratio = t.median_ms / baseline
    return timings


def format_timings(timings: list[PageTiming]) -> str:
    lines = [f"{'page':<30} {'median ms':>10} {'first ms':>10} {'queries':>8} {'× baseline':>11}"]
    for t in timings:
        lines.append(
            f"{t.name:<30} {t.median_ms:>10.1f} {t.first_ms:>10.1f} {t.queries:>8} {t.ratio:>11.1f}"
        )
    return "\n".join(lines)
