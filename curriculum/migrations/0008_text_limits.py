"""Free text has a limit (notes 2000 characters, comments 2000), in the database too.

On SQLite, altering a field or adding a constraint rebuilds the table: the triggers that
name a rebuilt table are dropped first and installed again after
(programs.dbtriggers.around_rebuild).
"""


import django.db.models.functions.text
import django.db.models.lookups
from django.conf import settings
from django.db import migrations, models

from programs.dbtriggers import around_rebuild

before, after = around_rebuild("curriculum_observedassessment")


class Migration(migrations.Migration):
    dependencies = [
        ("curriculum", "0007_dates_from_1990"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        before,
        migrations.AlterField(
            model_name="observedassessment",
            name="comments",
            field=models.TextField(blank=True, max_length=2000),
        ),
        migrations.AddConstraint(
            model_name="observedassessment",
            constraint=models.CheckConstraint(
                condition=django.db.models.lookups.LessThanOrEqual(
                    django.db.models.functions.text.Length("comments"), 2000
                ),
                name="curriculum_assessment_comments_length",
                violation_error_code="comments_too_long",
                violation_error_message="Comments can be at most 2000 characters.",
            ),
        ),
        after,
    ]
