"""The progress engine: what counts, stage gating, the stored counts, bounded queries.

Most tests use a small hand-built program (the `course` fixture) so that each counting
rule can be shown with an entry that counts next to entries that must not:

Stage 1 "Basics"
    tfesi       Lumbar transforaminal epidurals, fluoroscopy, role ≥ Performed (present), 3
    autonomous  Independent lumbar transforaminal epidurals, fluoroscopy, autonomy ≥ 4, 2
    recent      Recent lumbar transforaminal epidurals, fluoroscopy, last 30 days, 1
    orthobiologic  Orthobiologic injections: any type and guidance, PRP or BMC, 2
    dops        DOPS on a transforaminal epidural, rated 4 or higher (assessments), 1
Stage 2 "Beyond"
    observed    Lumbar medial branch blocks observed, role ≥ Observed, 1

Stage 1 asks for 9, stage 2 for 1: 10 in all.
"""

from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from curriculum.loader import DEFAULT_PATH, load_curriculum
from curriculum.models import ObservedAssessment, ProgressSnapshot, Requirement, Stage
from curriculum.progress import clear_curriculum_cache, progress_for
from procedures.models import Entry, Injectate, ProcedureType
from procedures.services import entry_return, entry_sign_off
from programs.models import Enrollment, Program
from tests.factories import EntryFactory, UserFactory

SIGNED_OFF = Entry.Status.SIGNED_OFF
Role = Entry.Role


# --- Fixtures and helpers ----------------------------------------------------------------


@pytest.fixture
def tfesi(db) -> ProcedureType:
    return ProcedureType.objects.get(slug="lumbar-tfesi")


@pytest.fixture
def course(alice, bob, tfesi) -> SimpleNamespace:
    """The small program of the module docstring, with alice enrolled (supervisor bob)."""
    program = Program.objects.create(slug="small", name="Small program")
    basics = Stage.objects.create(program=program, key="basics", order=1, name="Basics")
    beyond = Stage.objects.create(program=program, key="beyond", order=2, name="Beyond")

    def requirement(stage, key, name, order, types=(), injectates=(), **fields):
        r = Requirement.objects.create(stage=stage, key=key, name=name, order=order, **fields)
        r.procedure_types.set(types)
        r.injectates.set(Injectate.objects.filter(slug__in=injectates))
        return r

    reqs = {
        "tfesi": requirement(
            basics,
            "tfesi",
            "Lumbar transforaminal epidurals",
            1,
            types=[tfesi],
            modalities=["fluoroscopy"],
            min_count=3,
            min_role=Role.PERFORMED_PRESENT,
        ),
        "autonomous": requirement(
            basics,
            "autonomous",
            "Independent lumbar transforaminal epidurals",
            2,
            types=[tfesi],
            modalities=["fluoroscopy"],
            min_count=2,
            min_autonomy=4,
        ),
        "recent": requirement(
            basics,
            "recent",
            "Recent lumbar transforaminal epidurals",
            3,
            types=[tfesi],
            modalities=["fluoroscopy"],
            min_count=1,
            recency_days=30,
        ),
        "orthobiologic": requirement(
            basics,
            "orthobiologic",
            "Orthobiologic injections",
            4,
            injectates=["prp", "bmc"],
            any_procedure=True,
            min_count=2,
        ),
        "dops": requirement(
            basics,
            "dops",
            "DOPS on a transforaminal epidural, rated 4 or higher",
            5,
            types=[tfesi],
            kind=Requirement.Kind.ASSESSMENTS,
            min_autonomy=4,
            min_count=1,
        ),
        "observed": requirement(
            beyond,
            "observed",
            "Lumbar medial branch blocks observed",
            1,
            types=[ProcedureType.objects.get(slug="lumbar-mbb")],
            min_role=Role.OBSERVED,
            min_count=1,
        ),
    }
    enrollment = Enrollment.objects.create(
        trainee=alice, program=program, start_date=timezone.localdate() - timedelta(days=90)
    )
    enrollment.supervisors.add(bob)
    return SimpleNamespace(
        program=program, basics=basics, beyond=beyond, reqs=reqs, enrollment=enrollment
    )


def log(trainee, supervisor, *, status=SIGNED_OFF, autonomy=3, injectates=(), **fields):
    """One entry of `trainee`: by default a signed-off fluoroscopic TFESI rated 3."""
    if fields.get("guidance", "fluoroscopy") != "fluoroscopy":
        fields.setdefault("fluoro_time_s", None)
        fields.setdefault("dap", None)
    if not injectates:
        return EntryFactory(
            trainee=trainee,
            supervisor=supervisor,
            status=status,
            autonomy=autonomy if status == SIGNED_OFF else None,
            **fields,
        )
    # A signed-off revision's injectates are fixed (a database guard): give them first.
    entry = EntryFactory(
        trainee=trainee, supervisor=supervisor, status=Entry.Status.SUBMITTED, **fields
    )
    entry.injectates.set(Injectate.objects.filter(slug__in=injectates))
    if status != Entry.Status.SUBMITTED:
        Entry.objects.filter(pk=entry.pk).update(
            status=status, autonomy=autonomy if status == SIGNED_OFF else None
        )
        entry.refresh_from_db()
    return entry


def knee_injection(trainee, supervisor, **fields):
    """A signed-off ultrasound-guided knee joint injection: not a spine procedure."""
    return log(
        trainee,
        supervisor,
        procedure=ProcedureType.objects.get(slug="knee-joint"),
        guidance="ultrasound",
        side="left",
        levels="",
        **fields,
    )


def observe_mbb(trainee, supervisor):
    """A signed-off lumbar medial branch block that the trainee observed."""
    mbb = ProcedureType.objects.get(slug="lumbar-mbb")
    return log(trainee, supervisor, procedure=mbb, role=Role.OBSERVED)


def dops(trainee, assessor, procedure, rating, **fields):
    fields.setdefault("guidance", "fluoroscopy")
    fields.setdefault("observed_on", timezone.localdate())
    return ObservedAssessment.objects.create(
        trainee=trainee, assessor=assessor, procedure=procedure, rating=rating, **fields
    )


def read(enrollment, today=None):
    return progress_for([enrollment], today=today)[enrollment.pk]


def req(progress, key):
    """The RequirementProgress of the requirement with this key."""
    return next(r for s in progress.stages for r in s.requirements if r.requirement.key == key)


def done(enrollment, key, today=None) -> int:
    return req(read(enrollment, today), key).done


def num_queries(enrollments, today=None, *, cold: bool = False) -> int:
    """Queries of one progress_for; `cold` also forgets the process's curriculum cache."""
    if cold:
        clear_curriculum_cache()
    with CaptureQueriesContext(connection) as ctx:
        progress_for(enrollments, today=today)
    return len(ctx.captured_queries)


# --- Counting rules ------------------------------------------------------------------------


def test_an_entry_under_another_guidance_does_not_count(course, alice, bob):
    log(alice, bob)
    log(alice, bob, guidance="ct")
    assert done(course.enrollment, "tfesi") == 1


def test_entries_below_the_minimum_role_do_not_count(course, alice, bob):
    log(alice, bob, role=Role.OBSERVED)
    log(alice, bob, role=Role.ASSISTED)
    log(alice, bob, role=Role.PERFORMED_PRESENT)
    log(alice, bob, role=Role.PERFORMED_AVAILABLE)
    assert done(course.enrollment, "tfesi") == 2


def test_entries_rated_below_the_minimum_autonomy_do_not_count(course, alice, bob):
    for autonomy in (1, 3, 4, 5):
        log(alice, bob, autonomy=autonomy)
    progress = read(course.enrollment)
    assert req(progress, "autonomous").done == 2
    assert req(progress, "tfesi").done == 4  # no minimum rating there


def test_only_entries_inside_the_recency_window_count(course, alice, bob):
    today = timezone.localdate()
    log(alice, bob, performed_on=today - timedelta(days=31))
    log(alice, bob, performed_on=today - timedelta(days=29))
    progress = read(course.enrollment, today=today)
    assert req(progress, "recent").done == 1
    assert req(progress, "tfesi").done == 2  # no window there
    # The window moves with the date: two days later the 29-day-old entry is 31 days old.
    assert done(course.enrollment, "recent", today=today + timedelta(days=2)) == 0


def test_only_signed_off_entries_count_and_submitted_ones_are_pending(course, alice, bob):
    log(alice, bob, status=Entry.Status.DRAFT)
    log(alice, bob, status=Entry.Status.RETURNED)
    log(alice, bob, status=Entry.Status.SUBMITTED)
    log(alice, bob)
    tfesi = req(read(course.enrollment), "tfesi")
    assert (tfesi.done, tfesi.pending) == (1, 1)
    assert tfesi.pending_percent == 33  # 1 of the 2 still missing, out of 3


def test_another_trainees_entries_never_count(course, alice, bob, charlie, dave):
    log(alice, bob)
    for _ in range(2):
        log(charlie, dave)
    log(charlie, dave, status=Entry.Status.SUBMITTED)
    charlie_enrollment = Enrollment.objects.create(
        trainee=charlie, program=course.program, start_date=timezone.localdate()
    )
    progress = progress_for([course.enrollment, charlie_enrollment])
    alices = req(progress[course.enrollment.pk], "tfesi")
    charlies = req(progress[charlie_enrollment.pk], "tfesi")
    assert (alices.done, alices.pending) == (1, 0)
    assert (charlies.done, charlies.pending) == (2, 1)


def test_an_injectate_filter_counts_entries_with_a_listed_injectate_once(course, alice, bob):
    log(alice, bob, injectates=["prp"])
    log(alice, bob, injectates=["prp", "bmc", "lidocaine"])
    log(alice, bob, injectates=["lidocaine", "steroid-non-particulate"])
    log(alice, bob)
    progress = read(course.enrollment)
    assert req(progress, "orthobiologic").done == 2
    assert req(progress, "tfesi").done == 4  # no injectate filter there


def test_a_requirement_without_procedure_types_counts_any_type(course, alice, bob):
    knee_injection(alice, bob, injectates=["prp"])
    log(alice, bob, injectates=["bmc"])
    progress = read(course.enrollment)
    assert req(progress, "orthobiologic").done == 2
    assert req(progress, "tfesi").done == 1  # the knee injection is not a TFESI


def test_a_minimum_role_of_observed_lets_observed_entries_count(course, alice, bob):
    observe_mbb(alice, bob)
    log(alice, bob, role=Role.OBSERVED)  # a TFESI: another type
    progress = read(course.enrollment)
    assert req(progress, "observed").done == 1
    assert req(progress, "tfesi").done == 0


# --- Observed assessments (DOPS) -------------------------------------------------------------


def test_assessments_count_when_rated_high_enough_and_of_a_listed_type(
    course, alice, bob, charlie, dave, tfesi
):
    dops(alice, bob, tfesi, 4)
    dops(alice, bob, tfesi, 5)
    dops(alice, bob, tfesi, 3)  # rated too low
    dops(alice, bob, ProcedureType.objects.get(slug="lumbar-mbb"), 5)  # another procedure
    dops(charlie, dave, tfesi, 5)  # another trainee
    dops_progress = req(read(course.enrollment), "dops")
    assert (dops_progress.done, dops_progress.pending) == (2, 0)


def test_entries_never_count_for_an_assessments_requirement_nor_assessments_for_entries(
    course, alice, bob, tfesi
):
    log(alice, bob, autonomy=5)
    log(alice, bob, status=Entry.Status.SUBMITTED)
    progress = read(course.enrollment)
    assert (req(progress, "dops").done, req(progress, "dops").pending) == (0, 0)

    Entry.objects.filter(trainee=alice).delete()
    dops(alice, bob, tfesi, 5)
    progress = read(course.enrollment)
    assert req(progress, "dops").done == 1
    for key in ("tfesi", "autonomous", "recent", "observed"):
        assert (req(progress, key).done, req(progress, key).pending) == (0, 0), key


# --- Stages: gating, percent, missing words -----------------------------------------------


def meet_stage_1(alice, bob, tfesi):
    """Three TFESIs rated 4 with PRP, performed today, and one DOPS rated 4."""
    for _ in range(3):
        log(alice, bob, autonomy=4, injectates=["prp"])
    dops(alice, bob, tfesi, 4)


def test_a_stage_is_not_complete_while_the_stage_before_it_is_not(course, alice, bob):
    observe_mbb(alice, bob)
    progress = read(course.enrollment)
    basics, beyond = progress.stages
    assert beyond.requirements_met
    assert not beyond.complete
    assert not basics.complete
    assert progress.current_stage is basics
    assert basics.current and not beyond.current
    assert not progress.complete


def test_meeting_every_stage_completes_the_program(course, alice, bob, tfesi):
    observe_mbb(alice, bob)
    meet_stage_1(alice, bob, tfesi)
    progress = read(course.enrollment)
    assert [s.complete for s in progress.stages] == [True, True]
    assert progress.current_stage is None
    assert progress.complete
    assert progress.percent == 100
    assert all(r.missing == "" for s in progress.stages for r in s.requirements)


def test_stage_one_met_alone_moves_the_current_stage_to_stage_two(course, alice, bob, tfesi):
    meet_stage_1(alice, bob, tfesi)
    progress = read(course.enrollment)
    basics, beyond = progress.stages
    assert basics.complete and not beyond.complete
    assert progress.current_stage is beyond
    assert (basics.percent, beyond.percent, progress.percent) == (100, 0, 90)


def test_percent_and_missing_words_say_what_is_left(course, alice, bob):
    log(alice, bob)  # counts for tfesi (1 of 3) and recent (1 of 1)
    progress = read(course.enrollment)
    basics, beyond = progress.stages
    assert [r.percent for r in basics.requirements] == [33, 0, 100, 0, 0]
    assert basics.percent == 22  # 2 of 9
    assert beyond.percent == 0
    assert progress.percent == 20  # 2 of 10
    assert [r.missing for r in basics.requirements] == [
        "2 more lumbar transforaminal epidurals under fluoroscopy, signed off",
        "2 more independent lumbar transforaminal epidurals under fluoroscopy, "
        "rated 4 or higher, signed off",
        "",
        "2 more orthobiologic injections, signed off",
        "1 more DOPS on a transforaminal epidural, rated 4 or higher",
    ]
    assert [r.missing for r in beyond.requirements] == [
        "1 more lumbar medial branch blocks observed, signed off"
    ]


def test_entries_beyond_the_required_number_do_not_fill_other_bars(course, alice, bob):
    for _ in range(9):
        log(alice, bob)
    progress = read(course.enrollment)
    tfesi = req(progress, "tfesi")
    assert (tfesi.done, tfesi.counted, tfesi.percent, tfesi.remaining) == (9, 3, 100, 0)
    assert progress.stages[0].percent == 44  # tfesi 3 + recent 1 of 9, not 9 + 1
    assert progress.percent == 40


# --- Stored counts -----------------------------------------------------------------------------


def test_a_first_read_stores_one_count_per_requirement(course, alice, bob):
    log(alice, bob)
    log(alice, bob, status=Entry.Status.SUBMITTED)
    assert not ProgressSnapshot.objects.filter(enrollment=course.enrollment).exists()
    read(course.enrollment)
    snapshot = ProgressSnapshot.objects.get(enrollment=course.enrollment)
    assert snapshot.computed_on == timezone.localdate()
    today = timezone.localdate().toordinal()
    assert snapshot.counts == {
        str(course.reqs["tfesi"].pk): [1, 1],
        str(course.reqs["autonomous"].pk): [0, 1],
        # A recency window keeps its counts per day performed.
        str(course.reqs["recent"].pk): {"d": [[today, 1]], "p": [[today, 1]]},
        str(course.reqs["orthobiologic"].pk): [0, 0],
        str(course.reqs["dops"].pk): [0, 0],
        str(course.reqs["observed"].pk): [0, 0],
    }
    course.enrollment.refresh_from_db()
    assert snapshot.record_version == course.enrollment.record_version > 0


def test_a_write_behind_the_services_back_is_seen_on_the_next_read(course, alice, bob):
    log(alice, bob)
    assert done(course.enrollment, "tfesi") == 1
    log(alice, bob)  # EntryFactory: a plain INSERT, no service, nothing to remember
    assert done(course.enrollment, "tfesi") == 2
    log(alice, bob, status=Entry.Status.SUBMITTED)
    assert req(read(course.enrollment), "tfesi").pending == 1
    Entry.objects.filter(status=Entry.Status.SUBMITTED).update(
        guidance="ct", fluoro_time_s=None, dap=None
    )
    assert req(read(course.enrollment), "tfesi").pending == 0  # fluoroscopy only


def test_a_raw_sql_write_is_seen_on_the_next_read(course, alice, bob):
    entry = log(alice, bob, status=Entry.Status.SUBMITTED)
    assert req(read(course.enrollment), "tfesi").pending == 1
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM procedures_entry WHERE id = %s", [entry.pk])
    assert req(read(course.enrollment), "tfesi").pending == 0


def test_an_assessment_written_anyhow_is_seen_on_the_next_read(course, alice, bob, tfesi):
    assert req(read(course.enrollment), "dops").done == 0
    dops(alice, bob, tfesi, 5)
    assert req(read(course.enrollment), "dops").done == 1
    ObservedAssessment.objects.filter(trainee=alice).update(rating=3)
    assert req(read(course.enrollment), "dops").done == 0


def test_the_next_day_reuses_stored_counts_and_the_window_still_moves(course, alice, bob):
    log(alice, bob, performed_on=timezone.localdate() - timedelta(days=30))
    log(alice, bob)
    assert done(course.enrollment, "recent") == 2
    snapshot = ProgressSnapshot.objects.get(enrollment=course.enrollment)
    tomorrow = timezone.localdate() + timedelta(days=1)
    assert done(course.enrollment, "recent", today=tomorrow) == 1  # one fell out
    assert done(course.enrollment, "tfesi", today=tomorrow) == 2
    in_a_month = timezone.localdate() + timedelta(days=31)
    assert done(course.enrollment, "recent", today=in_a_month) == 0
    # Nothing was recomputed: the same row, computed on the first day.
    again = ProgressSnapshot.objects.get(enrollment=course.enrollment)
    assert (again.pk, again.computed_on, again.counts) == (
        snapshot.pk,
        snapshot.computed_on,
        snapshot.counts,
    )


def test_counts_from_a_later_day_are_not_trusted_on_an_earlier_one(course, alice, bob):
    log(alice, bob)
    assert done(course.enrollment, "tfesi") == 1
    ProgressSnapshot.objects.update(computed_on=timezone.localdate() + timedelta(days=1))
    assert done(course.enrollment, "tfesi") == 1
    assert set(ProgressSnapshot.objects.values_list("computed_on", flat=True)) == {
        timezone.localdate()
    }


def test_signing_off_through_the_service_updates_the_next_read(course, alice, bob):
    log(alice, bob)
    entry = log(alice, bob, status=Entry.Status.SUBMITTED)
    before = read(course.enrollment)
    assert (req(before, "tfesi").done, req(before, "tfesi").pending) == (1, 1)
    assert req(before, "autonomous").done == 0

    entry_sign_off(entry_id=entry.pk, supervisor=bob, autonomy=4)

    after = read(course.enrollment)
    assert (req(after, "tfesi").done, req(after, "tfesi").pending) == (2, 0)
    assert req(after, "autonomous").done == 1


def test_returning_through_the_service_takes_the_entry_out_of_pending(course, alice, bob):
    entry = log(alice, bob, status=Entry.Status.SUBMITTED)
    assert req(read(course.enrollment), "tfesi").pending == 1
    entry_return(entry_id=entry.pk, supervisor=bob, comment="Which level?")
    tfesi = req(read(course.enrollment), "tfesi")
    assert (tfesi.done, tfesi.pending) == (0, 0)


def test_reloading_a_changed_curriculum_recomputes_stored_counts(program, alice, bob, tmp_path):
    enrollment = Enrollment.objects.get(trainee=alice, program=program)
    log(alice, bob, guidance="ct")
    assert done(enrollment, "lumbar-tfesi") == 0  # fluoroscopy only
    assert ProgressSnapshot.objects.filter(enrollment=enrollment).exists()

    text = DEFAULT_PATH.read_text(encoding="utf-8")
    old = 'procedure_types = ["lumbar-tfesi"]\nmodalities = ["fluoroscopy"]\n'
    assert text.count(old) == 1
    changed = tmp_path / "curriculum.toml"
    changed.write_text(
        text.replace(
            old, 'procedure_types = ["lumbar-tfesi"]\nmodalities = ["fluoroscopy", "ct"]\n'
        ),
        encoding="utf-8",
    )
    load_curriculum(changed)

    assert done(enrollment, "lumbar-tfesi") == 1
    program.refresh_from_db()
    snapshot = ProgressSnapshot.objects.get(enrollment=enrollment)
    assert snapshot.curriculum_version == program.curriculum_version


def test_reloading_an_unchanged_curriculum_keeps_stored_counts(program, alice):
    enrollment = Enrollment.objects.get(trainee=alice, program=program)
    read(enrollment)
    rows = list(ProgressSnapshot.objects.order_by("pk").values())
    assert rows
    load_curriculum()
    assert list(ProgressSnapshot.objects.order_by("pk").values()) == rows


# --- Bounded queries -------------------------------------------------------------------------


def bulk_entries(trainee, supervisor, procedure, n, **fields):
    Entry.objects.bulk_create(
        [
            EntryFactory.build(
                trainee=trainee,
                supervisor=supervisor,
                procedure=procedure,
                status=SIGNED_OFF,
                autonomy=4,
                **fields,
            )
            for _ in range(n)
        ]
    )


# Cold (no snapshot, curriculum not cached) for one enrollment of the small course:
# 1 versions and snapshots + 4 structure (stages, requirements, their procedure types, their
# injectates) + 4 counts (entries grouped, the entries with a listed injectate, entries per
# day for the recency window, assessments grouped) + savepoint + 1 insert replacing the
# stored counts + release savepoint = 12.
COLD_ONE = 12
# The default program has no recency window (one aggregate fewer), a requirement of
# completed block series and one of measured stress examinations (one query more each:
# tests/curriculum/test_block_series_progress.py, tests/procedures/test_stress_exams.py).
COLD_DEFAULT = COLD_ONE - 1 + 2
# Warm (fresh snapshot, curriculum cached): 1 versions and snapshots.
WARM = 1


def test_queries_for_one_trainee_do_not_grow_with_entries(course, alice, bob, tfesi):
    enrollment = course.enrollment
    bulk_entries(alice, bob, tfesi, 20)
    assert (num_queries([enrollment], cold=True), num_queries([enrollment])) == (COLD_ONE, WARM)
    assert done(enrollment, "tfesi") == 20

    bulk_entries(alice, bob, tfesi, 1980)
    assert (num_queries([enrollment], cold=True), num_queries([enrollment])) == (COLD_ONE, WARM)
    assert done(enrollment, "tfesi") == 2000


def cohort(program, supervisor, n) -> list[Enrollment]:
    knee = ProcedureType.objects.get(slug="knee-joint")
    enrollments = []
    for _ in range(n):
        trainee = UserFactory()
        enrollment = Enrollment.objects.create(
            trainee=trainee, program=program, start_date=timezone.localdate()
        )
        enrollment.supervisors.add(supervisor)
        bulk_entries(trainee, supervisor, knee, 3, side="left", levels="")
        enrollments.append(enrollment)
    return enrollments


def test_cohort_queries_with_stored_counts_do_not_grow_with_trainees(program, bob):
    few, many = cohort(program, bob, 2), cohort(program, bob, 20)
    progress_for(few + many)
    assert (num_queries(few), num_queries(many)) == (WARM, WARM)


def test_cohort_queries_without_stored_counts_do_not_grow_with_trainees(program, bob):
    few, many = cohort(program, bob, 2), cohort(program, bob, 20)
    # Cold, as on the first read of a day: as many queries as for one enrollment.
    assert (num_queries(few, cold=True), num_queries(many, cold=True)) == (
        COLD_DEFAULT,
        COLD_DEFAULT,
    )


# --- The default program ---------------------------------------------------------------------


def test_a_new_trainee_starts_at_foundations_with_nothing_done(program, alice):
    enrollment = Enrollment.objects.get(trainee=alice, program=program)
    progress = read(enrollment)
    assert len(progress.stages) == 5
    assert progress.current_stage is progress.stages[0]
    assert progress.current_stage.stage.name == "Foundations: safety, anatomy and ultrasound"
    assert progress.percent == 0
    assert progress.current_stage.percent == 0
    assert not progress.complete
    assert [r.missing for r in progress.current_stage.requirements] == [
        "20 more diagnostic MSK ultrasound examinations, signed off",
        "15 more ultrasound-guided large-joint injections, signed off",
        "10 more spine procedures observed, signed off",
        "1 more radiation-safety DOPS under fluoroscopy",
    ]
    assert (
        req(progress, "lumbar-tfesi").missing
        == "20 more lumbar transforaminal epidurals under fluoroscopy, signed off"
    )
