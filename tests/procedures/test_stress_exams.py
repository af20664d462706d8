"""Stress ultrasound as data (issue 11, point 3): the finding from the side-to-side
difference, the injection it justifies and the flag without one, the form's checks, the
requirement that counts measured examinations, and where it all shows."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from curriculum.models import Requirement
from curriculum.progress import progress_for
from procedures.models import Entry, ProcedureType, StressStructure
from procedures.services import content_hash
from procedures.stress import NO_EXAM, Finding, exam_flags, finding, side_to_side
from programs.models import Enrollment
from tests.factories import EntryFactory, password_just_typed

D = Decimal


def exam(trainee, supervisor, structure="shoulder-posterior-translation", *, days_ago=10, **f):
    """A submitted stress examination, measured (lax by default: 4 mm more than the other)."""
    f.setdefault("status", Entry.Status.SUBMITTED)
    if f["status"] != Entry.Status.DRAFT:
        f.setdefault("submitted_at", timezone.now())
    measures = {"rest_mm": D("5"), "stress_mm": D("12"), "other_rest_mm": D("5"), **f}
    measures.setdefault("other_stress_mm", D("8"))
    return EntryFactory(
        trainee=trainee,
        supervisor=supervisor,
        procedure=ProcedureType.objects.get(slug="stress-ultrasound-exam"),
        guidance="ultrasound",
        fluoro_time_s=None,
        dap=None,
        levels="",
        purpose=Entry.Purpose.DIAGNOSTIC,
        side=measures.pop("side", "right"),
        performed_on=timezone.localdate() - timedelta(days=days_ago),
        stress_structure=StressStructure.objects.get(slug=structure),
        **measures,
    )


def injection(trainee, supervisor, slug="shoulder-labrum", **f):
    f.setdefault("status", Entry.Status.SUBMITTED)
    if f["status"] != Entry.Status.DRAFT:
        f.setdefault("submitted_at", timezone.now())
    f.setdefault("side", "right")
    return EntryFactory(
        trainee=trainee,
        supervisor=supervisor,
        procedure=ProcedureType.objects.get(slug=slug),
        guidance="ultrasound",
        fluoro_time_s=None,
        dap=None,
        levels="",
        **f,
    )


# --- the finding -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("other_stress", "expected"),
    [
        (D("8.0"), Finding.LAX),  # (12 − 5) − (8 − 5) = 4 mm ≥ 3
        (D("9.0"), Finding.LAX),  # 3 mm: at the threshold is lax
        (D("9.1"), Finding.STABLE),  # 2.9 mm
        (D("12.0"), Finding.STABLE),  # no difference
    ],
)
def test_the_finding_is_the_side_to_side_difference_against_the_threshold(
    alice, bob, other_stress, expected
):
    entry = exam(alice, bob, other_stress_mm=other_stress)
    assert finding(entry, D("3.0")) == expected


def test_each_structure_has_its_own_threshold(alice, bob):
    # 3.0 mm more medial gapping: stable for the MCL (3.2), lax for the LCL (2.7).
    entry = exam(alice, bob, "knee-mcl", other_stress_mm=D("9"))
    assert side_to_side(entry) == D("3.0")
    assert finding(entry, entry.stress_structure.threshold_mm) == Finding.STABLE
    lcl = StressStructure.objects.get(slug="knee-lcl")
    assert finding(entry, lcl.threshold_mm) == Finding.LAX


def test_no_finding_until_the_four_measurements_are_in(alice, bob):
    entry = exam(alice, bob, other_stress_mm=None)
    assert side_to_side(entry) is None and finding(entry, D("3")) is None


# --- the injection it justifies ---------------------------------------------------------------


def test_a_labrum_injection_with_an_exam_of_that_joint_and_side_is_not_flagged(alice, bob):
    exam(alice, bob, days_ago=30)
    assert exam_flags([injection(alice, bob)]) == {}


@pytest.mark.parametrize(
    "the_exam",
    [
        {"days_ago": 91},  # too long before
        {"side": "left"},  # the other shoulder
        {"structure": "knee-mcl"},  # another joint
        {"days_ago": -2},  # after the injection
        {"status": Entry.Status.DRAFT},  # not yet in the record
    ],
)
def test_a_labrum_injection_without_a_covering_exam_is_flagged(alice, bob, the_exam):
    exam(alice, bob, **the_exam)
    shot = injection(alice, bob)
    assert exam_flags([shot]) == {shot.pk: NO_EXAM}


def test_an_exam_of_both_sides_covers_either(alice, bob):
    exam(alice, bob, side="bilateral")
    assert exam_flags([injection(alice, bob, side="left")]) == {}


def test_a_ligament_injection_needs_a_knee_exam_and_other_injections_none(alice, bob):
    knee = injection(alice, bob, "knee-ligament")
    joint = injection(alice, bob, "knee-joint")
    assert exam_flags([knee, joint]) == {knee.pk: NO_EXAM}
    exam(alice, bob, "knee-mcl")
    assert exam_flags([knee, joint]) == {}


def test_another_trainees_exam_covers_nothing(alice, bob, charlie, dave):
    exam(charlie, dave)
    assert len(exam_flags([injection(alice, bob)])) == 1


def test_flags_of_a_page_cost_one_query(alice, bob, django_assert_num_queries):
    entries = [injection(alice, bob) for _ in range(15)]
    for days in range(15):
        exam(alice, bob, days_ago=days + 100)
    with django_assert_num_queries(1):
        assert len(exam_flags(entries)) == 15


# --- the form ------------------------------------------------------------------------------------


def post(alice, bob, slug, **fields):
    data = {
        "performed_on": timezone.localdate().isoformat(),
        "procedure": ProcedureType.objects.get(slug=slug).pk,
        "guidance": "ultrasound",
        "side": "right",
        "purpose": "diagnostic",
        "role": "3",
        "supervisor": bob.pk,
        "complication": "none",
        "action": "draft",
    }
    return {**data, **{k: str(v) for k, v in fields.items()}}


def test_the_form_records_an_examination_and_the_page_shows_its_finding(client, alice, bob):
    client.force_login(alice)
    structure = StressStructure.objects.get(slug="shoulder-posterior-translation")
    data = post(
        alice,
        bob,
        "stress-ultrasound-exam",
        stress_structure=structure.pk,
        rest_mm="4.5",
        stress_mm="11",
        other_rest_mm="4.5",
        other_stress_mm="7",
    )
    assert client.post(reverse("procedures:entry_create"), data).status_code == 302
    entry = Entry.objects.get()
    page = client.get(entry.get_absolute_url()).content.decode()
    assert "Side-to-side difference <strong>4.0 mm</strong>: lax (lax from 3.0 mm)" in page
    assert "no consensus value" in page  # the threshold's source


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"rest_mm": "51"}, "rest_mm", "from 0 to 50 mm"),
        ({"stress_mm": "-1"}, "stress_mm", "from 0 to 50 mm"),
        ({"other_rest_mm": "abc"}, "other_rest_mm", "must be a number"),
        ({"rest_mm": "5"}, "stress_structure", "Choose the structure examined"),
    ],
)
def test_bad_measurements_are_refused_on_their_field(client, alice, bob, fields, field, words):
    client.force_login(alice)
    response = client.post(
        reverse("procedures:entry_create"), post(alice, bob, "stress-ultrasound-exam", **fields)
    )
    assert words in " ".join(response.context["form"].errors[field])
    assert not Entry.objects.exists()


def test_measurements_on_another_procedure_are_refused(client, alice, bob):
    client.force_login(alice)
    response = client.post(
        reverse("procedures:entry_create"), post(alice, bob, "knee-joint", rest_mm="5")
    )
    assert "Only for a stress ultrasound examination" in response.content.decode()


def test_an_injection_names_the_exam_of_its_joint(client, alice, bob):
    client.force_login(alice)
    shoulder = exam(alice, bob)
    knee = exam(alice, bob, "knee-mcl")
    url = reverse("procedures:entry_create")
    response = client.post(url, post(alice, bob, "shoulder-labrum", exam=knee.pk))
    assert "That examination is of the knee" in response.content.decode()
    response = client.post(url, post(alice, bob, "knee-joint", exam=knee.pk))
    assert "is not justified by a stress examination" in response.content.decode()
    assert (
        client.post(url, post(alice, bob, "shoulder-labrum", exam=shoulder.pk)).status_code == 302
    )
    entry = Entry.objects.get(procedure__slug="shoulder-labrum")
    assert entry.exam == shoulder
    page = client.get(entry.get_absolute_url()).content.decode()
    assert "Justified by" in page and "Teaching flag" not in page


def test_the_signature_covers_the_measurements_and_the_exam(alice, bob):
    entry = exam(alice, bob)
    before = content_hash(entry)
    entry.stress_mm = D("13")
    assert content_hash(entry) != before
    shot = injection(alice, bob)
    before = content_hash(shot)
    shot.exam = entry
    assert content_hash(shot) != before


# --- where it shows --------------------------------------------------------------------------------


def test_the_supervisor_sees_the_flag_in_the_queue(client, alice, bob):
    flagged = injection(alice, bob)
    client.force_login(bob)
    password_just_typed(client)
    page = client.get(reverse("procedures:signoff_queue")).content.decode()
    start = page.index(f'id="entry-{flagged.pk}"')
    assert "Teaching flag</span> " + NO_EXAM.label in page[start:]


def test_the_csv_carries_the_measurements_and_the_finding(client, alice, bob):
    import csv
    import io

    the_exam = exam(alice, bob)
    injection(alice, bob, exam=the_exam)
    client.force_login(alice)
    text = client.get(reverse("curriculum:my_logbook_csv")).content.decode("utf-8-sig")
    rows = {r["Procedure"]: r for r in csv.DictReader(io.StringIO(text))}
    row = rows["Stress ultrasound instability examination"]
    assert row["Structure examined (stress ultrasound)"] == "Shoulder: posterior translation"
    assert (row["Side-to-side difference (mm)"], row["Finding"]) == ("4.0", "Lax")
    assert rows["Posterior shoulder labrum injection"][
        "Justified by the stress examination of"
    ] == (the_exam.performed_on.isoformat())


def test_the_requirement_counts_measured_examinations_only(alice, bob):
    from procedures import services

    requirement = Requirement.objects.get(key="stress-ultrasound")
    assert requirement.kind == Requirement.Kind.STRESS_EXAMS
    measured = exam(alice, bob)
    exam(alice, bob, other_stress_mm=None)  # not measured: never counts
    pending = exam(alice, bob)
    services.entry_sign_off(entry_id=measured.pk, supervisor=bob, autonomy=4)
    enrollment = Enrollment.objects.get(trainee=alice)
    progress = progress_for([enrollment])[enrollment.pk]
    found = next(
        r for s in progress.stages for r in s.requirements if r.requirement.pk == requirement.pk
    )
    assert (found.done, found.pending) == (1, 1)
    assert pending.pk


def test_the_portfolio_shows_the_finding_and_the_justification(client, alice, bob):
    from procedures import services

    the_exam = exam(alice, bob)
    shot = injection(alice, bob, exam=the_exam)
    services.entry_sign_off(entry_id=the_exam.pk, supervisor=bob, autonomy=4)
    services.entry_sign_off(entry_id=shot.pk, supervisor=bob, autonomy=4)
    client.force_login(alice)
    page = client.get(reverse("curriculum:my_portfolio")).content.decode()
    assert "Shoulder: posterior translation: lax (4.0 mm side to side)" in page
    assert "Justified by the stress examination of" in page


def test_an_injection_names_an_exam_of_its_side(client, alice, bob):
    client.force_login(alice)
    left = exam(alice, bob, side="left")
    response = client.post(
        reverse("procedures:entry_create"), post(alice, bob, "shoulder-labrum", exam=left.pk)
    )
    assert "That examination is of the left side" in response.content.decode()
