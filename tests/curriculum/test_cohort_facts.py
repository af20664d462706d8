"""Cohort's stored facts from the logbook (curriculum.cohort_facts): the flagged
ablations and the safety bundle's compliance are the functions' own, and follow the
record, the catalogue and the program's block threshold."""

from django.utils import timezone

from curriculum.cohort_facts import cohort_facts
from curriculum.models import CohortFacts
from procedures.models import Entry, Injectate
from procedures.safety import bundle_compliance
from procedures.series import flagged_ablation_counts
from programs.models import BlockThreshold, Enrollment, Program
from tests.factories import EntryFactory


def bundle_case(trainee, supervisor, **fields):
    checks = {
        "live_contrast": True,
        "dsa": True,
        "contrast_pattern": "epidural",
        "images_retained": True,
    }
    return EntryFactory(
        trainee=trainee,
        supervisor=supervisor,
        status=Entry.Status.SIGNED_OFF,
        submitted_at=timezone.now(),
        **(checks | fields),
    )


def facts(*trainees):
    enrollments = list(Enrollment.objects.filter(trainee__in=trainees))
    return cohort_facts(enrollments)


def expected(*trainees):
    ids = [t.pk for t in trainees]
    return flagged_ablation_counts(ids), bundle_compliance(ids)


def test_the_stored_facts_are_the_functions_and_follow_the_record(alice, bob, charlie, dave):
    bundle_case(alice, bob)
    bundle_case(charlie, dave, live_contrast=False)
    flagged, bundles = facts(alice, charlie)
    assert (flagged, bundles) == (
        {alice.pk: 0, charlie.pk: 0},
        expected(alice, charlie)[1],
    )
    assert CohortFacts.objects.count() == 2
    bundle_case(alice, bob, dsa=False)  # a new case: alice's record version moves
    assert facts(alice, charlie)[1] == expected(alice, charlie)[1]
    assert facts(alice)[1][alice.pk].cases == 2


def test_a_catalogue_change_and_the_block_threshold_recompute_them(alice, bob, program):
    bundle_case(alice, bob)
    facts(alice)
    stored = CohortFacts.objects.get()
    Injectate.objects.filter(slug="lidocaine").update(name="Lidocaine 1%")
    facts(alice)
    assert CohortFacts.objects.get().curriculum_version > stored.curriculum_version
    Program.objects.filter(pk=program.pk).update(block_threshold=BlockThreshold.HALF)
    facts(alice)
    assert CohortFacts.objects.get().block_threshold == BlockThreshold.HALF
