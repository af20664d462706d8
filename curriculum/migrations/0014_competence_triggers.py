"""Stamps and a guard in the database (see programs.dbtriggers), for issue 13.

- A competency, its procedure types and a program's competency policy bump their
  program's `Program.curriculum_version`; a change to a procedure type (its failure
  definition among others) bumps every program's. Stored entrustment then knows it is out
  of date, whatever path wrote them.
- An entrustment decision is never changed once signed: an UPDATE is refused. A later
  decision supersedes it.
"""

from django.db import migrations

from programs.dbtriggers import Trigger, bump, install, stamps

COMPETENCY_PROGRAM = (
    "id = (SELECT program_id FROM curriculum_competency WHERE id = {}.competency_id)"
)
VERSION = ("programs_program", "curriculum_version")

TRIGGERS = [
    *stamps("curriculum_competency", *VERSION, "id = {}.program_id"),
    *stamps("curriculum_competency_procedure_types", *VERSION, COMPETENCY_PROGRAM),
    *stamps("curriculum_competencypolicy", *VERSION, "id = {}.program_id"),
    Trigger(
        "procedures_proceduretype_stamp_update",
        "procedures_proceduretype",
        "AFTER",
        "UPDATE",
        statements=bump("programs_program", "curriculum_version", "1 = 1"),
    ),
    Trigger(
        "curriculum_entrustmentdecision_frozen",
        "curriculum_entrustmentdecision",
        "BEFORE",
        "UPDATE",
        refuse="an entrustment decision is signed and cannot be changed; record a new one",
    ),
]

forwards, backwards = install(TRIGGERS)


class Migration(migrations.Migration):
    dependencies = [
        ("curriculum", "0013_competence"),
        ("procedures", "0023_failure_definition"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
