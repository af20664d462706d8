"""Stamps in the database (see programs.dbtriggers): an observed assessment bumps its
trainee's `Enrollment.record_version`; a stage, a requirement or a requirement's procedure
types or injectates bump their program's `Program.curriculum_version`. Whatever path
writes them, stored progress then knows it is out of date."""

from django.db import migrations

from programs.dbtriggers import install, stamps

STAGE_PROGRAM = "id = (SELECT program_id FROM curriculum_stage WHERE id = {}.stage_id)"
REQUIREMENT_PROGRAM = (
    "id = (SELECT s.program_id FROM curriculum_stage s JOIN curriculum_requirement r "
    "ON r.stage_id = s.id WHERE r.id = {}.requirement_id)"
)


TRIGGERS = [
    *stamps(
        "curriculum_observedassessment", "programs_enrollment", "record_version",
        "trainee_id = {}.trainee_id",
    ),
    *stamps("curriculum_stage", "programs_program", "curriculum_version", "id = {}.program_id"),
    *stamps("curriculum_requirement", "programs_program", "curriculum_version", STAGE_PROGRAM),
    *stamps(
        "curriculum_requirement_procedure_types", "programs_program", "curriculum_version",
        REQUIREMENT_PROGRAM,
    ),
    *stamps(
        "curriculum_requirement_injectates", "programs_program", "curriculum_version",
        REQUIREMENT_PROGRAM,
    ),
]

forwards, backwards = install(TRIGGERS)


class Migration(migrations.Migration):
    dependencies = [
        ("curriculum", "0004_snapshot_versions"),
        ("programs", "0003_versions"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
