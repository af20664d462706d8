"""Who belongs where: programs, their directors, and enrollments with their supervisors.

This app is the bottom of the domain (`accounts ← programs ← procedures ← curriculum`):
the logbook asks it who may see an entry, the curriculum hangs its stages on a program.
It imports neither of them.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

# The longest a supervisor may go between typing their password to sign: a working day.
SIGNOFF_PASSWORD_MAX_MINUTES = 720


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class BlockThreshold(models.IntegerChoices):
    """The relief a diagnostic block must give to count as positive (procedures.blocks):
    80% as Medicare's facet rule (LCD L38773) asks, by default; other guidelines accept
    50% (Cohen et al., Reg Anesth Pain Med 2020)."""

    HALF = 50, "50% relief"
    THREE_QUARTERS = 75, "75% relief"
    MEDICARE = 80, "80% relief (Medicare LCD L38773)"
    COMPLETE = 100, "100% relief"


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
    # A sign-off is an electronic signature (21 CFR Part 11 §11.200(a)(1)): the first one
    # of a session needs the password again, later ones only within this window.
    signoff_password_minutes = models.PositiveSmallIntegerField(
        "sign-off password window (minutes)",
        default=15,
        validators=[MaxValueValidator(SIGNOFF_PASSWORD_MAX_MINUTES)],
        help_text=(
            "How long a supervisor's password, typed to sign off, covers further sign-offs "
            f"in the same session: 0 to {SIGNOFF_PASSWORD_MAX_MINUTES} minutes; 0 asks for "
            "it at every sign-off. The first sign-off of a session always asks. Signing "
            "entries of several programs at once uses the strictest."
        ),
    )
    block_threshold = models.PositiveSmallIntegerField(
        "diagnostic block threshold",
        choices=BlockThreshold.choices,
        default=BlockThreshold.MEDICARE,
        help_text="The relief of the index pain that makes a diagnostic block positive, "
        "for comparative block series and the ablations that rest on them.",
    )
    # Who changed the program or its directors, and when (the stamp is not history).
    history = HistoricalRecords(m2m_fields=[directors], excluded_fields=["curriculum_version"])

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(signoff_password_minutes__gte=0)
                & Q(signoff_password_minutes__lte=SIGNOFF_PASSWORD_MAX_MINUTES),
                name="programs_program_signoff_password_minutes_range",
                violation_error_message=(
                    "The sign-off password window must be between 0 and "
                    f"{SIGNOFF_PASSWORD_MAX_MINUTES} minutes."
                ),
            ),
            models.CheckConstraint(
                condition=Q(block_threshold__in=BlockThreshold.values),
                name="programs_program_block_threshold_valid",
                violation_error_message="The block threshold is 50, 75, 80 or 100%.",
            ),
        ]

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
