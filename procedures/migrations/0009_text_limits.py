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

before, after = around_rebuild("procedures_entry", "procedures_entryevent", "procedures_historicalentry", "procedures_signature")


class Migration(migrations.Migration):
    dependencies = [
        ("procedures", "0008_dates_from_1990"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        before,
        migrations.AlterField(
            model_name="entry",
            name="notes",
            field=models.TextField(blank=True, max_length=2000),
        ),
        migrations.AlterField(
            model_name="entryevent",
            name="comment",
            field=models.TextField(blank=True, max_length=2000),
        ),
        migrations.AlterField(
            model_name="historicalentry",
            name="notes",
            field=models.TextField(blank=True, max_length=2000),
        ),
        migrations.AlterField(
            model_name="signature",
            name="comment",
            field=models.TextField(blank=True, max_length=2000),
        ),
        migrations.AddConstraint(
            model_name="entry",
            constraint=models.CheckConstraint(
                condition=django.db.models.lookups.LessThanOrEqual(
                    django.db.models.functions.text.Length("notes"), 2000
                ),
                name="procedures_entry_notes_length",
                violation_error_code="notes_too_long",
                violation_error_message="Notes can be at most 2000 characters.",
            ),
        ),
        migrations.AddConstraint(
            model_name="entryevent",
            constraint=models.CheckConstraint(
                condition=django.db.models.lookups.LessThanOrEqual(
                    django.db.models.functions.text.Length("comment"), 2000
                ),
                name="procedures_event_comment_length",
                violation_error_code="comment_too_long",
                violation_error_message="A comment can be at most 2000 characters.",
            ),
        ),
        migrations.AddConstraint(
            model_name="signature",
            constraint=models.CheckConstraint(
                condition=django.db.models.lookups.LessThanOrEqual(
                    django.db.models.functions.text.Length("comment"), 2000
                ),
                name="procedures_signature_comment_length",
                violation_error_code="comment_too_long",
                violation_error_message="A comment can be at most 2000 characters.",
            ),
        ),
        after,
    ]
