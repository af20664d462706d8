"""The DOPS loop (issue 10, point 5): a DOPS counts for the one requirement it was recorded
against; the form offers only the program's DOPS requirements that match, and says which.

In the default program a lumbar medial branch block under fluoroscopy matches two DOPS
requirements: "Radiation-safety DOPS under fluoroscopy" (stage 1, any procedure) and "DOPS
on a lumbar medial branch block, rated 4 or higher" (stage 2). It used to fill both.
"""

import importlib

import pytest
from django.apps import apps
from django.urls import reverse
from django.utils import timezone

from curriculum.models import ObservedAssessment, ProgressSnapshot, Requirement, Stage
from curriculum.progress import progress_for
from procedures.models import Entry, ProcedureType
from programs.models import Enrollment, Program
from tests.factories import EntryFactory

RADIATION = "radiation-safety-dops"
MBB = "lumbar-mbb-dops"


def enrollment_of(user):
    return Enrollment.objects.get(trainee=user)


def requirement(key) -> Requirement:
    return Requirement.objects.get(key=key, stage__program__slug="interventional-orthopedics")


def mbb():
    return ProcedureType.objects.get(slug="lumbar-mbb")


def dops(trainee, assessor, *, rating=4, procedure=None, guidance="fluoroscopy", **fields):
    return ObservedAssessment.objects.create(
        trainee=trainee,
        assessor=assessor,
        procedure=procedure or mbb(),
        guidance=guidance,
        rating=rating,
        observed_on=timezone.localdate(),
        **fields,
    )


def done(trainee) -> dict[str, int]:
    enrollment = enrollment_of(trainee)
    progress = progress_for([enrollment])[enrollment.pk]
    return {
        r.requirement.key: r.done
        for s in progress.stages
        for r in s.requirements
        if r.requirement.kind == Requirement.Kind.ASSESSMENTS
    }


def other_program_requirement() -> Requirement:
    other = Program.objects.create(slug="other", name="Other program")
    stage = Stage.objects.create(program=other, key="one", order=1, name="One")
    r = Requirement.objects.create(
        stage=stage,
        key="any-dops",
        name="Any DOPS",
        kind=Requirement.Kind.ASSESSMENTS,
        any_procedure=True,
        min_count=1,
    )
    return r


# --- Counting -----------------------------------------------------------------------------------


@pytest.mark.parametrize("key", [RADIATION, MBB])
def test_a_dops_counts_only_for_the_requirement_it_was_recorded_against(alice, bob, key):
    dops(alice, bob, rating=5, requirement=requirement(key))
    counts = done(alice)
    assert counts[key] == 1
    assert sum(counts.values()) == 1


def test_a_dops_without_a_requirement_counts_once_for_the_most_specific(alice, bob):
    dops(alice, bob, rating=4)  # matches both: the named procedure wins
    assert done(alice)[MBB] == 1
    assert done(alice)[RADIATION] == 0


def test_a_dops_without_a_requirement_rated_below_one_counts_for_the_other(alice, bob):
    dops(alice, bob, rating=3)  # below the 4 the MBB DOPS asks: the radiation-safety one
    assert done(alice)[MBB] == 0
    assert done(alice)[RADIATION] == 1


def test_a_dops_recorded_against_a_requirement_rated_too_low_counts_for_nothing(alice, bob):
    dops(alice, bob, rating=3, requirement=requirement(MBB))
    assert sum(done(alice).values()) == 0


def test_a_dops_recorded_against_another_programs_requirement_counts_for_nothing(alice, bob):
    dops(alice, bob, rating=5, requirement=other_program_requirement())
    assert sum(done(alice).values()) == 0


def test_changing_a_dops_requirement_moves_its_count(alice, bob):
    assessment = dops(alice, bob, rating=5, requirement=requirement(MBB))
    assert done(alice)[MBB] == 1
    ObservedAssessment.objects.filter(pk=assessment.pk).update(requirement=requirement(RADIATION))
    assert (done(alice)[MBB], done(alice)[RADIATION]) == (0, 1)


# --- The migration of existing rows -------------------------------------------------------------


def test_the_migration_gives_existing_dops_their_requirement_only_where_unambiguous(alice, bob):
    knee = ProcedureType.objects.get(slug="bone-marrow-aspiration")
    guidance = knee.modalities[0]
    ambiguous = dops(alice, bob)  # lumbar MBB under fluoroscopy: two requirements match
    clear = dops(alice, bob, procedure=knee, guidance=guidance)
    done(alice)  # a stored snapshot, counted by the old rule
    assert ProgressSnapshot.objects.exists()
    migration = importlib.import_module("curriculum.migrations.0009_dops_requirement")
    migration.assign_unambiguous(apps, None)
    ambiguous.refresh_from_db()
    clear.refresh_from_db()
    assert ambiguous.requirement is None
    assert clear.requirement == requirement("bma-dops")
    assert not ProgressSnapshot.objects.exists()


# --- The form -----------------------------------------------------------------------------------


def form_url(trainee, entry=None) -> str:
    url = reverse("curriculum:assessment_create", args=[enrollment_of(trainee).pk])
    return f"{url}?entry={entry.pk}" if entry else url


def dops_data(**overrides):
    data = {
        "observed_on": timezone.localdate().isoformat(),
        "procedure": mbb().pk,
        "guidance": "fluoroscopy",
        "rating": "4",
        "comments": "Good views.",
    }
    return {**data, **overrides}


def test_the_form_offers_only_the_programs_dops_requirements(client, alice, bob):
    other = other_program_requirement()
    client.force_login(bob)
    form = client.get(form_url(alice)).context["form"]
    offered = list(form.fields["requirement"].queryset)
    program = enrollment_of(alice).program
    assert offered == list(
        Requirement.objects.filter(stage__program=program, kind=Requirement.Kind.ASSESSMENTS)
    )
    assert other not in offered
    assert len(offered) == 4  # radiation safety, MBB, TFESI, bone marrow aspiration


def test_the_dops_saves_the_requirement_chosen(client, alice, bob):
    client.force_login(bob)
    response = client.post(form_url(alice), dops_data(requirement=requirement(RADIATION).pk))
    assert response.status_code == 302
    assert ObservedAssessment.objects.get().requirement == requirement(RADIATION)
    assert done(alice) == {**dict.fromkeys(done(alice), 0), RADIATION: 1}


def test_a_requirement_that_does_not_match_is_refused_on_its_field(client, alice, bob):
    client.force_login(bob)
    response = client.post(form_url(alice), dops_data(requirement=requirement("tfesi-dops").pk))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "does not count a DOPS of Lumbar medial branch block under Fluoroscopy" in str(
        errors["requirement"]
    )
    assert not ObservedAssessment.objects.exists()


@pytest.mark.parametrize("value", ["other-program", "an entries requirement", "x", "99999999"])
def test_a_requirement_from_elsewhere_is_not_a_valid_choice(client, alice, bob, value):
    if value == "other-program":
        value = other_program_requirement().pk
    elif value == "an entries requirement":
        value = requirement("lumbar-mbb").pk
    client.force_login(bob)
    response = client.post(form_url(alice), dops_data(requirement=value))
    assert response.status_code == 200
    assert "Select a valid choice" in str(response.context["form"].errors["requirement"])
    assert not ObservedAssessment.objects.exists()


def test_no_requirement_chosen_takes_the_preferred_and_says_so(client, alice, bob):
    client.force_login(bob)
    response = client.post(form_url(alice), dops_data(), follow=True)
    assert ObservedAssessment.objects.get().requirement == requirement(MBB)
    assert "It counts for “DOPS on a lumbar medial branch block, rated 4 or higher”." in (
        response.content.decode()
    )


def test_a_rating_below_the_minimum_is_recorded_and_said_not_to_count(client, alice, bob):
    client.force_login(bob)
    response = client.post(
        form_url(alice), dops_data(rating="3", requirement=requirement(MBB).pk), follow=True
    )
    assert ObservedAssessment.objects.get().requirement == requirement(MBB)
    assert "Rated 3, below the 4 that" in response.content.decode()


def test_when_no_requirement_matches_the_dops_counts_for_none_and_the_form_says_so(
    client, alice, bob
):
    knee = ProcedureType.objects.get(slug="knee-joint")
    client.force_login(bob)
    response = client.post(
        form_url(alice), dops_data(procedure=knee.pk, guidance="ultrasound"), follow=True
    )
    assert ObservedAssessment.objects.get().requirement is None
    assert "It counts for no requirement" in response.content.decode()
    assert sum(done(alice).values()) == 0


def test_the_form_carries_the_requirements_for_its_script(client, alice, bob):
    client.force_login(bob)
    response = client.get(form_url(alice))
    body = response.content.decode()
    assert 'id="dops-requirements"' in body
    assert "js/dops_form.js" in body
    assert 'id="dops-counts-for"' in body
    data = response.context["requirement_data"]
    radiation = next(d for d in data if d["id"] == requirement(RADIATION).pk)
    assert radiation == {
        "id": requirement(RADIATION).pk,
        "any": True,
        "types": [],
        "modalities": ["fluoroscopy"],
        "min_rating": None,
    }


# --- Record a DOPS from an entry ----------------------------------------------------------------


def test_the_form_opened_from_an_entry_is_prefilled(client, alice, bob):
    entry = EntryFactory(
        trainee=alice,
        supervisor=bob,
        procedure=mbb(),
        levels="L4–L5",
        status=Entry.Status.SUBMITTED,
        submitted_at=timezone.now(),
        performed_on=timezone.localdate() - timezone.timedelta(days=3),
    )
    client.force_login(bob)
    response = client.get(form_url(alice, entry))
    assert response.status_code == 200
    initial = response.context["form"].initial
    assert initial["entry"] == entry.pk
    assert initial["procedure"] == mbb().pk
    assert initial["guidance"] == "fluoroscopy"
    assert initial["observed_on"] == entry.performed_on
    assert initial["requirement"] == requirement(MBB).pk
    body = response.content.decode()
    assert "This DOPS will count for “DOPS on a lumbar medial branch block" in body
    assert f'href="{entry.get_absolute_url()}"' in body


@pytest.mark.parametrize("whose", ["charlie", "draft"])
def test_an_entry_of_someone_else_or_a_draft_prefills_nothing_404(
    client, alice, bob, charlie, dave, whose
):
    if whose == "charlie":
        entry = EntryFactory(
            trainee=charlie,
            supervisor=dave,
            status=Entry.Status.SUBMITTED,
            submitted_at=timezone.now(),
        )
    else:
        entry = EntryFactory(trainee=alice, supervisor=bob)
    client.force_login(bob)
    assert client.get(form_url(alice, entry)).status_code == 404


@pytest.mark.parametrize("retired", ["requirement", "stage"])
def test_a_retired_requirement_is_neither_offered_nor_accepted(client, alice, bob, retired):
    target = requirement(MBB)
    if retired == "requirement":
        Requirement.objects.filter(pk=target.pk).update(active=False)
    else:
        Stage.objects.filter(pk=target.stage_id).update(active=False)
    client.force_login(bob)
    assert target not in client.get(form_url(alice)).context["form"].fields["requirement"].queryset
    response = client.post(form_url(alice), dops_data(requirement=target.pk))
    assert "Select a valid choice" in str(response.context["form"].errors["requirement"])
    assert not ObservedAssessment.objects.exists()


def test_a_dops_cannot_be_linked_to_another_trainees_entry(client, alice, bob, charlie, dave):
    theirs = EntryFactory(
        trainee=charlie, supervisor=dave, status=Entry.Status.SUBMITTED, submitted_at=timezone.now()
    )
    client.force_login(bob)
    response = client.post(form_url(alice), dops_data(entry=theirs.pk))
    assert response.status_code == 200
    assert "Select a valid choice" in str(response.context["form"].errors["entry"])
    assert not ObservedAssessment.objects.exists()
