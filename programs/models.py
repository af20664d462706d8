"""Who belongs where: programs, their directors, and enrollments with their supervisors.

This app is the bottom of the domain (`accounts ← programs ← procedures ← curriculum`):
the logbook asks it who may see an entry, the curriculum hangs its stages on a program.
It imports neither of them.
"""

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class Program(TimeStampedModel):
    """A training program; its directors see its whole cohort."""

    slug = models.SlugField(max_length=80, unique=True)
    name = models.CharField(max_length=160)
    description = models.TextField(blank=True)
    directors = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="directed_programs"
    )
    # Bumped by database triggers whenever a stage or requirement of this program (or a
    # requirement's procedure types or injectates) is written, by any path; stored
    # progress computed against another version is recomputed. Never set by code.
    curriculum_version = models.BigIntegerField(default=0, editable=False)
    # Who changed the program or its directors, and when (the stamp is not history).
    history = HistoricalRecords(m2m_fields=[directors], excluded_fields=["curriculum_version"])

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class EnrollmentQuerySet(models.QuerySet):
    def active(self):
        return self.filter(active=True)


class Enrollment(TimeStampedModel):
    """A trainee in a program, with the supervisors who may verify their entries."""

    trainee = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="enrollments"
    )
    program = models.ForeignKey(Program, models.PROTECT, related_name="enrollments")
    start_date = models.DateField()
    supervisors = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="supervised_enrollments", blank=True
    )
    active = models.BooleanField(default=True)
    # Bumped by database triggers whenever the trainee's record changes (an entry, its
    # injectates, a signature, an observed assessment), by any path, in the same
    # transaction; stored progress computed at another version is recomputed.
    record_version = models.BigIntegerField(default=0, editable=False)

    objects = EnrollmentQuerySet.as_manager()
    # Who changed the enrollment or its supervisors, and when.
    history = HistoricalRecords(m2m_fields=[supervisors], excluded_fields=["record_version"])

    class Meta:
        ordering = ["program", "trainee"]
        constraints = [
            models.UniqueConstraint(
                fields=["trainee", "program"], name="programs_enrollment_one_per_program"
            ),
        ]

    def __str__(self):
        return f"{self.trainee} in {self.program}"
