"""Compute each program's radiation medians for today (curriculum.radiation): run from cron
after midnight, so that no one's first Radiation page of the day waits for them."""

from django.core.management.base import BaseCommand
from django.utils import timezone

from curriculum.radiation import store_program_reference
from programs.models import Program


class Command(BaseCommand):
    help = "Compute each program's median fluoroscopy time and DAP for today (once a day)."

    def handle(self, *args, **options):
        today = timezone.localdate()
        for program in Program.objects.order_by("pk"):
            medians = store_program_reference(program.pk, today)
            self.stdout.write(f"{program.slug}: {len(medians)} medians as of {today}")
