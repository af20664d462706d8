"""The progress engine counts what its rules say, for any curriculum and any logbook.

Hypothesis makes a one-stage program of random requirements (procedure types or any,
guidance, injectates, minimum role, minimum autonomy or rating, recency window, kind) and a
trainee with random entries (every status) and assessments (recorded against a
requirement or not). The engine's done and pending
counts must equal those of a plain reading of the rules (curriculum.progress's docstring)
over the same objects, one requirement and one entry at a time. Its grouped SQL and its
Python tally are an optimisation; this is what they optimise.
"""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from curriculum.models import ObservedAssessment, Requirement, Stage
from curriculum.progress import progress_for
from procedures.models import Entry, Injectate, Modality, ProcedureType
from programs.models import Enrollment, Program
from tests.factories import UserFactory

TYPES = ["lumbar-tfesi", "lumbar-mbb", "knee-joint"]
DRUGS = ["prp", "bmc", "steroid-particulate"]
STATUSES = [s.value for s in Entry.Status]
LEVELS = {"lumbar": "L4–L5", "spine": "L4–L5", "cervical": "C5–C6", "thoracic": "T7–T8"}

requirements = st.lists(
    st.fixed_dictionaries(
        {
            "kind": st.sampled_from(Requirement.Kind.values),
            "any_procedure": st.booleans(),
            "types": st.sets(st.sampled_from(TYPES)),
            "modalities": st.sets(st.sampled_from(Modality.values)),
            "injectates": st.sets(st.sampled_from(DRUGS), max_size=2),
            "min_role": st.integers(1, 5),
            "min_autonomy": st.none() | st.integers(1, 5),
            "recency_days": st.none() | st.integers(1, 400),
        }
    ),
    min_size=1,
    max_size=5,
)
entries = st.lists(
    st.fixed_dictionaries(
        {
            "procedure": st.sampled_from(TYPES),
            "guidance": st.integers(0, 3),  # an index into the procedure's modalities
            "status": st.sampled_from(STATUSES),
            "role": st.integers(1, 5),
            "autonomy": st.integers(1, 5),
            "injectates": st.sets(st.sampled_from(DRUGS)),
            "days_ago": st.integers(0, 500),
        }
    ),
    max_size=12,
)
assessments = st.lists(
    st.fixed_dictionaries(
        {
            "procedure": st.sampled_from(TYPES),
            "guidance": st.integers(0, 3),
            "rating": st.integers(1, 5),
            "days_ago": st.integers(0, 500),
            # The requirement it was recorded against (an index into the requirements;
            # one that is not a DOPS requirement, or does not match, counts for nothing),
            # or none: recorded before the form asked.
            "requirement": st.none() | st.integers(0, 4),
        }
    ),
    max_size=4,
)


def make_requirements(program, specs, types, drugs):
    stage = Stage.objects.create(program=program, key="only", order=1, name="Only")
    made = []
    for i, spec in enumerate(specs):
        r = Requirement.objects.create(
            stage=stage,
            key=f"r{i}",
            name=f"Requirement {i}",
            order=i,
            kind=spec["kind"],
            any_procedure=spec["any_procedure"],
            modalities=sorted(spec["modalities"]),
            min_count=1,
            min_role=spec["min_role"],
            min_autonomy=spec["min_autonomy"],
            recency_days=spec["recency_days"],
        )
        r.procedure_types.set([types[t] for t in spec["types"]])
        r.injectates.set([drugs[d] for d in spec["injectates"]])
        made.append((r, spec))
    return made


def make_entries(trainee, supervisor, specs, types, drugs, today):
    made = []
    for spec in specs:
        procedure = types[spec["procedure"]]
        guidance = procedure.modalities[spec["guidance"] % len(procedure.modalities)]
        status = spec["status"]
        entry = Entry(
            trainee=trainee,
            supervisor=supervisor,
            procedure=procedure,
            performed_on=today - timedelta(days=spec["days_ago"]),
            guidance=guidance,
            side=procedure.sides[0],
            levels=LEVELS[procedure.region] if procedure.needs_levels else "",
            purpose=Entry.Purpose.THERAPEUTIC,
            role=spec["role"],
            # A signed-off revision's injectates are fixed (a database guard): give them
            # while submitted, then sign.
            status=Entry.Status.SUBMITTED if status == "signed_off" else status,
            fluoro_time_s=Decimal("30") if guidance == Modality.FLUOROSCOPY else None,
        )
        entry.save()
        entry.injectates.set([drugs[d] for d in spec["injectates"]])
        if status == "signed_off":
            Entry.objects.filter(pk=entry.pk).update(status=status, autonomy=spec["autonomy"])
        made.append((spec, guidance))
    return made


def make_assessments(trainee, assessor, specs, types, today, made_requirements):
    made = []
    for spec in specs:
        procedure = types[spec["procedure"]]
        guidance = procedure.modalities[spec["guidance"] % len(procedure.modalities)]
        index = spec["requirement"]
        ObservedAssessment.objects.create(
            trainee=trainee,
            assessor=assessor,
            procedure=procedure,
            guidance=guidance,
            rating=spec["rating"],
            observed_on=today - timedelta(days=spec["days_ago"]),
            requirement=made_requirements[index][0]
            if index is not None and index < len(made_requirements)
            else None,
        )
        made.append((spec, guidance))
    return made


def _alike(spec, item, guidance) -> bool:
    return (spec["any_procedure"] or item["procedure"] in spec["types"]) and (
        not spec["modalities"] or guidance in spec["modalities"]
    )


def counted_for(specs, assessment, guidance) -> int | None:
    """The index of the one requirement an assessment counts for, if any, read from the
    rules: the one it was recorded against; without one, of the DOPS requirements it
    matches, those its rating reaches (or, if none, all), named procedure types first, then
    named guidance, then the first."""
    dops = [(i, s) for i, s in enumerate(specs) if s["kind"] == Requirement.Kind.ASSESSMENTS]
    recorded = assessment["requirement"]
    if recorded is not None and recorded < len(specs):  # beyond them: recorded with none
        return recorded
    matching = [(i, s) for i, s in dops if _alike(s, assessment, guidance)]
    reached = [(i, s) for i, s in matching if assessment["rating"] >= (s["min_autonomy"] or 0)]
    ranked = sorted(
        reached or matching, key=lambda item: (item[1]["any_procedure"], not item[1]["modalities"])
    )
    return ranked[0][0] if ranked else None


def expected(spec, logged, observed, specs=(), index=None):
    """(done, pending) for one requirement (the `index`th of `specs`), read straight from
    the rules."""

    def alike(item, guidance, days_ago):
        return _alike(spec, item, guidance) and (
            spec["recency_days"] is None or days_ago <= spec["recency_days"]
        )

    if spec["kind"] in (Requirement.Kind.BLOCK_SERIES, Requirement.Kind.STRESS_EXAMS):
        # No block responses and no stress measurements are made here: nothing counts,
        # whatever the entries (test_block_series_progress.py and
        # tests/procedures/test_stress_exams.py count real ones).
        return 0, 0
    if spec["kind"] == Requirement.Kind.ASSESSMENTS:
        done = sum(
            1
            for a, guidance in observed
            if counted_for(specs, a, guidance) == index
            and alike(a, guidance, a["days_ago"])
            and (spec["min_autonomy"] is None or a["rating"] >= spec["min_autonomy"])
        )
        return done, 0
    done = pending = 0
    for e, guidance in logged:
        if not (
            alike(e, guidance, e["days_ago"])
            and e["role"] >= spec["min_role"]
            and (not spec["injectates"] or spec["injectates"] & e["injectates"])
        ):
            continue
        if e["status"] == "submitted":
            pending += 1
        elif e["status"] == "signed_off" and (
            spec["min_autonomy"] is None or e["autonomy"] >= spec["min_autonomy"]
        ):
            done += 1
    return done, pending


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(specs=requirements, logged=entries, observed=assessments)
def test_the_counts_are_the_rules(db, bob, specs, logged, observed):
    today = timezone.localdate()
    types = {t.slug: t for t in ProcedureType.objects.filter(slug__in=TYPES)}
    drugs = {d.slug: d for d in Injectate.objects.filter(slug__in=DRUGS)}
    program = Program.objects.create(slug=f"p{Program.objects.count()}", name="Random")
    made = make_requirements(program, specs, types, drugs)
    trainee = UserFactory()
    enrollment = Enrollment.objects.create(
        trainee=trainee, program=program, start_date=today - timedelta(days=600)
    )
    entry_specs = make_entries(trainee, bob, logged, types, drugs, today)
    assessment_specs = make_assessments(trainee, bob, observed, types, today, made)

    progress = progress_for([enrollment])[enrollment.pk]
    counted = {rp.requirement.pk: (rp.done, rp.pending) for rp in progress.stages[0].requirements}
    for index, (requirement, spec) in enumerate(made):
        assert counted[requirement.pk] == expected(
            spec, entry_specs, assessment_specs, specs, index
        ), spec
