"""Events outlive their entry (deleting an entry records a Deleted event and keeps the
rest, entry set to null), so each event keeps what it was about: the entry's number, its
procedure and its date. Existing events are filled in from their entry.

On SQLite, altering procedures_entryevent rebuilds it: any trigger naming it is dropped
first and installed again after (programs.dbtriggers.around_rebuild; none today).
"""


import django.db.models.deletion
from django.db import migrations, models
from django.db.models import F, OuterRef, Subquery

from programs.dbtriggers import around_rebuild

before, after = around_rebuild("procedures_entryevent")


def fill_from_entry(apps, schema_editor):
    Entry = apps.get_model("procedures", "Entry")
    EntryEvent = apps.get_model("procedures", "EntryEvent")
    entry = Entry.objects.filter(pk=OuterRef("entry_id"))
    EntryEvent.objects.filter(entry__isnull=False).update(
        entry_number=F("entry_id"),
        procedure_id=Subquery(entry.values("procedure_id")[:1]),
        performed_on=Subquery(entry.values("performed_on")[:1]),
    )


class Migration(migrations.Migration):
    dependencies = [
        ("procedures", "0009_text_limits"),
    ]

    operations = [
        before,
        migrations.AddField(
            model_name="entryevent",
            name="entry_number",
            field=models.PositiveIntegerField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="entryevent",
            name="performed_on",
            field=models.DateField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="entryevent",
            name="procedure",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="procedures.proceduretype",
            ),
        ),
        migrations.AlterField(
            model_name="entryevent",
            name="action",
            field=models.CharField(
                choices=[
                    ("created", "Created"),
                    ("submitted", "Submitted for sign-off"),
                    ("signed_off", "Signed off"),
                    ("returned", "Returned to trainee"),
                    ("corrected", "Corrected after sign-off"),
                    ("deleted", "Deleted"),
                ],
                max_length=20,
            ),
        ),
        migrations.AlterField(
            model_name="entryevent",
            name="entry",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="events",
                to="procedures.entry",
            ),
        ),
        migrations.AlterField(
            model_name="entryevent",
            name="to_status",
            field=models.CharField(
                blank=True,
                choices=[
                    ("draft", "Draft"),
                    ("submitted", "Submitted"),
                    ("signed_off", "Signed off"),
                    ("returned", "Returned"),
                ],
                max_length=20,
            ),
        ),
        migrations.RunPython(fill_from_entry, migrations.RunPython.noop),
        after,
    ]
