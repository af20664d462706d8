"""The staged curriculum: a program's stages and requirements, observed assessments, and
stored progress (DESIGN §3–4). Programs and enrollments live in `programs`."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from procedures.models import (
    EARLIEST_DATE,
    MAX_COMMENT,
    Autonomy,
    Entry,
    Injectate,
    Modality,
    ProcedureType,
    text_limit,
)
from programs.access import actively_supervised_trainees, directed_trainees
from programs.models import Enrollment, TimeStampedModel


class Stage(TimeStampedModel):
    """An ordered step of a program; complete when its requirements and its predecessor are."""

    program = models.ForeignKey("programs.Program", models.CASCADE, related_name="stages")
    key = models.SlugField(max_length=80, help_text="Stable key used by the loader.")
    order = models.PositiveSmallIntegerField()
    name = models.CharField(max_length=160)
    description = models.TextField(blank=True)
    active = models.BooleanField(
        default=True,
        help_text="Untick to retire the stage: it no longer counts towards progress, and "
        "its history is kept.",
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["program", "order"]
        constraints = [
            # Retired stages keep the place they had, as history.
            models.UniqueConstraint(
                fields=["program", "order"],
                condition=Q(active=True),
                name="curriculum_stage_order_unique",
            ),
            models.UniqueConstraint(fields=["program", "key"], name="curriculum_stage_key_unique"),
        ]

    def __str__(self):
        return f"{self.order}. {self.name}"


class Requirement(TimeStampedModel):
    """What a stage asks for: a number of matching signed-off entries, of observed
    assessments (DOPS), or of completed comparative block series (two diagnostic blocks
    linked as a series, both signed off, both diaries recorded; the second block's
    procedure type and guidance are the ones matched).

    An entry matches when its procedure type is one of `procedure_types` (or any, when
    `any_procedure` says so: an empty list alone matches nothing, so deleting or unticking
    types never silently turns a requirement into "any"), its guidance one of `modalities` (any if empty), it used one of `injectates` (any if
    empty), its role is at least `min_role`, its autonomy rating at least `min_autonomy`
    (if set), and it was performed within `recency_days` (if set).
    """

    class Kind(models.TextChoices):
        ENTRIES = "entries", "Signed-off log entries"
        ASSESSMENTS = "assessments", "Observed assessments (DOPS)"
        BLOCK_SERIES = "block_series", "Completed comparative block series"
        STRESS_EXAMS = "stress_exams", "Stress ultrasound examinations, measured"

    stage = models.ForeignKey(Stage, models.CASCADE, related_name="requirements")
    key = models.SlugField(max_length=80, help_text="Stable key used by the loader.")
    order = models.PositiveSmallIntegerField(default=0)
    name = models.CharField(
        max_length=200, help_text="In plain words, e.g. “Lumbar medial branch blocks”."
    )
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.ENTRIES)
    procedure_types = models.ManyToManyField(ProcedureType, blank=True, related_name="requirements")
    any_procedure = models.BooleanField(
        "any procedure",
        default=False,
        help_text="Count every procedure type. Otherwise pick the procedure types that count.",
    )
    modalities = models.JSONField(default=list, blank=True, help_text="Empty: any guidance.")
    injectates = models.ManyToManyField(Injectate, blank=True, related_name="requirements")
    min_count = models.PositiveSmallIntegerField()
    min_role = models.PositiveSmallIntegerField(
        choices=Entry.Role.choices, default=Entry.Role.PERFORMED_PRESENT
    )
    min_autonomy = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="1–5 (O-SCORE); for assessments, the global rating."
    )
    recency_days = models.PositiveIntegerField(
        null=True, blank=True, help_text="Only entries from the last N days count."
    )
    active = models.BooleanField(
        default=True,
        help_text="Untick to retire the requirement: it no longer counts towards progress, "
        "and its history is kept.",
    )
    history = HistoricalRecords(m2m_fields=[procedure_types, injectates])

    class Meta:
        ordering = ["stage", "order", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["stage", "key"], name="curriculum_requirement_key_unique"
            ),
            models.CheckConstraint(
                condition=Q(min_count__gte=1), name="curriculum_requirement_count_positive"
            ),
            models.CheckConstraint(
                condition=Q(min_autonomy__isnull=True)
                | Q(min_autonomy__gte=1, min_autonomy__lte=5),
                name="curriculum_requirement_autonomy_1_5",
            ),
            models.CheckConstraint(
                condition=Q(min_role__gte=1, min_role__lte=5),
                name="curriculum_requirement_role_valid",
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.min_count})"

    @property
    def modality_labels(self) -> list[str]:
        return [Modality(m).label for m in self.modalities]


# Kept by every model; never shown in a list.
STAMPS = ("created_at", "updated_at")


class ObservedAssessmentQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The DOPS `user` may read: their own, and those of the trainees whose enrollment
        they may read as an active supervisor or as the program's director (as
        programs.access.visible_enrollments decides). An assessor taken off the roster
        loses them with the trainee. One query with two subqueries; nothing evaluated."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(
            Q(trainee=user)
            | Q(trainee__in=actively_supervised_trainees(user))
            | Q(trainee__in=directed_trainees(user))
        )

    def with_related(self):
        """With what a list of DOPS shows (curriculum.templatetags.dops, the CSV) and
        what `with_counts_for` checks, and only that: the joined rows in full took Progress
        2.5 ms on PostgreSQL for five DOPS, 0.45 ms more than these columns (measured)."""
        return self.select_related("procedure", "assessor", "requirement__stage").only(
            *(f.name for f in self.model._meta.concrete_fields if f.name not in STAMPS),
            "procedure__name",
            "assessor__title",
            "assessor__first_name",
            "assessor__last_name",
            "assessor__username",
            "requirement__name",
            "requirement__min_autonomy",
            "requirement__active",
            "requirement__stage__active",
            "requirement__stage__program",
        )


class ObservedAssessment(TimeStampedModel):
    """A direct observation of procedural skills (DOPS): a supervisor watched the trainee
    do a procedure and gives a global rating on the five-point O-SCORE scale."""

    trainee = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="assessments"
    )
    assessor = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="assessments_given"
    )
    entry = models.ForeignKey(
        Entry,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="assessments",
        help_text="The log entry of the observed procedure, where there is one.",
    )
    # The requirement this DOPS counts for, and no other (curriculum.progress). Empty on
    # rows recorded before it was asked, and when no requirement of the trainee's program
    # matched the procedure and guidance: those count by `progress.preferred_requirement`.
    requirement = models.ForeignKey(
        Requirement,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="assessments",
        help_text="The DOPS requirement of the trainee's program that this assessment counts for.",
    )
    observed_on = models.DateField("date observed")
    procedure = models.ForeignKey(ProcedureType, models.PROTECT, related_name="assessments")
    guidance = models.CharField(max_length=20, choices=Modality.choices)
    rating = models.PositiveSmallIntegerField("global rating", choices=Autonomy.choices)
    comments = models.TextField(blank=True, max_length=MAX_COMMENT)

    objects = ObservedAssessmentQuerySet.as_manager()

    class Meta:
        ordering = ["-observed_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(rating__gte=1, rating__lte=5), name="curriculum_assessment_rating_1_5"
            ),
            models.CheckConstraint(
                condition=Q(observed_on__gte=EARLIEST_DATE),
                name="curriculum_assessment_observed_from_1990",
                violation_error_code="observed_on_too_early",
                violation_error_message="The date observed cannot be before 1 January 1990.",
            ),
            text_limit("comments", MAX_COMMENT, "curriculum_assessment", "Comments"),
            models.CheckConstraint(
                condition=~Q(assessor=models.F("trainee")),
                name="curriculum_assessment_not_self_assessed",
            ),
        ]
        indexes = [
            # Progress: one trainee's assessments.
            models.Index(fields=["trainee", "observed_on"], name="curriculum_assessment_trainee"),
        ]

    def __str__(self):
        return f"DOPS: {self.procedure} ({self.observed_on:%Y-%m-%d}), rated {self.rating}"

    @property
    def rating_words(self) -> str:
        """The O-SCORE anchor of the rating, without its number: “I did not need to be there”."""
        return Autonomy(self.rating).label.split(" – ", 1)[-1]


class ProgressSnapshot(models.Model):
    """An enrollment's stored counts, a cache and never the record.

    `counts` maps a requirement id to `[done, pending]`, where "done" is the signed-off
    entries (or assessments) that count and "pending" the submitted ones; for a
    requirement with a recency window it maps to `{"d": [[day, n], ...], "p": [...]}`,
    the counts per date performed (as `date.toordinal()`) of the dates that may still
    fall in the window, so that the count on any later day is a sum and the passing of a
    day never forces a rebuild.

    It is right by construction: it records the `Enrollment.record_version` and
    `Program.curriculum_version` it was computed at (both bumped by database triggers on
    every write), and `curriculum.progress` recomputes it whenever either differs.
    """

    enrollment = models.OneToOneField(Enrollment, models.CASCADE, related_name="progress_snapshot")
    counts = models.JSONField()
    computed_on = models.DateField()
    record_version = models.BigIntegerField(default=0)
    curriculum_version = models.BigIntegerField(default=0)

    def __str__(self):
        return f"Progress of {self.enrollment} on {self.computed_on}"


class RadiationSnapshot(models.Model):
    """A trainee's radiation figures (curriculum.radiation), a cache and never the record:
    `medians` maps "procedure id:band:measure" to [cases, median] over their signed-off
    fluoroscopy cases; `months` maps "YYYY-MM" to the month's sums (all but drafts); `ct`
    maps a procedure id to its CT-guided cases' [cases, cases with a DLP, DLP sum];
    `curves` each procedure's fluoroscopy times in case order.

    Right by construction, as ProgressSnapshot is: it records the enrollment's
    `record_version` (bumped by a database trigger on every write of the trainee's
    entries) and is recomputed whenever that differs."""

    enrollment = models.OneToOneField(Enrollment, models.CASCADE, related_name="radiation_snapshot")
    medians = models.JSONField()
    # Null when Cohort stored the medians alone: the Radiation page computes them then.
    months = models.JSONField(null=True)
    ct = models.JSONField(null=True)
    # procedure id → the fluoroscopy times of its signed-off cases in order (one-level
    # cases of the types logged at levels): the learning curves.
    curves = models.JSONField(null=True)
    computed_on = models.DateField()
    record_version = models.BigIntegerField(default=0)
    # Cohort asked the background to recompute it (curriculum.radiation): asked once.
    refresh_requested = models.BooleanField(default=False)

    def __str__(self):
        return f"Radiation of {self.enrollment} on {self.computed_on}"


class ProgramDoseReference(models.Model):
    """The program's medians per procedure type, band and measure over all its trainees'
    signed-off cases (curriculum.radiation), recomputed once a day in the background: tens
    of thousands of cases take a few hundred milliseconds, and a reference that moves
    slowly need not follow each sign-off. Pages say the day it is of."""

    program = models.OneToOneField(
        "programs.Program", models.CASCADE, related_name="dose_reference"
    )
    medians = models.JSONField()
    computed_on = models.DateField()
    # The day a recomputing was last queued: once a day, whoever asks first.
    requested_on = models.DateField(null=True, blank=True)

    def __str__(self):
        return f"Dose reference of {self.program} on {self.computed_on}"
