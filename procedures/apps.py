from django.apps import AppConfig


class ProceduresConfig(AppConfig):
    name = "procedures"
    verbose_name = "Logbook"

    def ready(self):
        from django.db.models.signals import pre_save

        from accounts.retention import keep

        from .models import Entry, Injectate, MonthlyCount, ProcedureType, StressStructure

        pre_save.connect(count_from_entries, sender=MonthlyCount, dispatch_uid="monthly_restore")

        # An entry names its procedure type and lists its injectates: both are retired,
        # never deleted, or the entry (and its signature's hash) would change under it.
        keep(ProcedureType, lambda t: Entry.objects.filter(procedure=t).count(), "log entries")
        keep(
            Injectate,
            lambda i: Entry.injectates.through.objects.filter(injectate=i).count(),
            "log entries",
        )
        keep(
            StressStructure,
            lambda s: Entry.objects.filter(stress_structure=s).count(),
            "log entries",
        )


def count_from_entries(sender, instance, raw, **kwargs):
    """A count being restored (loaddata, `raw`) is never taken from the backup: the restored
    entries' own triggers make the counts, before or after this row comes. So the row
    becomes the one already there for its key, unchanged (the save is a no-op update), or a
    new row at 0 (which entries restored later add to); never a second row for the key, nor
    one row overwritten by another's numbers under the same id."""
    if not raw:
        return
    key = {
        "trainee_id": instance.trainee_id,
        "month": instance.month,
        "guidance": instance.guidance,
    }
    found = sender._base_manager.filter(**key).values_list("pk", "n").first()
    instance.pk, instance.n = found if found else (None, 0)
