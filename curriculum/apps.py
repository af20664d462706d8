from django.apps import AppConfig


class CurriculumConfig(AppConfig):
    name = "curriculum"
    verbose_name = "Curriculum"

    def ready(self):
        from accounts.retention import keep
        from procedures.models import Injectate, ProcedureType
        from procedures.panels import register_entry_panel, register_queue_notes
        from programs.models import Enrollment

        from .competence import queue_notes
        from .dops import entry_assessments_panel
        from .models import Competency, ObservedAssessment, Requirement, Stage

        # An entry's page shows the DOPS recorded on it, and "Record a DOPS".
        register_entry_panel(entry_assessments_panel)
        # The queue shows the trainee's entrustment level in each entry's competency.
        register_queue_notes(queue_notes)

        # A requirement's lists are what it counts: deleting a listed type or injectate
        # would change it silently (an emptied list once meant "any").
        keep(
            ProcedureType,
            lambda t: Requirement.procedure_types.through.objects.filter(proceduretype=t).count(),
            "curriculum requirements",
        )
        keep(
            ProcedureType,
            lambda t: ObservedAssessment.objects.filter(procedure=t).count(),
            "observed assessments",
        )
        keep(
            Injectate,
            lambda i: Requirement.injectates.through.objects.filter(injectate=i).count(),
            "curriculum requirements",
        )
        # Trainees' progress is counted against the stages and requirements of their
        # program: once it has trainees, they are retired, never deleted.
        keep(
            Stage,
            lambda s: Enrollment.objects.filter(program_id=s.program_id).count(),
            "trainees enrolled in its program",
        )
        keep(
            Requirement,
            lambda r: Enrollment.objects.filter(program__stages=r.stage_id).count(),
            "trainees enrolled in its program",
        )
        keep(
            ProcedureType,
            lambda t: Competency.procedure_types.through.objects.filter(proceduretype=t).count(),
            "competencies",
        )
        keep(
            Competency,
            lambda c: Enrollment.objects.filter(program_id=c.program_id).count(),
            "trainees enrolled in its program",
        )
