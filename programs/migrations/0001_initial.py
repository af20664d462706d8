"""Programs and enrollments move here from `curriculum` (so that the logbook can ask who
may see what without importing the curriculum). Their tables, rows and permissions stay:
this migration only tells Django's state where the models now live; 0002 renames the
tables."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def move_content_types(apps, schema_editor):
    """Keep the content types (and so the permissions granted on them) of the moved models."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in ("program", "enrollment"):
        if not ContentType.objects.filter(app_label="programs", model=model).exists():
            ContentType.objects.filter(app_label="curriculum", model=model).update(
                app_label="programs"
            )


def move_content_types_back(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(app_label="programs", model__in=["program", "enrollment"]).update(
        app_label="curriculum"
    )


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("curriculum", "0002_assessments_and_progress"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Program",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        ("updated_at", models.DateTimeField(auto_now=True)),
                        ("slug", models.SlugField(max_length=80, unique=True)),
                        ("name", models.CharField(max_length=160)),
                        ("description", models.TextField(blank=True)),
                        ("directors", models.ManyToManyField(blank=True, related_name="directed_programs", to=settings.AUTH_USER_MODEL)),
                    ],
                    options={"ordering": ["name"], "db_table": "curriculum_program"},
                ),
                migrations.CreateModel(
                    name="Enrollment",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        ("updated_at", models.DateTimeField(auto_now=True)),
                        ("start_date", models.DateField()),
                        ("active", models.BooleanField(default=True)),
                        ("supervisors", models.ManyToManyField(blank=True, related_name="supervised_enrollments", to=settings.AUTH_USER_MODEL)),
                        ("trainee", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="enrollments", to=settings.AUTH_USER_MODEL)),
                        ("program", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="enrollments", to="programs.program")),
                    ],
                    options={
                        "ordering": ["program", "trainee"],
                        "db_table": "curriculum_enrollment",
                        "constraints": [models.UniqueConstraint(fields=("trainee", "program"), name="curriculum_enrollment_one_per_program")],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(move_content_types, move_content_types_back),
    ]
