"""Now that nothing in `curriculum`'s state points at the old models (curriculum 0003),
give the tables (and their many-to-many tables) this app's names."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("programs", "0001_initial"),
        ("curriculum", "0003_programs_moved"),
    ]

    operations = [
        migrations.AlterModelTable(name="program", table=None),
        migrations.AlterModelTable(name="enrollment", table=None),
        migrations.RemoveConstraint(
            model_name="enrollment", name="curriculum_enrollment_one_per_program"
        ),
        migrations.AddConstraint(
            model_name="enrollment",
            constraint=models.UniqueConstraint(
                fields=("trainee", "program"), name="programs_enrollment_one_per_program"
            ),
        ),
    ]
