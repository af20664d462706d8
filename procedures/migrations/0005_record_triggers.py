"""The record's guards and stamps in the database (see programs.dbtriggers).

Guards: a signed-off revision is never changed in place (only a correction, which makes
revision n + 1 and goes back to Submitted, may move it on); an entry's trainee never
changes and its revision never goes back; the injectates of a signed-off revision are
fixed; a signature is never edited.

Stamps: any write of an entry, its injectates or a signature bumps the trainee's
`Enrollment.record_version`, so stored progress knows it is out of date.
"""

from django.db import migrations

from programs.dbtriggers import Trigger, bump, install

ENTRY_TRAINEE = "trainee_id = (SELECT trainee_id FROM procedures_entry WHERE id = {}.entry_id)"
ENROLLMENT = "programs_enrollment"
VERSION = "record_version"

TRIGGERS = [
    Trigger(
        "procedures_entry_signed_revision_frozen",
        "procedures_entry",
        "BEFORE",
        "UPDATE",
        condition="OLD.status = 'signed_off' "
        "AND NOT (NEW.status = 'submitted' AND NEW.revision = OLD.revision + 1)",
        refuse="a signed-off revision cannot be changed in place; "
        "a correction makes a new revision",
    ),
    Trigger(
        "procedures_entry_trainee_fixed",
        "procedures_entry",
        "BEFORE",
        "UPDATE",
        condition="NEW.trainee_id <> OLD.trainee_id OR NEW.revision < OLD.revision",
        refuse="an entry's trainee never changes and its revision never goes back",
    ),
    Trigger(
        "procedures_entry_injectates_frozen_insert",
        "procedures_entry_injectates",
        "BEFORE",
        "INSERT",
        condition="(SELECT status FROM procedures_entry WHERE id = NEW.entry_id) = 'signed_off'",
        refuse="the injectates of a signed-off revision cannot be changed",
    ),
    Trigger(
        "procedures_entry_injectates_frozen_update",
        "procedures_entry_injectates",
        "BEFORE",
        "UPDATE",
        condition="(SELECT status FROM procedures_entry WHERE id = OLD.entry_id) = 'signed_off' "
        "OR (SELECT status FROM procedures_entry WHERE id = NEW.entry_id) = 'signed_off'",
        refuse="the injectates of a signed-off revision cannot be changed",
    ),
    Trigger(
        "procedures_signature_never_edited",
        "procedures_signature",
        "BEFORE",
        "UPDATE",
        refuse="a signature is never changed",
    ),
    Trigger(
        "procedures_entry_stamp_insert",
        "procedures_entry",
        "AFTER",
        "INSERT",
        statements=bump(ENROLLMENT, VERSION, "trainee_id = NEW.trainee_id"),
    ),
    Trigger(
        "procedures_entry_stamp_update",
        "procedures_entry",
        "AFTER",
        "UPDATE",
        statements=bump(ENROLLMENT, VERSION, "trainee_id = NEW.trainee_id"),
    ),
    Trigger(
        "procedures_entry_stamp_delete",
        "procedures_entry",
        "AFTER",
        "DELETE",
        statements=bump(ENROLLMENT, VERSION, "trainee_id = OLD.trainee_id"),
    ),
    *[
        Trigger(
            f"procedures_{table}_stamp_{event.lower()}",
            f"procedures_{'entry_injectates' if table == 'injectates' else table}",
            "AFTER",
            event,
            statements=bump(
                ENROLLMENT, VERSION, ENTRY_TRAINEE.format("OLD" if event == "DELETE" else "NEW")
            ),
        )
        for table in ("injectates", "signature")
        for event in ("INSERT", "UPDATE", "DELETE")
    ],
]

forwards, backwards = install(TRIGGERS)


class Migration(migrations.Migration):
    dependencies = [
        ("procedures", "0004_entry_form_key"),
        ("programs", "0003_versions"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
