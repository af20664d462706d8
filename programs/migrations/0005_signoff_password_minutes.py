"""A program's sign-off password window (21 CFR Part 11 §11.200(a)(1)).

On SQLite, adding the field and the constraint rebuilds programs_program. No trigger is on
that table, but curriculum 0005's stamps write to it, and SQLite refuses the rebuild's
final rename while a trigger names a missing table: they are set aside and put back
(programs.dbtriggers.around_rebuild). The program's history gets the field too.
"""

import django.core.validators
from django.db import migrations, models

from programs.dbtriggers import around_rebuild

before, after = around_rebuild("programs_program")


class Migration(migrations.Migration):
    dependencies = [
        ("programs", "0004_history"),
    ]

    operations = [
        before,
        migrations.AddField(
            model_name="program",
            name="signoff_password_minutes",
            field=models.PositiveSmallIntegerField(
                default=15,
                help_text="How long a supervisor's password, typed to sign off, covers further sign-offs in the same session: 0 to 720 minutes; 0 asks for it at every sign-off. The first sign-off of a session always asks. Signing entries of several programs at once uses the strictest.",
                validators=[django.core.validators.MaxValueValidator(720)],
                verbose_name="sign-off password window (minutes)",
            ),
        ),
        migrations.AddConstraint(
            model_name="program",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("signoff_password_minutes__gte", 0), ("signoff_password_minutes__lte", 720)
                ),
                name="programs_program_signoff_password_minutes_range",
                violation_error_message="The sign-off password window must be between 0 and 720 minutes.",
            ),
        ),
        migrations.AddField(
            model_name="historicalprogram",
            name="signoff_password_minutes",
            field=models.PositiveSmallIntegerField(
                default=15,
                help_text="How long a supervisor's password, typed to sign off, covers further sign-offs in the same session: 0 to 720 minutes; 0 asks for it at every sign-off. The first sign-off of a session always asks. Signing entries of several programs at once uses the strictest.",
                validators=[django.core.validators.MaxValueValidator(720)],
                verbose_name="sign-off password window (minutes)",
            ),
        ),
        after,
    ]
