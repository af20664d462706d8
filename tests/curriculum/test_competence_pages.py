"""Competence on the pages (issue 13): the stored standing follows the record and the
curriculum, the lapse is applied on the day read, fluoroscopy never counts for
ultrasound, the failure definition per procedure type, decisions are signed and never
changed, and Progress, the queue and the committee view run the same queries at two
data sizes."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from curriculum.competence import cohort_counts, competence_for
from curriculum.decisions import record_decision
from curriculum.entrustment import Level
from curriculum.models import (
    Competency,
    CompetencyPolicy,
    EntrustmentDecision,
    ObservedAssessment,
    RadiationSnapshot,
)
from curriculum.radiation import cohort_radiation
from curriculum.refresh import Later, refresh_snapshots
from procedures.models import Entry, ProcedureType
from programs.models import Enrollment, Program
from tests.factories import PASSWORD, EntryFactory, UserFactory, waiting_entries

TFESI = "lumbar-tfesi-fluoroscopy"
KEY = "0b6c5f0e-6f1e-4b0e-9a55-1d2f3c4b5a69"


def cases(trainee, supervisors, n, *, rating=4, days_ago=1, guidance="fluoroscopy", **fields):
    """`n` signed-off lumbar transforaminal epidurals, the newest `days_ago` days ago, by
    the supervisors in turn."""
    today = timezone.localdate()
    return Entry.objects.bulk_create(
        EntryFactory.build(
            trainee=trainee,
            supervisor=supervisors[i % len(supervisors)],
            status=Entry.Status.SIGNED_OFF,
            submitted_at=timezone.now(),
            performed_on=today - timedelta(days=days_ago + n - 1 - i),
            guidance=guidance,
            autonomy=rating,
            **fields,
        )
        for i in range(n)
    )


def standing_of(trainee, key=TFESI, today=None):
    enrollment = Enrollment.objects.select_related("program").get(trainee=trainee)
    found = competence_for([enrollment], today)[enrollment.pk]
    return next(r for r in found.rows if r.competency.key == key)


def test_ten_cases_from_two_supervisors_rated_4_earn_indirect_supervision(alice, bob, dave):
    cases(alice, [bob, dave], 9)
    assert standing_of(alice).level == Level.DIRECT
    cases(alice, [bob], 1, days_ago=0)
    row = standing_of(alice)
    assert row.level == Level.INDIRECT and not row.lapsed
    assert row.entrustment.label == "Indirect supervision"


def test_one_supervisor_alone_does_not_earn_indirect_supervision(alice, bob):
    cases(alice, [bob], 12)
    assert standing_of(alice).level == Level.DIRECT


def test_fluoroscopy_cases_never_count_for_ultrasound(alice, bob, dave):
    cases(alice, [bob, dave], 12, procedure=ProcedureType.objects.get(slug="lumbar-mbb"))
    assert standing_of(alice, "lumbar-mbb-fluoroscopy").level == Level.INDIRECT
    assert standing_of(alice, "lumbar-mbb-ultrasound").level == Level.NOT_YET


def test_the_lapse_is_applied_on_the_day_read_without_recomputing(alice, bob, dave):
    cases(alice, [bob, dave], 10, days_ago=80)
    today = timezone.localdate()
    assert standing_of(alice, today=today).level == Level.INDIRECT
    with CaptureQueriesContext(connection) as later:
        row = standing_of(alice, today=today + timedelta(days=11))  # 91 days since
    assert row.lapsed and row.level == Level.DIRECT
    assert row.entrustment.label == "Direct supervision required (lapsed)"
    # the enrollment, then the stored snapshot: nothing recomputed for a new day
    assert len(later.captured_queries) == 2


def test_a_competency_sets_its_own_lapse(alice, bob, dave, program):
    cases(alice, [bob, dave], 10, days_ago=70)
    Competency.objects.filter(key=TFESI).update(lapse_days=60)  # bumps the curriculum
    assert standing_of(alice).lapsed


def test_a_case_rated_4_after_the_gap_restores_the_level(alice, bob, dave):
    cases(alice, [bob, dave], 10, days_ago=200)
    cases(alice, [bob], 1, days_ago=2, rating=3)
    assert standing_of(alice).level == Level.DIRECT  # not restored by a 3
    cases(alice, [dave], 1, days_ago=1, rating=4)
    row = standing_of(alice)
    assert row.level == Level.INDIRECT and not row.lapsed


def test_cases_the_trainee_only_observed_or_assisted_do_not_count(alice, bob, dave):
    cases(alice, [bob, dave], 12, role=Entry.Role.OBSERVED)
    cases(alice, [bob, dave], 12, days_ago=20, role=Entry.Role.ASSISTED)
    row = standing_of(alice)
    assert row.level == Level.NOT_YET and row.evidence.observations == 0
    cases(alice, [bob, dave], 10, role=Entry.Role.PERFORMED_AVAILABLE)
    assert standing_of(alice).level == Level.INDIRECT


def test_a_case_under_indirect_supervision_after_the_gap_does_not_restore(alice, bob, dave):
    cases(alice, [bob, dave], 10, days_ago=200)
    cases(alice, [bob], 1, days_ago=1, rating=5, role=Entry.Role.PERFORMED_AVAILABLE)
    row = standing_of(alice)
    assert row.lapsed and row.level == Level.DIRECT
    cases(alice, [dave], 1, days_ago=0, rating=4)  # with the supervisor present
    assert standing_of(alice).level == Level.INDIRECT


def test_the_failure_definition_is_the_procedure_types(alice, bob):
    cases(alice, [bob], 3, rating=3)
    cases(alice, [bob], 1, days_ago=0, complication=Entry.Complication.VASOVAGAL, rating=5)
    assert (standing_of(alice).curve.cases, standing_of(alice).curve.failures) == (4, 1)
    ProcedureType.objects.filter(slug="lumbar-tfesi").update(
        failure_rating=3, failure_complications=[]
    )
    assert standing_of(alice).curve.failures == 3  # the ratings of 3; the complication not


def test_the_policy_sets_the_levels_and_stored_standing_follows(alice, bob, dave, program):
    cases(alice, [bob, dave], 10)
    assert standing_of(alice).level == Level.INDIRECT
    CompetencyPolicy.objects.filter(program=program).update(
        level_rules=[{"level": 1, "min_cases": 1}, {"level": 2, "min_cases": 20}]
    )
    assert standing_of(alice).level == Level.DIRECT


def test_the_two_ratings_agree_on_progress(client, alice, bob):
    cases(alice, [bob], 2, rating=4, self_rating=4)
    cases(alice, [bob], 2, days_ago=5, rating=3, self_rating=5)
    client.force_login(alice)
    page = client.get(reverse("curriculum:my_progress")).content.decode()
    assert "Same rating on 50% of 4 cases; 1.0 points above their supervisors on average" in page


def test_readiness_names_what_is_missing_on_progress(client, alice, bob):
    cases(alice, [bob], 3)
    client.force_login(alice)
    page = client.get(reverse("curriculum:my_progress")).content.decode()
    assert (
        "Not enough evidence: 7 more observations, observations from 1 more assessor, "
        "a narrative comment" in page
    )


# --- Decisions ------------------------------------------------------------------------------


def decide(diana, trainee, level=Level.INDIRECT):
    enrollment = Enrollment.objects.select_related("program").get(trainee=trainee)
    return record_decision(
        director=diana,
        enrollment=enrollment,
        competency=Competency.objects.get(key=TFESI),
        level=level,
        decided_on=timezone.localdate(),
        rationale="Ten cases, two assessors.",
    )


def test_a_decision_is_signed_and_verified(alice, diana):
    decision = decide(diana, alice)
    decision = EntrustmentDecision.objects.get(pk=decision.pk)
    assert decision.verified
    assert decision.signer_name == "Diana Dean"


def test_a_signed_decision_is_never_changed(alice, diana):
    decision = decide(diana, alice)
    with pytest.raises(IntegrityError), transaction.atomic():
        EntrustmentDecision.objects.filter(pk=decision.pk).update(level=Level.UNSUPERVISED)
    # A change made behind the database's back would show as not verified.
    decision.level = Level.UNSUPERVISED
    assert not decision.verified


def test_only_the_programs_director_decides(alice, bob):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        decide(bob, alice)


def test_the_decision_form_refuses_bad_input_and_keeps_it(client, alice, diana):
    enrollment = Enrollment.objects.get(trainee=alice)
    competency = Competency.objects.get(key=TFESI)
    url = reverse("curriculum:decision", args=[enrollment.pk, competency.pk])
    client.force_login(diana)
    future = (timezone.localdate() + timedelta(days=3)).isoformat()
    response = client.post(
        url,
        {
            "level": "2",
            "decided_on": future,
            "rationale": "Kept as typed.",
            "password": "no",
            "form_key": KEY,
        },
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "The date decided cannot be in the future." in page
    assert "that is not your password" in page
    assert "Kept as typed." in page
    assert not EntrustmentDecision.objects.exists()
    response = client.post(
        url,
        {
            "level": "2",
            "decided_on": timezone.localdate().isoformat(),
            "rationale": "",
            "password": PASSWORD,
            "form_key": KEY,
        },
    )
    assert "Say why: the rationale is part of the record." in response.content.decode()


def test_a_decision_shows_on_progress_apart_from_the_ratings(client, alice, diana):
    decide(diana, alice)
    client.force_login(alice)
    page = client.get(reverse("curriculum:my_progress")).content.decode()
    assert "Entrustment decisions" in page and "Signature verified" in page
    assert "Decided: Indirect supervision" in page


# --- The queue and the committee view ---------------------------------------------------------


def test_the_queue_shows_the_trainees_level_in_the_entrys_competency(client, alice, bob, dave):
    cases(alice, [bob, dave], 10, days_ago=120)  # earned, then lapsed
    waiting_entries(alice, bob, 1)
    client.force_login(bob)
    page = client.get(reverse("procedures:signoff_queue")).content.decode()
    assert "Lumbar transforaminal epidurals (Fluoroscopy): " in page
    assert "Direct supervision required (lapsed)" in page


def count(client, url) -> int:
    client.get(url)  # stored
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def enroll(program, supervisor, n):
    trainees = [UserFactory() for _ in range(n)]
    for trainee in trainees:
        Enrollment.objects.create(
            trainee=trainee, program=program, start_date=timezone.localdate()
        ).supervisors.add(supervisor)
    return trainees


def test_committee_queries_are_the_same_at_two_sizes(client, program, bob, dave, diana):
    client.force_login(diana)
    url = reverse("curriculum:committee")
    trainees = enroll(program, bob, 3)
    for trainee in trainees:
        cases(trainee, [bob, dave], 3)
    small = count(client, url)
    more = enroll(program, bob, 40)
    for trainee in trainees + more:
        cases(trainee, [bob, dave], 30, days_ago=40)
    decide(diana, trainees[0])
    large = count(client, url)
    # session, user, roles, the director's programs, the roster, the page's count, the
    # page of enrollments, their snapshots with versions, the decisions
    assert small == large <= 10


def test_progress_and_queue_queries_are_the_same_at_two_sizes(client, alice, bob, dave):
    cases(alice, [bob, dave], 5)
    waiting_entries(alice, bob, 2)
    client.force_login(alice)
    progress_small = count(client, reverse("curriculum:my_progress"))
    client.force_login(bob)
    queue_small = count(client, reverse("procedures:signoff_queue"))
    cases(alice, [bob, dave], 500, days_ago=10)
    waiting_entries(alice, bob, 40)
    client.force_login(alice)
    assert count(client, reverse("curriculum:my_progress")) == progress_small
    client.force_login(bob)
    assert count(client, reverse("procedures:signoff_queue")) == queue_small


def test_the_portfolio_carries_the_grid_and_the_decisions(client, alice, bob, dave, diana):
    cases(alice, [bob, dave], 10)
    decide(diana, alice)
    client.force_login(alice)
    page = client.get(reverse("curriculum:my_portfolio")).content.decode()
    grid = page.split('aria-label="Competencies"')[1].split("</table>")[0]
    assert "Lumbar transforaminal epidurals (Fluoroscopy)" in grid
    assert "Indirect supervision" in grid  # the level from the cases, and the decision
    assert "Entrustment decisions" in page and "Ten cases, two assessors." in page


# --- Cohort: lapses, and the CSV ------------------------------------------------------------


def test_cohort_shows_lapses_and_readiness(client, alice, bob, dave, diana):
    cases(alice, [bob, dave], 10, days_ago=100)  # indirect, then 100 days without a case
    client.force_login(diana)
    row = client.get(reverse("curriculum:cohort")).content.decode().split("Alice Adams")[1]
    assert "1 lapsed" in row.split("</tr>")[0]


def test_cohort_shows_a_stale_standing_marked_and_refreshes_it_in_the_background(
    client, alice, bob, dave, diana, django_capture_on_commit_callbacks
):
    cases(alice, [bob, dave], 10, days_ago=100)
    client.force_login(diana)
    client.get(reverse("curriculum:cohort"))  # stored
    cases(alice, [bob], 1, days_ago=0, rating=5)  # restores the level
    with django_capture_on_commit_callbacks(execute=False) as queued:
        page = client.get(reverse("curriculum:cohort")).content.decode()
        again = client.get(reverse("curriculum:cohort")).content.decode()
    row = page.split("Alice Adams")[1].split("</tr>")[0]
    assert "1 lapsed" in row and "(updating)" in row  # the stored one, marked
    assert "(updating)" in again.split("Alice Adams")[1].split("</tr>")[0]
    # Asked once, with the radiation figures' (curriculum.refresh: one task for both).
    assert len(queued) == 1
    for task in queued:  # the worker runs the tasks
        task()
    row = client.get(reverse("curriculum:cohort")).content.decode().split("Alice Adams")[1]
    row = row.split("</tr>")[0]
    assert "lapsed" not in row and "(updating)" not in row
    # The committee view never shows a stale standing: it computes it.
    cases(alice, [bob], 1, days_ago=0, rating=5)
    committee = client.get(reverse("curriculum:committee")).content.decode()
    assert "lapsed" not in committee.split("Alice Adams")[1].split("</tr>")[0]


def test_the_cohort_csv_carries_the_grid_and_the_decisions(client, alice, bob, dave, diana):
    cases(alice, [bob, dave], 10)
    decide(diana, alice)
    client.force_login(diana)
    body = client.get(reverse("curriculum:cohort_csv")).content.decode("utf-8-sig")
    header, row = body.splitlines()[:2]
    assert "Lumbar transforaminal epidurals (Fluoroscopy)" in header
    today = timezone.localdate().isoformat()
    assert f"Indirect supervision; decided: Indirect supervision, {today}" in row


# --- Calibration --------------------------------------------------------------------------------


def test_calibration_shows_each_supervisors_leniency_from_the_programs_ratings(
    client, alice, bob, charlie, dave, diana
):
    # bob rates 25 cases 5, dave 25 cases 3: the program's mean 4, its SD 1; each
    # supervisor's z = (their mean − 4) / (1 / √25) = ±5.
    cases(alice, [bob], 25, rating=5)
    cases(charlie, [dave], 25, rating=3)
    client.force_login(diana)
    page = client.get(reverse("curriculum:calibration")).content.decode()
    assert "50 O-SCORE ratings at sign-off, a mean of 4.00" in page
    bob_row = page.split("Bob Baker")[1].split("</tr>")[0]
    dave_row = page.split("Dave Dunn")[1].split("</tr>")[0]
    assert "5.00" in bob_row and "Lenient" in bob_row
    assert "-5.00" in dave_row and "Stringent" in dave_row


def test_calibration_flags_no_one_with_fewer_than_20_ratings(
    client, alice, bob, charlie, dave, diana
):
    cases(alice, [bob], 19, rating=5)
    cases(charlie, [dave], 19, rating=3)
    client.force_login(diana)
    page = client.get(reverse("curriculum:calibration")).content.decode()
    assert "Lenient" not in page and "fewer than 20 ratings" in page


def test_cohorts_counts_are_the_standings_counts_on_any_day(alice, bob, charlie, dave):
    """Cohort counts from the stored numbers (competence.cohort_counts); the pages build
    each standing (competence_for): the two ways give the same counts."""
    cases(alice, [bob, dave], 12, days_ago=100)
    cases(alice, [bob], 1, days_ago=1, rating=3)
    cases(charlie, [dave, bob], 30, days_ago=2)
    si_joint = ProcedureType.objects.get(slug="si-joint")
    cases(charlie, [dave, bob], 12, days_ago=5, procedure=si_joint)
    ObservedAssessment.objects.create(  # a DOPS with a narrative
        trainee=charlie,
        assessor=dave,
        observed_on=timezone.localdate(),
        procedure=si_joint,
        guidance="fluoroscopy",
        rating=4,
        comments="Safe and efficient.",
    )
    enrollments = list(Enrollment.objects.select_related("program"))
    today = timezone.localdate()
    for day in (today, today + timedelta(days=40), today + timedelta(days=100)):
        counts = cohort_counts(enrollments, day)
        full = competence_for(enrollments, day)
        for e in enrollments:
            assert (counts[e.pk].lapsed, counts[e.pk].ready) == (
                len(full[e.pk].lapsed),
                len(full[e.pk].ready),
            )
    assert any(c.lapsed for c in cohort_counts(enrollments, today + timedelta(days=100)).values())
    assert any(c.ready for c in cohort_counts(enrollments, today).values())


def test_a_relapse_alert_shows_on_progress_and_the_committee_view(client, alice, bob, diana):
    # 30 successes cross the competence limit at case 19 (tests/curriculum/test_cusum.py);
    # then failures (rated 2) raise the relapse watch to h1 = 2.71 at the fourth.
    cases(alice, [bob], 30, days_ago=10, rating=4)
    cases(alice, [bob], 4, days_ago=1, rating=2)
    client.force_login(alice)
    page = client.get(reverse("curriculum:my_progress")).content.decode()
    assert "Relapse alert at case 34" in page
    competency = Competency.objects.get(key=TFESI)
    chart = client.get(reverse("curriculum:my_progress"), {"competency": competency.pk})
    chart = chart.content.decode()
    assert 'class="line-chart-watch"' in chart  # the watch drawn against h1
    assert "Case 34: relapse alert (the watch at h1)" in chart
    assert "Case 19: crossed the competence limit" in chart
    client.force_login(diana)
    committee = client.get(reverse("curriculum:committee")).content.decode()
    assert "learning-curve relapse alert at case 34" in committee and "⚠" in committee


def test_one_task_recomputes_both_kinds_of_figures(alice, bob, dave, program):
    cases(alice, [bob, dave], 10, days_ago=100)
    (enrollment,) = Enrollment.objects.filter(trainee=alice)
    cohort_counts([enrollment])
    cohort_radiation([enrollment], program)
    cases(alice, [bob], 1, days_ago=0)
    later = Later()
    assert cohort_counts([enrollment], later=later)[enrollment.pk].behind
    cohort_radiation([enrollment], program, later=later)
    assert (later.radiation, later.competence) == ([enrollment.pk], [enrollment.pk])
    refresh_snapshots.call(radiation=later.radiation, competence=later.competence)
    assert not cohort_counts([enrollment])[enrollment.pk].behind
    assert not RadiationSnapshot.objects.get(enrollment=enrollment).refresh_requested


def decision_url(trainee, key=TFESI):
    enrollment = Enrollment.objects.get(trainee=trainee)
    return reverse("curriculum:decision", args=[enrollment.pk, Competency.objects.get(key=key).pk])


def good_post(**overrides):
    return {
        "level": "2",
        "decided_on": timezone.localdate().isoformat(),
        "rationale": "Agreed in committee.",
        "password": PASSWORD,
        "form_key": KEY,
    } | overrides


def test_a_decision_sent_twice_is_recorded_once(client, alice, diana):
    client.force_login(diana)
    first = client.post(decision_url(alice), good_post())
    second = client.post(decision_url(alice), good_post())
    assert first.status_code == second.status_code == 302
    assert EntrustmentDecision.objects.count() == 1
    client.post(decision_url(alice), good_post(form_key="1b6c5f0e-6f1e-4b0e-9a55-1d2f3c4b5a69"))
    assert EntrustmentDecision.objects.count() == 2  # another form, another decision


def test_a_director_enrolled_in_their_own_program_cannot_decide_on_themselves(
    client, diana, program, bob
):
    Enrollment.objects.create(
        trainee=diana, program=program, start_date=timezone.localdate()
    ).supervisors.add(bob)
    client.force_login(diana)
    assert client.get(decision_url(diana)).status_code == 403
    assert client.post(decision_url(diana), good_post()).status_code == 403
    assert not EntrustmentDecision.objects.exists()


def test_no_decision_on_an_ended_enrollment(client, alice, diana):
    Enrollment.objects.filter(trainee=alice).update(active=False)
    client.force_login(diana)
    assert client.post(decision_url(alice), good_post()).status_code == 403
    assert not EntrustmentDecision.objects.exists()


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("level", "7", "Choose one of the four entrustment levels."),
        ("level", "abc", "Choose one of the four entrustment levels."),
        ("rationale", "Fine\x00", "The rationale cannot contain a null character."),
        ("password", "pass\x00word", "that is not your password"),
        ("form_key", "", "This form has expired"),
        ("decided_on", "1989-12-31", "The date decided cannot be before 1 January 1990."),
        ("rationale", "x" * 2001, "The rationale"),
    ],
)
def test_bad_decision_input_is_named_on_the_form(client, alice, diana, field, value, message):
    client.force_login(diana)
    response = client.post(decision_url(alice), good_post(**{field: value}))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not EntrustmentDecision.objects.exists()


def test_an_enrollment_moved_to_another_program_is_recomputed(alice, bob, dave, program):
    cases(alice, [bob, dave], 12)
    assert standing_of(alice).level == Level.INDIRECT
    other = Program.objects.create(slug="other", name="Other")
    Competency.objects.create(program=other, key="x", name="X", modality="ultrasound")
    enrollment = Enrollment.objects.get(trainee=alice)
    before = enrollment.record_version
    Enrollment.objects.filter(pk=enrollment.pk).update(program=other)
    enrollment.refresh_from_db()
    assert enrollment.record_version == before + 1
    found = competence_for([enrollment])[enrollment.pk]
    assert [row.competency.key for row in found.rows] == ["x"]


def test_calibration_is_of_the_programs_own_supervisors(client, alice, bob, dave, diana):
    # dave, on no roster of this program, signed for alice elsewhere: not in its calibration.
    cases(alice, [bob], 5, rating=4)
    cases(alice, [dave], 5, rating=2)
    client.force_login(diana)
    page = client.get(reverse("curriculum:calibration")).content.decode()
    assert "Bob Baker" in page and "Dave Dunn" not in page
    assert "5 O-SCORE ratings at sign-off" in page


def test_the_cohort_csv_never_serves_a_stale_level(client, alice, bob, dave, diana):
    cases(alice, [bob, dave], 10)
    client.force_login(diana)
    client.get(reverse("curriculum:cohort"))  # stored
    cases(alice, [bob], 1, days_ago=0, rating=2)  # the latest five no longer all 4+
    body = client.get(reverse("curriculum:cohort_csv")).content.decode("utf-8-sig")
    row = body.splitlines()[1]
    assert "Indirect supervision" not in row and "Direct supervision" in row
