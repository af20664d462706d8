from django.apps import AppConfig


class ProceduresConfig(AppConfig):
    name = "procedures"
    verbose_name = "Logbook"

    def ready(self):
        from accounts.retention import keep

        from .models import Entry, Injectate, ProcedureType

        # An entry names its procedure type and lists its injectates: both are retired,
        # never deleted, or the entry (and its signature's hash) would change under it.
        keep(ProcedureType, lambda t: Entry.objects.filter(procedure=t).count(), "log entries")
        keep(
            Injectate,
            lambda i: Entry.injectates.through.objects.filter(injectate=i).count(),
            "log entries",
        )
