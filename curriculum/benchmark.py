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
BATCH = 5000
STATUSES = [
    Entry.Status.SIGNED_OFF,
    Entry.Status.SUBMITTED,
    Entry.Status.RETURNED,
    Entry.Status.DRAFT,
]
RECENT_WEIGHTS = [50, 40, 5, 5]  # performed in the last three weeks
OLD_WEIGHTS = [97, 1, 1.5, 0.5]
LEVELS = {"lumbar": "L4–L5", "spine": "L4–L5", "cervical": "C5–C6", "thoracic": "T7–T8"}


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
        # A signed-off revision's injectates are fixed (a database guard): entries to be
        # signed off are saved as submitted, given their injectates, then signed.
        to_sign = [e for e in rows if e.status == Entry.Status.SIGNED_OFF]
        for entry in to_sign:
            entry.status, entry.autonomy = Entry.Status.SUBMITTED, None
        with transaction.atomic():
            Entry.objects.bulk_create(rows, batch_size=BATCH)
            drugs = {}
            for entry in rows:
                roll = rng.random()
                if roll < 0.05:
                    drugs[entry.pk] = prp.pk
                elif roll < 0.08:
                    drugs[entry.pk] = bmc.pk
                elif roll < 0.3:
                    drugs[entry.pk] = steroid.pk
            Entry.injectates.through.objects.bulk_create(
                [
                    Entry.injectates.through(entry_id=pk, injectate_id=injectate)
                    for pk, injectate in drugs.items()
                ],
                batch_size=BATCH,
            )
            for entry in to_sign:
                entry.status, entry.autonomy = Entry.Status.SIGNED_OFF, rng.randint(2, 5)
            Entry.objects.bulk_update(to_sign, ["status", "autonomy"], batch_size=500)
            Signature.objects.bulk_create(
                [
                    Signature(
                        entry=e,
                        revision=1,
                        supervisor=supervisor,
                        signer_name=str(supervisor),
                        signed_at=e.submitted_at,
                        autonomy=e.autonomy,
                        content_hash=content_hash(e, [drugs[e.pk]] if e.pk in drugs else []),
                    )
                    for e in to_sign
                ],
                batch_size=BATCH,
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


@dataclass
class PageTiming:
    name: str
    url: str
    median_ms: float
    first_ms: float
    queries: int
    ratio: float = 0.0


def _time(client: Client, url: str, repeat: int) -> tuple[float, float, int]:
    start = time.perf_counter()
    response = client.get(url)
    first = (time.perf_counter() - start) * 1000
    if response.status_code != 200:
        raise RuntimeError(f"{url} answered {response.status_code}")
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        client.get(url)
        samples.append((time.perf_counter() - start) * 1000)
    with CaptureQueriesContext(connection) as ctx:
        client.get(url)
    return statistics.median(samples), first, len(ctx.captured_queries)


def _time_after(name: str, client: Client, url: str, repeat: int, change) -> PageTiming:
    """The first request after each of `repeat` changes: what a user pays right after one.
    `change` is a generator: each step makes the change and yields a context to time in."""
    samples, queries = [], 0
    for _, context in zip(range(repeat), change, strict=False):
        with context, CaptureQueriesContext(connection) as ctx:
            start = time.perf_counter()
            response = client.get(url)
            samples.append((time.perf_counter() - start) * 1000)
        if response.status_code != 200:
            raise RuntimeError(f"{url} answered {response.status_code}")
        queries = max(queries, len(ctx.captured_queries))
    if not samples:
        raise RuntimeError(f"{name}: nothing to change")
    return PageTiming(name, url, statistics.median(samples), samples[0], queries)


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
        entry_sign_off(entry_id=pk, supervisor=supervisors[supervisor_id], autonomy=4)
        yield contextlib.nullcontext()


def _next_day():
    """Each step moves the progress engine's today on by one more day."""
    real = timezone.localdate()
    for days in itertools.count(1):
        clock = SimpleNamespace(localdate=lambda days=days: real + timedelta(days=days))
        yield mock.patch("curriculum.progress.timezone", clock)


def time_pages(data: Dataset, *, repeat: int = 15) -> list[PageTiming]:
    """Median server time of each main page over `repeat` requests (after one first,
    untimed-for-the-median request that also builds stored progress), its SQL queries,
    and its ratio to the baseline page (signed in, base template, no data).

    Two more rows time the first Cohort request after a change: after one trainee's entry
    is signed off, and after the day has moved on since the snapshots were made.
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
        ("Sign-off queue", supervisor, reverse("procedures:signoff_queue")),
        ("My trainees", supervisor, reverse("curriculum:my_trainees")),
        ("Cohort", director, reverse("curriculum:cohort")),
    ]
    timings = []
    for name, client, url in pages:
        median, first, queries = _time(client, url, repeat)
        timings.append(PageTiming(name, url, median, first, queries))
    cohort_url = reverse("curriculum:cohort")
    timings.append(
        _time_after("Cohort after one sign-off", director, cohort_url, repeat, _sign_off_one(data))
    )
    timings.append(
        _time_after("Cohort, first view of the day", director, cohort_url, repeat, _next_day())
    )
    baseline = timings[0].median_ms
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
