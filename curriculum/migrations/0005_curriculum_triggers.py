"""Stamps in the database (see programs.dbtriggers): an observed assessment bumps its
trainee's `Enrollment.record_version`; a stage, a requirement or a requirement's procedure
types or injectates bump their program's `Program.curriculum_version`. Whatever path
writes them, stored progress then knows it is out of date."""

from django.db import migrations

from programs.dbtriggers import Trigger, bump, install

STAGE_PROGRAM = "id = (SELECT program_id FROM curriculum_stage WHERE id = {}.stage_id)"
REQUIREMENT_PROGRAM = (
    "id = (SELECT s.program_id FROM curriculum_stage s JOIN curriculum_requirement r "
    "ON r.stage_id = s.id WHERE r.id = {}.requirement_id)"
)
EVENTS = ("INSERT", "UPDATE", "DELETE")


def _rows(event: str) -> list[str]:
    """The row names a trigger on `event` reads: NEW, OLD, or both for an update."""
    return {"INSERT": ["NEW"], "DELETE": ["OLD"], "UPDATE": ["OLD", "NEW"]}[event]


def _stamps(table: str, target: str, column: str, where: str) -> list[Trigger]:
    return [
        Trigger(
            f"{table}_stamp_{event.lower()}",
            table,
            "AFTER",
            event,
            statements="".join(bump(target, column, where.format(row)) for row in _rows(event)),
        )
        for event in EVENTS
    ]


TRIGGERS = [
    *_stamps(
        "curriculum_observedassessment", "programs_enrollment", "record_version",
        "trainee_id = {}.trainee_id",
    ),
    *_stamps("curriculum_stage", "programs_program", "curriculum_version", "id = {}.program_id"),
    *_stamps("curriculum_requirement", "programs_program", "curriculum_version", STAGE_PROGRAM),
    *_stamps(
        "curriculum_requirement_procedure_types", "programs_program", "curriculum_version",
        REQUIREMENT_PROGRAM,
    ),
    *_stamps(
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
