"""Per-month counts of each trainee's entries for the Progress chart (MonthlyCount), kept
by database triggers (see programs.dbtriggers) so that no write path can leave them wrong.

An entry counts when it is not a draft, under its trainee, the month of `performed_on`
("YYYY-MM") and its guidance. An insert adds one; a delete takes one away; an update takes
one from the old key and adds one to the new key, only when whether it counts or its key
changed (a sign-off, which changes neither, writes nothing). The counts of the entries
already there are filled in once, here. A restore (loaddata) never takes counts from the
backup: see procedures.apps (pg_restore makes the triggers after the data: nothing to do).
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from programs.dbtriggers import Trigger, install

TABLE = "procedures_monthlycount"
COUNTS = "{row}.status <> 'draft'"
MOVED = (
    "NEW.trainee_id <> OLD.trainee_id OR NEW.performed_on <> OLD.performed_on "
    "OR NEW.guidance <> OLD.guidance"
)


def _month(row: str) -> str:
    # The ISO text of the date on both databases (the chart reads the same "YYYY-MM").
    return f"substr(CAST({row}.performed_on AS TEXT), 1, 7)"


def _key(row: str) -> str:
    return (
        f"trainee_id = {row}.trainee_id AND month = {_month(row)} AND guidance = {row}.guidance"
    )


def _add(row: str) -> str:
    # Make the row (at 0) if it is missing, then add one (the same SQL on both databases).
    return (
        f"INSERT INTO {TABLE} (trainee_id, month, guidance, n) "
        f"SELECT {row}.trainee_id, {_month(row)}, {row}.guidance, 0 "
        f"WHERE NOT EXISTS (SELECT 1 FROM {TABLE} WHERE {_key(row)}); "
        f"UPDATE {TABLE} SET n = n + 1 WHERE {_key(row)};"
    )


def _take(row: str) -> str:
    return f"UPDATE {TABLE} SET n = n - 1 WHERE {_key(row)};"


TRIGGERS = [
    Trigger(
        "procedures_entry_month_insert",
        "procedures_entry",
        "AFTER",
        "INSERT",
        condition=COUNTS.format(row="NEW"),
        statements=_add("NEW"),
    ),
    Trigger(
        "procedures_entry_month_delete",
        "procedures_entry",
        "AFTER",
        "DELETE",
        condition=COUNTS.format(row="OLD"),
        statements=_take("OLD"),
    ),
    Trigger(
        "procedures_entry_month_update_old",
        "procedures_entry",
        "AFTER",
        "UPDATE",
        condition=f"{COUNTS.format(row='OLD')} AND (NEW.status = 'draft' OR {MOVED})",
        statements=_take("OLD"),
    ),
    Trigger(
        "procedures_entry_month_update_new",
        "procedures_entry",
        "AFTER",
        "UPDATE",
        condition=f"{COUNTS.format(row='NEW')} AND (OLD.status = 'draft' OR {MOVED})",
        statements=_add("NEW"),
    ),
]

BACKFILL = (
    f"INSERT INTO {TABLE} (trainee_id, month, guidance, n) "
    f"SELECT e.trainee_id, {_month('e')}, e.guidance, COUNT(*) FROM procedures_entry e "
    f"WHERE {COUNTS.format(row='e')} GROUP BY e.trainee_id, {_month('e')}, e.guidance;"
)

forwards, backwards = install(TRIGGERS)


def fill(apps, schema_editor):
    schema_editor.execute(BACKFILL, params=None)


class Migration(migrations.Migration):

    dependencies = [
        ('procedures', '0010_events_outlive_entries'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='MonthlyCount',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('month', models.CharField(max_length=7)),
                ('guidance', models.CharField(choices=[('fluoroscopy', 'Fluoroscopy'), ('ct', 'CT'), ('mri', 'MRI'), ('ultrasound', 'Ultrasound'), ('landmark', 'Landmark (blind)')], max_length=20)),
                ('n', models.IntegerField(default=0)),
                ('trainee', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('trainee', 'month', 'guidance'), name='procedures_monthlycount_key')],
            },
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.RunPython(forwards, backwards),
    ]
