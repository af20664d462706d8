"""Who belongs where: programs, their directors, and enrollments with their supervisors.

This app is the bottom of the domain (`accounts ← programs ← procedures ← curriculum`):
the logbook asks it who may see an entry, the curriculum hangs its stages on a program.
It imports neither of them.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from .dosimetry import Level, Preset, Quantity

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


def _limit(label: str) -> models.DecimalField:
    return models.DecimalField(
        label,
        max_digits=7,
        decimal_places=3,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text="Empty: the preset's.",
    )


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
    # Personal dosimetry (programs.dosimetry): a preset of dose limits, each value of
    # which the program may set instead (empty: the preset's), and investigation levels.
    dose_preset = models.CharField(
        "dose limits",
        max_length=10,
        choices=Preset.choices,
        default=Preset.ICRP,
        help_text="ICRP / EU: effective 20 mSv a year averaged over 5 years, never 50 in "
        "one year; lens 20; skin and extremities 500. US NRC: effective 50; lens 150; "
        "skin and extremities 500.",
    )
    limit_whole_body_msv = _limit("whole-body (effective) annual limit, mSv")
    limit_one_year_msv = _limit("most effective dose in any one year, mSv")
    limit_five_years_msv = _limit("effective dose limit over five years, mSv")
    limit_lens_msv = _limit("eye lens annual limit, mSv")
    limit_extremity_msv = _limit("skin and extremity annual limit, mSv")
    investigation_level_1_pct = models.PositiveSmallIntegerField(
        "investigation level I (% of a quarter's share)",
        default=10,
        validators=[MaxValueValidator(100)],
        help_text="Of the quarterly share of each annual limit; 10% by default (NUREG-1556 "
        "vol. 9).",
    )
    investigation_level_2_pct = models.PositiveSmallIntegerField(
        "investigation level II (% of a quarter's share)",
        default=30,
        validators=[MaxValueValidator(100)],
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

    def current(self, trainee):
        """`trainee`'s active enrollments (a user or an id), the one their pages show
        first: the earliest started."""
        return self.filter(trainee=trainee, active=True).order_by("start_date", "pk")


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


# A dosimeter reading is a few mSv at most in a month of interventional work; 1,000 mSv
# (a whole career's limit in a month) is a typing slip or the wrong unit.
MAX_READING_MSV = 1000


def _dose(label: str) -> models.DecimalField:
    return models.DecimalField(label, max_digits=7, decimal_places=3, null=True, blank=True)


class DoseReading(TimeStampedModel):
    """One dosimeter reading of a person for a wear period (programs.dosimetry): recorded
    by the person or their program's director, kept with its history."""

    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="dose_readings"
    )
    period_start = models.DateField("wear period from")
    period_end = models.DateField("wear period to")
    whole_body = _dose("whole body, Hp(10) (mSv)")
    lens = _dose("eye lens, Hp(3) (mSv)")
    extremity = _dose("extremity, Hp(0.07) (mSv)")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="dose_readings_recorded"
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["-period_end", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")),
                name="programs_dosereading_period_order",
            ),
            models.CheckConstraint(
                condition=Q(whole_body__isnull=False)
                | Q(lens__isnull=False)
                | Q(extremity__isnull=False),
                name="programs_dosereading_some_dose",
            ),
            *(
                models.CheckConstraint(
                    condition=Q(**{f"{name}__isnull": True})
                    | Q(**{f"{name}__gte": 0, f"{name}__lte": MAX_READING_MSV}),
                    name=f"programs_dosereading_{name}_bounds",
                )
                for name in ("whole_body", "lens", "extremity")
            ),
        ]
        indexes = [models.Index(fields=["person", "period_end"], name="programs_dose_person")]

    def __str__(self):
        return f"Dose reading of {self.person} to {self.period_end}"

    @property
    def doses(self) -> dict:
        return {
            Quantity.WHOLE_BODY: self.whole_body,
            Quantity.LENS: self.lens,
            Quantity.EXTREMITY: self.extremity,
        }


class DoseAlert(models.Model):
    """A level crossed (programs.dosimetry.Level) by a person's dose in a quarter: stored
    once, so the director is e-mailed once per crossing, and Cohort and the trainee's
    pages flag it."""

    person = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="dose_alerts")
    quarter = models.DateField(help_text="The first day of the calendar quarter.")
    quantity = models.CharField(max_length=20, choices=Quantity.choices)
    level = models.PositiveSmallIntegerField(choices=Level.choices)
    dose = models.DecimalField("dose when crossed (mSv)", max_digits=8, decimal_places=3)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-quarter", "-level"]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "quarter", "quantity", "level"], name="programs_dose_alert_once"
            )
        ]

    def __str__(self):
        return f"{self.person}: level {self.level} of {self.quantity} in {self.quarter}"
