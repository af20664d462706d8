"""No date before 1 January 1990: a typing slip (0202 for 2022) is refused by the database too.

On SQLite, adding a constraint rebuilds the table: the triggers that name it are dropped
first and installed again after (see programs.dbtriggers.around_rebuild).
"""

import datetime

from django.db import migrations, models

from programs.dbtriggers import around_rebuild

before, after = around_rebuild("curriculum_observedassessment")


class Migration(migrations.Migration):
    dependencies = [("curriculum", "0006_retire_any_history")]

    operations = [
        before,
        migrations.AddConstraint(
            model_name="observedassessment",
            constraint=models.CheckConstraint(
                condition=models.Q(("observed_on__gte", datetime.date(1990, 1, 1))),
                name="curriculum_assessment_observed_from_1990",
                violation_error_code="observed_on_too_early",
                violation_error_message="The date observed cannot be before 1 January 1990.",
            ),
        ),
        after,
    ]
