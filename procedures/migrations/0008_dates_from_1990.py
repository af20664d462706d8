"""No date before 1 January 1990: a typing slip (0202 for 2022) is refused by the database too.

On SQLite, adding a constraint rebuilds the table: the triggers that name it are dropped
first and installed again after (see programs.dbtriggers.around_rebuild).
"""

import datetime

from django.db import migrations, models

from programs.dbtriggers import around_rebuild

before, after = around_rebuild("procedures_entry")


class Migration(migrations.Migration):
    dependencies = [("procedures", "0007_signature_checks")]

    operations = [
        before,
        migrations.AddConstraint(
            model_name="entry",
            constraint=models.CheckConstraint(
                condition=models.Q(("performed_on__gte", datetime.date(1990, 1, 1))),
                name="procedures_entry_performed_from_1990",
                violation_error_code="performed_on_too_early",
                violation_error_message="The date performed cannot be before 1 January 1990.",
            ),
        ),
        after,
    ]
