"""A DOPS records the requirement it counts for (issue 10, point 5): one DOPS used to fill
every DOPS requirement it matched (a lumbar medial branch block under fluoroscopy filled
both the radiation-safety DOPS and the medial-branch-block DOPS).

Existing rows get their requirement where it is unambiguous: exactly one active DOPS
requirement of the trainee's programs matches the procedure and guidance. The others stay
empty and count by `curriculum.progress.preferred_requirement`, for one requirement only.
Stored progress is a cache counted by the old rule: it is dropped, and recounted on the
next read.

On SQLite, adding a nullable column is an ALTER TABLE, but the triggers that name the
table are set aside and put back all the same (programs.dbtriggers.around_rebuild), so a
future change of the field cannot lose them silently.
"""

import django.db.models.deletion
from django.db import migrations, models

from programs.dbtriggers import around_rebuild

before, after = around_rebuild("curriculum_observedassessment")


def _matches(requirement, types, procedure_id, guidance) -> bool:
    return (requirement.any_procedure or procedure_id in types) and (
        not requirement.modalities or guidance in requirement.modalities
    )


def assign_unambiguous(apps, schema_editor):
    ObservedAssessment = apps.get_model("curriculum", "ObservedAssessment")
    Requirement = apps.get_model("curriculum", "Requirement")
    Enrollment = apps.get_model("programs", "Enrollment")
    ProgressSnapshot = apps.get_model("curriculum", "ProgressSnapshot")

    requirements = list(
        Requirement.objects.filter(kind="assessments", active=True, stage__active=True)
        .select_related("stage")
        .order_by("pk")
    )
    types = {r.pk: set(r.procedure_types.values_list("pk", flat=True)) for r in requirements}
    programs = {}
    for trainee_id, program_id in Enrollment.objects.values_list("trainee_id", "program_id"):
        programs.setdefault(trainee_id, set()).add(program_id)
    chosen = {}
    for pk, trainee_id, procedure_id, guidance in ObservedAssessment.objects.filter(
        requirement__isnull=True
    ).values_list("pk", "trainee_id", "procedure_id", "guidance"):
        candidates = [
            r
            for r in requirements
            if r.stage.program_id in programs.get(trainee_id, ())
            and _matches(r, types[r.pk], procedure_id, guidance)
        ]
        if len(candidates) == 1:
            chosen.setdefault(candidates[0].pk, []).append(pk)
    for requirement_id, pks in chosen.items():
        ObservedAssessment.objects.filter(pk__in=pks).update(requirement_id=requirement_id)
    ProgressSnapshot.objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("curriculum", "0008_text_limits"),
        ("programs", "0003_versions"),
    ]

    operations = [
        before,
        migrations.AddField(
            model_name="observedassessment",
            name="requirement",
            field=models.ForeignKey(
                blank=True,
                help_text="The DOPS requirement of the trainee's program that this "
                "assessment counts for.",
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="assessments",
                to="curriculum.requirement",
            ),
        ),
        after,
        migrations.RunPython(assign_unambiguous, migrations.RunPython.noop),
    ]
