"""Programs and enrollments now live in the `programs` app (its 0001 took over their
state). Point the curriculum's foreign keys there and forget the old models; no table
changes here."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("curriculum", "0002_assessments_and_progress"),
        ("programs", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="stage",
                    name="program",
                    field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="stages", to="programs.program"),
                ),
                migrations.AlterField(
                    model_name="progresssnapshot",
                    name="enrollment",
                    field=models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name="progress_snapshot", to="programs.enrollment"),
                ),
                migrations.DeleteModel(name="Enrollment"),
                migrations.DeleteModel(name="Program"),
            ],
            database_operations=[],
        ),
    ]
