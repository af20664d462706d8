"""Cohort's two per-trainee facts from the logbook, stored (`CohortFacts`): flagged
ablations (procedures.series) and the transforaminal safety bundle's compliance
(procedures.safety). Each is a grouped query over every case of its procedure types of
the page's trainees: 4 ms each on PostgreSQL for fifty trainees of 3,000 entries, on every
view. Stored per enrollment, right by construction as the other snapshots are (the
record version, the curriculum version, the block threshold), they cost one query when
nothing changed, and the two queries for the changed trainees only. Progress shows the
trainee's bundle compliance from the same store."""

from django.db import connection

from procedures.safety import Compliance, bundle_compliance
from procedures.series import flagged_ablation_counts
from programs.models import Enrollment, Program
from programs.sql import placeholders

from .models import CohortFacts


def cohort_facts(enrollments: list[Enrollment]) -> tuple[dict[int, int], dict[int, Compliance]]:
    """({trainee id: flagged ablations}, {trainee id: Compliance, for those with a bundle
    case}) of these enrollments' trainees."""
    if not enrollments:
        return {}, {}
    ids = sorted(e.pk for e in enrollments)
    query = (
        "SELECT e.id, e.trainee_id, e.record_version, p.curriculum_version, p.block_threshold,"
        " f.record_version, f.curriculum_version, f.block_threshold, f.flagged_ablations,"
        " f.bundle_cases, f.bundle_compliant"
        f" FROM {Enrollment._meta.db_table} e"
        f" JOIN {Program._meta.db_table} p ON p.id = e.program_id"
        f" LEFT JOIN {CohortFacts._meta.db_table} f ON f.enrollment_id = e.id"
        f" WHERE e.id IN ({placeholders(ids)})"
    )
    with connection.cursor() as cursor:
        cursor.execute(query, ids)
        rows = cursor.fetchall()
    flagged, bundles, stale = {}, {}, []
    for (
        pk,
        trainee_id,
        *current,
        kept_record,
        kept_curriculum,
        kept_threshold,
        n,
        cases,
        done,
    ) in rows:
        if [kept_record, kept_curriculum, kept_threshold] == current:
            flagged[trainee_id] = n
            if cases:
                bundles[trainee_id] = Compliance(cases, done)
        else:
            stale.append((pk, trainee_id, current))
    if stale:
        trainee_ids = [trainee_id for _, trainee_id, _ in stale]
        fresh_flagged = flagged_ablation_counts(trainee_ids)
        fresh_bundles = bundle_compliance(trainee_ids)
        CohortFacts.objects.bulk_create(
            [
                CohortFacts(
                    enrollment_id=pk,
                    flagged_ablations=fresh_flagged.get(trainee_id, 0),
                    bundle_cases=getattr(fresh_bundles.get(trainee_id), "cases", 0),
                    bundle_compliant=getattr(fresh_bundles.get(trainee_id), "compliant", 0),
                    record_version=record,
                    curriculum_version=curriculum,
                    block_threshold=threshold,
                )
                for pk, trainee_id, (record, curriculum, threshold) in stale
            ],
            update_conflicts=True,
            unique_fields=["enrollment"],
            update_fields=[
                "flagged_ablations",
                "bundle_cases",
                "bundle_compliant",
                "record_version",
                "curriculum_version",
                "block_threshold",
            ],
        )
        for _, trainee_id, _ in stale:
            flagged[trainee_id] = fresh_flagged.get(trainee_id, 0)
            if trainee_id in fresh_bundles:
                bundles[trainee_id] = fresh_bundles[trainee_id]
    return flagged, bundles
