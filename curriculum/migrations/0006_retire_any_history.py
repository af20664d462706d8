"""Stages and requirements are retired, never deleted (`active`); "any procedure" is an
explicit choice (`any_procedure`) instead of what an empty list of procedure types meant;
the curriculum keeps history.

Existing requirements with no procedure types meant "any": they say so explicitly now.
On SQLite, adding a column rebuilds the table: its triggers go with the old table, and
renaming the new one fails while another table's trigger names the dropped one. So the
triggers naming the stage and requirement tables are set aside first and put back at the
end (programs.dbtriggers.around_rebuild; nothing to do on PostgreSQL).
"""

import django.db.models.deletion
import simple_history.models
from django.conf import settings
from django.db import migrations, models

from programs.dbtriggers import around_rebuild

before, after = around_rebuild("curriculum_stage", "curriculum_requirement")


def any_where_empty(apps, schema_editor):
    Requirement = apps.get_model("curriculum", "Requirement")
    Requirement.objects.filter(procedure_types__isnull=True).update(any_procedure=True)


class Migration(migrations.Migration):

    dependencies = [
        ('curriculum', '0005_curriculum_triggers'),
        ('procedures', '0006_catalogue_history'),
        ('programs', '0004_history'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        before,
        migrations.AddField(
            model_name='requirement',
            name='active',
            field=models.BooleanField(default=True, help_text='Untick to retire the requirement: it no longer counts towards progress, and its history is kept.'),
        ),
        migrations.AddField(
            model_name='requirement',
            name='any_procedure',
            field=models.BooleanField(default=False, help_text='Count every procedure type. Otherwise pick the procedure types that count.', verbose_name='any procedure'),
        ),
        migrations.AddField(
            model_name='stage',
            name='active',
            field=models.BooleanField(default=True, help_text='Untick to retire the stage: it no longer counts towards progress, and its history is kept.'),
        ),
        migrations.CreateModel(
            name='HistoricalRequirement',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('created_at', models.DateTimeField(blank=True, editable=False)),
                ('updated_at', models.DateTimeField(blank=True, editable=False)),
                ('key', models.SlugField(help_text='Stable key used by the loader.', max_length=80)),
                ('order', models.PositiveSmallIntegerField(default=0)),
                ('name', models.CharField(help_text='In plain words, e.g. “Lumbar medial branch blocks”.', max_length=200)),
                ('kind', models.CharField(choices=[('entries', 'Signed-off log entries'), ('assessments', 'Observed assessments (DOPS)')], default='entries', max_length=20)),
                ('any_procedure', models.BooleanField(default=False, help_text='Count every procedure type. Otherwise pick the procedure types that count.', verbose_name='any procedure')),
                ('modalities', models.JSONField(blank=True, default=list, help_text='Empty: any guidance.')),
                ('min_count', models.PositiveSmallIntegerField()),
                ('min_role', models.PositiveSmallIntegerField(choices=[(1, 'Observed'), (2, 'Assisted'), (3, 'Performed with supervisor present'), (4, 'Performed with supervisor available'), (5, 'Supervised a junior')], default=3)),
                ('min_autonomy', models.PositiveSmallIntegerField(blank=True, help_text='1–5 (O-SCORE); for assessments, the global rating.', null=True)),
                ('recency_days', models.PositiveIntegerField(blank=True, help_text='Only entries from the last N days count.', null=True)),
                ('active', models.BooleanField(default=True, help_text='Untick to retire the requirement: it no longer counts towards progress, and its history is kept.')),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.CharField(max_length=100, null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('stage', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='curriculum.stage')),
            ],
            options={
                'verbose_name': 'historical requirement',
                'verbose_name_plural': 'historical requirements',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='HistoricalRequirement_injectates',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('m2m_history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, to='curriculum.historicalrequirement')),
                ('injectate', models.ForeignKey(blank=True, db_constraint=False, db_tablespace='', null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='procedures.injectate')),
                ('requirement', models.ForeignKey(blank=True, db_constraint=False, db_tablespace='', null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='curriculum.requirement')),
            ],
            options={
                'verbose_name': 'HistoricalRequirement_injectates',
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='HistoricalRequirement_procedure_types',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('m2m_history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, to='curriculum.historicalrequirement')),
                ('proceduretype', models.ForeignKey(blank=True, db_constraint=False, db_tablespace='', null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='procedures.proceduretype')),
                ('requirement', models.ForeignKey(blank=True, db_constraint=False, db_tablespace='', null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='curriculum.requirement')),
            ],
            options={
                'verbose_name': 'HistoricalRequirement_procedure_types',
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='HistoricalStage',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('created_at', models.DateTimeField(blank=True, editable=False)),
                ('updated_at', models.DateTimeField(blank=True, editable=False)),
                ('key', models.SlugField(help_text='Stable key used by the loader.', max_length=80)),
                ('order', models.PositiveSmallIntegerField()),
                ('name', models.CharField(max_length=160)),
                ('description', models.TextField(blank=True)),
                ('active', models.BooleanField(default=True, help_text='Untick to retire the stage: it no longer counts towards progress, and its history is kept.')),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.CharField(max_length=100, null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('program', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='programs.program')),
            ],
            options={
                'verbose_name': 'historical stage',
                'verbose_name_plural': 'historical stages',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.RemoveConstraint(
            model_name='stage',
            name='curriculum_stage_order_unique',
        ),
        migrations.AddConstraint(
            model_name='stage',
            constraint=models.UniqueConstraint(
                condition=models.Q(('active', True)),
                fields=('program', 'order'),
                name='curriculum_stage_order_unique',
            ),
        ),
        after,
        migrations.RunPython(any_where_empty, migrations.RunPython.noop),
    ]
