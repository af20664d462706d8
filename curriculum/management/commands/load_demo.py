"""Create the demo accounts and a realistic logbook, for development and demos only.

Refuses to run unless DEBUG is on: the demo accounts share a published password, and one
of them, `admin`, is a superuser (the Django admin, for a newcomer to look around).
Idempotent: accounts, the enrollment and the program's director are ensured on every run;
entries are created only for a demo trainee who has none, so re-running `make run` on the
same checkout changes nothing. Needs the curriculum (`load_curriculum`) first.
"""

import random
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone

from procedures.models import (
    BlockResponse,
    CarmOperator,
    Entry,
    EntryEvent,
    Injectate,
    Modality,
    ProcedureType,
)
from procedures.services import build_event, entry_return, entry_sign_off, submission_token
from programs.models import Enrollment, Program

PASSWORD = "precept-demo"
PROGRAM_SLUG = "interventional-orthopedics"
ACCOUNTS = [
    # username, title, first name, last name
    ("trainee", "Dr", "Alex", "Rivera"),
    ("trainee2", "Dr", "Jordan", "Okafor"),
    ("supervisor", "Dr", "Sarah", "Chen"),
    ("supervisor2", "Dr", "Miguel", "Santos"),
    ("director", "Prof", "Priya", "Natarajan"),
    ("admin", "", "Demo", "Administrator"),
]
# Staff and superuser: everything in the Django admin. Never made with DEBUG off (handle()).
ADMINS = {"admin"}

# (procedure slug, guidance, role, levels to pick from, injectate slugs, how many)
TRAINEE_PLAN = [
    ("msk-ultrasound-exam", "ultrasound", 3, [], [], 14),
    ("knee-joint", "ultrasound", 3, [], ["lidocaine", "steroid-non-particulate"], 5),
    ("glenohumeral-joint", "ultrasound", 3, [], ["lidocaine", "steroid-particulate"], 4),
    ("hip-joint", "ultrasound", 3, [], ["lidocaine", "hyaluronic-acid"], 3),
    (
        "lumbar-tfesi",
        "fluoroscopy",
        1,
        ["L4–L5", "L5–S1"],
        ["contrast", "steroid-non-particulate"],
        6,
    ),
    ("lumbar-ilesi", "fluoroscopy", 1, ["L4–L5", "L5–S1"], ["contrast", "steroid-particulate"], 4),
    (
        "lumbar-mbb",
        "fluoroscopy",
        3,
        ["L3, L4", "L4, L5", "L3–L4, L4–L5"],
        ["bupivacaine", "contrast"],
        12,
    ),
    ("cervical-mbb", "fluoroscopy", 3, ["C3, C4", "C5, C6"], ["bupivacaine"], 4),
    ("lumbar-facet", "ct", 3, ["L4–L5", "L5–S1"], ["lidocaine", "steroid-particulate"], 3),
    ("si-joint", "fluoroscopy", 3, [], ["contrast", "lidocaine", "steroid-particulate"], 5),
]
SIDES = {"lumbar-ilesi": ["midline"], "msk-ultrasound-exam": ["left", "right", "bilateral"]}


class Command(BaseCommand):
    help = (
        "Create demo accounts (password precept-demo; `admin` is a superuser) and a demo "
        "logbook. DEBUG only."
    )

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError(
                "Demo accounts are created only with DEBUG on (DJANGO_DEBUG=1): "
                "their password is published."
            )
        try:
            program = Program.objects.get(slug=PROGRAM_SLUG)
        except Program.DoesNotExist as exc:
            raise CommandError("Load the curriculum first: manage.py load_curriculum") from exc
        # The demo's decisions go through the real services, which mail the trainee on a
        # return: nobody is waiting for those messages, so they are sent at once, to nowhere
        # (not queued for a worker to send later).
        quiet = override_settings(
            EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend",
            TASKS={"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}},
        )
        with quiet, transaction.atomic():
            users = self._ensure_accounts()
            self._ensure_program_roles(program, users)
            created = self._ensure_entries(
                users["trainee"], users["supervisor"], TRAINEE_PLAN, seed=7
            )
            created += self._ensure_entries(
                users["trainee2"], users["supervisor2"], TRAINEE_PLAN[:3], seed=11, scale=0.3
            )
        if created:
            self.stdout.write(self.style.SUCCESS(f"Demo data created: {created} entries."))
        else:
            self.stdout.write("Demo data already present: no changes.")

    def _ensure_accounts(self) -> dict:
        User = get_user_model()
        users = {}
        for username, title, first, last in ACCOUNTS:
            user, created = User.objects.get_or_create(
                username=username,
                defaults={
                    "title": title,
                    "first_name": first,
                    "last_name": last,
                    "email": f"{username}@example.org",
                    "is_staff": username in ADMINS,
                    "is_superuser": username in ADMINS,
                },
            )
            if created:
                user.set_password(PASSWORD)
                user.save(update_fields=["password"])
            users[username] = user
        return users

    def _ensure_program_roles(self, program, users) -> None:
        program.directors.add(users["director"])
        for trainee, supervisor in (("trainee", "supervisor"), ("trainee2", "supervisor2")):
            enrollment, _ = Enrollment.objects.get_or_create(
                trainee=users[trainee],
                program=program,
                defaults={"start_date": timezone.localdate() - timedelta(days=200)},
            )
            enrollment.supervisors.add(users[supervisor])

    def _ensure_entries(self, trainee, supervisor, plan, *, seed: int, scale: float = 1.0) -> int:
        if Entry.objects.filter(trainee=trainee).exists():
            return 0
        rng = random.Random(seed)
        types = {t.slug: t for t in ProcedureType.objects.all()}
        injectates = {i.slug: i for i in Injectate.objects.all()}
        today = timezone.localdate()
        rows = []
        for slug, guidance, role, levels, drugs, count in plan:
            procedure = types[slug]
            for _ in range(max(1, round(count * scale))):
                entry = Entry(
                    trainee=trainee,
                    supervisor=supervisor,
                    procedure=procedure,
                    performed_on=today - timedelta(days=rng.randint(1, 180)),
                    guidance=guidance,
                    side=rng.choice(SIDES.get(slug, procedure.sides)),
                    levels=rng.choice(levels) if levels else "",
                    purpose=(
                        Entry.Purpose.DIAGNOSTIC
                        if slug.endswith(("mbb", "exam"))
                        else Entry.Purpose.THERAPEUTIC
                    ),
                    role=role,
                    complication=(
                        Entry.Complication.VASOVAGAL
                        if rng.random() < 0.04
                        else Entry.Complication.NONE
                    ),
                    age_band=rng.choice(Entry.AgeBand.values[2:]),
                    sex=rng.choice([Entry.Sex.FEMALE, Entry.Sex.MALE]),
                )
                # Derived, not drawn: the rest of the demo stays the same draw for draw.
                # Reference air kerma is about DAP over the field's area (some 100 cm²
                # for a spinal view); CTDIvol about DLP over a 10 cm scanned length.
                if guidance == Modality.FLUOROSCOPY:
                    entry.fluoro_time_s = Decimal(rng.randint(80, 900)) / 10
                    entry.dap = Decimal(rng.randint(5_000, 150_000)) / 100
                    entry.air_kerma = (entry.dap / 100).quantize(Decimal("0.01"))
                    entry.carm_operator = CarmOperator.RADIOGRAPHER
                elif guidance == Modality.CT:
                    entry.dlp = Decimal(rng.randint(800, 4_000)) / 10
                    entry.ctdi_vol = (entry.dlp / 10).quantize(Decimal("0.01"))
                    entry.ct_scans = 3
                rows.append((entry, drugs))
        rows.sort(key=lambda row: row[0].performed_on)
        # Oldest entries are signed off; recent ones wait for sign-off; a few are returned
        # or still drafts, so every page has something real to show. All but the drafts
        # are saved as submitted; the supervisor's decisions then go through the real
        # services, so signatures and events are exactly what the app itself makes.
        decisions = {}
        for i, (entry, _) in enumerate(rows):
            from_end = len(rows) - i
            if from_end <= 4:
                entry.status = Entry.Status.DRAFT
                continue
            entry.status = Entry.Status.SUBMITTED
            entry.submitted_at = timezone.now() - timedelta(days=(today - entry.performed_on).days)
            if 16 < from_end <= 19:
                decisions[i] = "return"
            elif from_end > 19:
                decisions[i] = rng.choice([3, 4, 4, 5])
        Entry.objects.bulk_create([entry for entry, _ in rows])
        links = [
            Entry.injectates.through(entry_id=entry.pk, injectate_id=injectates[slug].pk)
            for entry, drugs in rows
            for slug in drugs
        ]
        Entry.injectates.through.objects.bulk_create(links)
        self._blocks_and_ablations([entry for entry, _ in rows], trainee, rng)
        self._record_submissions([entry for entry, _ in rows], trainee)
        for i, decision in decisions.items():
            entry = rows[i][0]
            token = submission_token(entry)
            if decision == "return":
                entry_return(
                    entry_id=entry.pk,
                    supervisor=supervisor,
                    comment="Please add the injectates and check the levels.",
                    expected_submission=token,
                )
            else:
                entry_sign_off(
                    entry_id=entry.pk,
                    supervisor=supervisor,
                    autonomy=decision,
                    expected_submission=token,
                )
        return len(rows)

    def _blocks_and_ablations(self, entries, trainee, rng) -> None:
        """Diagnostic medial branch blocks with their responses, paired into comparative
        series where two share a procedure, levels and side within 90 days (lidocaine,
        then bupivacaine, mostly concordant); each ablation rests on the latest block
        before it, a series' second block when there is one, so the demo shows both
        flagged and unflagged ablations. Saved before any sign-off (nothing is frozen)."""
        lidocaine = Injectate.objects.get(slug="lidocaine")
        bupivacaine = Injectate.objects.get(slug="bupivacaine")
        short = [[30, 1], [60, 1], [120, 5], [240, 7], [360, 7]]
        long = [[30, 1], [60, 1], [120, 1], [240, 1], [360, 2], [480, 5], [1440, 7]]
        weak = [[30, 4], [60, 5], [120, 6], [240, 7]]
        blocks = [
            e
            for e in entries
            if e.purpose == Entry.Purpose.DIAGNOSTIC and e.procedure.slug.endswith("mbb")
        ]
        responses, last_of = [], {}
        for entry in sorted(blocks, key=lambda e: (e.performed_on, e.pk)):
            key = entry.procedure_id, entry.levels, entry.side
            first = last_of.pop(key, None)
            if first is not None and (entry.performed_on - first.performed_on).days <= 90:
                diary = long if rng.random() < 0.8 else weak
                responses.append(
                    BlockResponse(
                        entry=entry,
                        before=8,
                        diary=diary,
                        agent=bupivacaine,
                        agent_volume_ml=Decimal("0.5"),
                        follows=first,
                        updated_by=trainee,
                    )
                )
                continue
            last_of[key] = entry
            responses.append(
                BlockResponse(
                    entry=entry,
                    before=rng.choice([7, 8, 9]),
                    diary=short if rng.random() < 0.8 else weak,
                    agent=lidocaine,
                    agent_volume_ml=Decimal("0.5"),
                    updated_by=trainee,
                )
            )
        BlockResponse.objects.bulk_create(responses)
        seconds = sorted((r.entry for r in responses if r.follows_id), key=lambda e: e.performed_on)
        ablations = [e for e in entries if e.procedure.is_ablation]
        for ablation in ablations:
            before = [b for b in seconds if b.performed_on <= ablation.performed_on]
            singles = [b for b in blocks if b.performed_on <= ablation.performed_on]
            chosen = before or singles
            ablation.rests_on = chosen[-1] if chosen and rng.random() < 0.85 else None
        Entry.objects.bulk_update(ablations, ["rests_on"])

    def _record_submissions(self, entries, trainee) -> None:
        """The trainee's own events (created, submitted), dated when the work was done."""
        events = []
        Action, Status = EntryEvent.Action, Entry.Status
        for entry in entries:
            created = timezone.now() - timedelta(
                days=(timezone.localdate() - entry.performed_on).days
            )
            events.append(
                build_event(entry, trainee, Action.CREATED, "", to_status=Status.DRAFT, at=created)
            )
            if entry.status == Status.SUBMITTED:
                events.append(
                    build_event(
                        entry,
                        trainee,
                        Action.SUBMITTED,
                        Status.DRAFT,
                        to_status=Status.SUBMITTED,
                        at=entry.submitted_at,
                    )
                )
        EntryEvent.objects.bulk_create(events)
