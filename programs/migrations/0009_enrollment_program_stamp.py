"""An enrollment moved to another program is a change of its record (see
programs.dbtriggers): its `record_version` is bumped, so what is stored of it (progress,
entrustment, Cohort's facts) is recomputed against the new program's curriculum, whatever
path moved it. Only a change of program bumps it: the trigger's own update changes no
program, so it does not fire again."""

from django.db import migrations

from programs.dbtriggers import Trigger, bump, install

forwards, backwards = install(
    [
        Trigger(
            "programs_enrollment_program_stamp",
            "programs_enrollment",
            "AFTER",
            "UPDATE",
            condition="OLD.program_id <> NEW.program_id",
            statements=bump("programs_enrollment", "record_version", "id = NEW.id"),
        )
    ]
)


class Migration(migrations.Migration):
    dependencies = [("programs", "0008_dose_alert_level_choices")]

    operations = [migrations.RunPython(forwards, backwards)]
