"""The staged curriculum: a program's stages and requirements, observed assessments, and
stored progress (DESIGN §3–4). Programs and enrollments live in `programs`."""

import hashlib
import hmac
import json
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
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

from .cusum import CusumRule
from .entrustment import DEFAULT_RULES, LAPSE_DAYS, LevelRule, ReadinessRule
from .entrustment import Level as EntrustmentLevel

MAX_LAPSE_DAYS = 3650


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


# --- Competence and entrustment (issue 13) ------------------------------------------------


def default_level_rules() -> list[dict]:
    """The default entrustment rules (curriculum.entrustment.DEFAULT_RULES) as stored."""
    return [rule.as_dict() for rule in DEFAULT_RULES]


def _decimal(name: str, default: str, help_text: str) -> models.DecimalField:
    return models.DecimalField(
        name, max_digits=4, decimal_places=3, default=Decimal(default), help_text=help_text
    )


class CompetencyPolicy(TimeStampedModel):
    """A program's rules for competence (curriculum.entrustment, curriculum.cusum): the
    entrustment levels, recency, the learning curve's failure rates and error rates, and
    what a committee needs to decide. A program without one follows the defaults
    (`CompetencyPolicy.of`). Writing it bumps the program's `curriculum_version`, so
    stored entrustment is recomputed (a database trigger, migration 0011)."""

    program = models.OneToOneField(
        "programs.Program", models.CASCADE, related_name="competency_policy"
    )
    lapse_days = models.PositiveSmallIntegerField(
        "lapse after (days)",
        default=LAPSE_DAYS,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_LAPSE_DAYS)],
        help_text=f"Days without a signed-off case after which a competency lapses to "
        f"direct supervision: 1 to {MAX_LAPSE_DAYS}. A competency may set its own.",
    )
    level_rules = models.JSONField(
        default=default_level_rules,
        help_text="The entrustment levels' rules, lowest first: each a level (1 direct, "
        "2 indirect, 3 unsupervised), min_cases, last, min_rating and min_assessors.",
    )
    cusum_p0 = _decimal("acceptable failure rate (p0)", "0.100", "Between 0 and p1.")
    cusum_p1 = _decimal("unacceptable failure rate (p1)", "0.200", "Between p0 and 1.")
    cusum_alpha = _decimal(
        "α (type I error)", "0.100", "The chance of calling an acceptable performer unacceptable."
    )
    cusum_beta = _decimal(
        "β (type II error)", "0.100", "The chance of calling an unacceptable performer acceptable."
    )
    evidence_observations = models.PositiveSmallIntegerField(
        "observations needed", default=10, validators=[MinValueValidator(1)]
    )
    evidence_assessors = models.PositiveSmallIntegerField(
        "different assessors needed", default=2, validators=[MinValueValidator(1)]
    )
    evidence_recent = models.PositiveSmallIntegerField(
        "recent observations needed", default=2, validators=[MaxValueValidator(20)]
    )
    evidence_recent_days = models.PositiveSmallIntegerField(
        "recent means within (days)",
        default=90,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_LAPSE_DAYS)],
    )
    evidence_narratives = models.PositiveSmallIntegerField(
        "narrative comments needed", default=1, validators=[MaxValueValidator(20)]
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name_plural = "competency policies"
        constraints = [
            models.CheckConstraint(
                condition=Q(cusum_p0__gt=0, cusum_p1__lt=1, cusum_p0__lt=models.F("cusum_p1")),
                name="curriculum_competencypolicy_rates_ordered",
                violation_error_message="The failure rates must be 0 < p0 < p1 < 1.",
            ),
            models.CheckConstraint(
                condition=Q(
                    cusum_alpha__gt=0, cusum_alpha__lt=1, cusum_beta__gt=0, cusum_beta__lt=1
                ),
                name="curriculum_competencypolicy_errors_0_1",
                violation_error_message="α and β must be between 0 and 1.",
            ),
            models.CheckConstraint(
                condition=Q(lapse_days__gte=1, lapse_days__lte=MAX_LAPSE_DAYS),
                name="curriculum_competencypolicy_lapse_days",
            ),
        ]

    def __str__(self):
        return f"Competency policy of {self.program}"

    def clean(self):
        """The level rules must be readable and name each level once, lowest first."""
        try:
            rules = self.rules
        except TypeError as exc:
            raise ValidationError(
                {"level_rules": f"Each rule needs level and min_cases: {exc}"}
            ) from exc
        levels = [int(rule.level) for rule in rules]
        if levels != sorted(set(levels)) or not set(levels) <= {1, 2, 3}:
            raise ValidationError(
                {
                    "level_rules": "Give each level (1 direct, 2 indirect, 3 unsupervised) at "
                    "most once, lowest first."
                }
            )
        for rule in rules:
            if rule.min_cases < 0 or rule.last < 0 or not 0 <= rule.min_rating <= 5:
                raise ValidationError(
                    {"level_rules": "min_cases and last are 0 or more; min_rating is 0 to 5."}
                )

    @classmethod
    def of(cls, program) -> "CompetencyPolicy":
        """The program's policy, or the defaults (unsaved) when it has none."""
        try:
            return program.competency_policy
        except cls.DoesNotExist:
            return cls(program=program)

    @property
    def rules(self) -> tuple[LevelRule, ...]:
        if not isinstance(self.level_rules, list):
            raise TypeError("level_rules must be a list")
        return tuple(LevelRule(**row) for row in self.level_rules)

    @property
    def cusum_rule(self) -> CusumRule:
        return CusumRule(
            float(self.cusum_p0),
            float(self.cusum_p1),
            float(self.cusum_alpha),
            float(self.cusum_beta),
        )

    @property
    def readiness_rule(self) -> ReadinessRule:
        return ReadinessRule(
            observations=self.evidence_observations,
            assessors=self.evidence_assessors,
            recent=self.evidence_recent,
            recent_days=self.evidence_recent_days,
            narratives=self.evidence_narratives,
        )


class Competency(TimeStampedModel):
    """A procedure type, or a group of them, under one guidance modality: what a trainee
    is entrusted with (issue 13). Defined in the curriculum file; retired, never deleted
    (decisions point at it). Writing it bumps its program's `curriculum_version`."""

    program = models.ForeignKey("programs.Program", models.CASCADE, related_name="competencies")
    key = models.SlugField(max_length=80, help_text="Stable key used by the loader.")
    order = models.PositiveSmallIntegerField(default=0)
    name = models.CharField(max_length=160)
    modality = models.CharField("guidance", max_length=20, choices=Modality.choices)
    procedure_types = models.ManyToManyField(ProcedureType, related_name="competencies")
    lapse_days = models.PositiveSmallIntegerField(
        "lapse after (days)",
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_LAPSE_DAYS)],
        help_text="Empty: the program's.",
    )
    active = models.BooleanField(
        default=True,
        help_text="Untick to retire it: gone from the grid, its decisions kept.",
    )
    history = HistoricalRecords(m2m_fields=[procedure_types])

    class Meta:
        ordering = ["program", "order", "id"]
        verbose_name_plural = "competencies"
        constraints = [
            models.UniqueConstraint(
                fields=["program", "key"], name="curriculum_competency_key_unique"
            ),
            models.CheckConstraint(
                condition=Q(lapse_days__isnull=True)
                | Q(lapse_days__gte=1, lapse_days__lte=MAX_LAPSE_DAYS),
                name="curriculum_competency_lapse_days",
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.get_modality_display()})"


class EntrustmentSnapshot(models.Model):
    """A trainee's standing in each competency of their program (curriculum.competence),
    a cache and never the record: `grid` maps a competency id to what its signed-off
    cases and DOPS give (level, evidence, agreement, learning curve), in a form that the
    passing of days does not change (the page applies today); `curves` maps a competency
    id to its cases' failures in order ("0" and "1"), for the CUSUM chart.

    Right by construction, as ProgressSnapshot is: it records the enrollment's
    `record_version` and the program's `curriculum_version` (competencies, the policy and
    the catalogue's failure definitions bump it) and is recomputed whenever either
    differs."""

    enrollment = models.OneToOneField(
        Enrollment, models.CASCADE, related_name="entrustment_snapshot"
    )
    grid = models.JSONField()
    curves = models.JSONField()
    record_version = models.BigIntegerField(default=0)
    curriculum_version = models.BigIntegerField(default=0)
    # What Cohort counts, whatever the day (curriculum.competence.counts_of): for each
    # competency the day after which it lapses and whether it is lapsed before and after
    # that day, and the days until which those ready for a decision stay ready. Null in a
    # snapshot stored before it was kept: recomputed.
    counts = models.JSONField(null=True)
    # Cohort asked the background to recompute it (curriculum.competence): asked once.
    refresh_requested = models.BooleanField(default=False)

    def __str__(self):
        return f"Entrustment of {self.enrollment}"


class EntrustmentDecision(models.Model):
    """A director's entrustment decision for one trainee and one competency: its own
    signed record, apart from the per-case ratings (issue 13, point 5). Never changed:
    a database trigger refuses any update (migration 0011); a later decision for the same
    competency supersedes it. `content_hash` is a SHA-256 of what was decided, checked
    every time it is shown (`verified`)."""

    MEANING = "entrusted by the program's director on the committee's evidence"

    trainee = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="entrustment_decisions"
    )
    competency = models.ForeignKey(Competency, models.PROTECT, related_name="decisions")
    level = models.PositiveSmallIntegerField(choices=EntrustmentLevel.choices)
    decided_on = models.DateField("date decided")
    rationale = models.TextField(max_length=MAX_COMMENT)
    director = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    signer_name = models.CharField(max_length=200, help_text="The signer's name as printed.")
    signed_at = models.DateTimeField()
    meaning = models.CharField(max_length=200, default=MEANING)
    content_hash = models.CharField(max_length=64)
    # The form's one-time key: a decision sent twice is recorded once.
    form_key = models.CharField(max_length=36, blank=True, editable=False)

    class Meta:
        ordering = ["-decided_on", "-signed_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(level__gte=0, level__lte=3), name="curriculum_decision_level_0_3"
            ),
            models.CheckConstraint(
                condition=Q(decided_on__gte=EARLIEST_DATE),
                name="curriculum_decision_decided_from_1990",
            ),
            text_limit("rationale", MAX_COMMENT, "curriculum_decision", "The rationale"),
            models.CheckConstraint(
                condition=~Q(director=models.F("trainee")),
                name="curriculum_decision_not_self_decided",
            ),
            models.UniqueConstraint(
                fields=["director", "form_key"],
                condition=~Q(form_key=""),
                name="curriculum_decision_form_key_once",
            ),
        ]
        indexes = [
            # Progress and the committee view: a trainee's decisions, newest first.
            models.Index(fields=["trainee", "-decided_on"], name="curriculum_decision_trainee"),
        ]

    def __str__(self):
        return (
            f"{self.competency}: {self.get_level_display()} on {self.decided_on:%d %b %Y}, "
            f"signed by {self.signer_name}"
        )

    def content(self) -> str:
        """What the signature covers, in a fixed form."""
        return json.dumps(
            {
                "trainee": self.trainee_id,
                "competency": self.competency_id,
                "level": int(self.level),
                "decided_on": self.decided_on.isoformat(),
                "rationale": self.rationale,
                "director": self.director_id,
                "signer_name": self.signer_name,
                "signed_at": self.signed_at.isoformat(),
                "meaning": self.meaning,
            },
            sort_keys=True,
            ensure_ascii=False,
        )

    def compute_hash(self) -> str:
        return hashlib.sha256(self.content().encode()).hexdigest()

    @property
    def verified(self) -> bool:
        """Whether the stored record still matches its signature (no query)."""
        return hmac.compare_digest(self.content_hash, self.compute_hash())


class CohortFacts(models.Model):
    """Cohort's two facts from a trainee's logbook (curriculum.cohort_facts): how many of
    their ablations carry a teaching flag, and their transforaminal safety-bundle cases
    and how many are complete. A cache and never the record: it records the enrollment's
    `record_version`, the program's `curriculum_version` (the catalogue's procedure types
    and injectates bump it) and the block threshold the flags were judged by, and is
    recomputed whenever one differs. Two grouped queries over every trainee of a page
    cost PostgreSQL's Cohort 8 ms (measured); one trainee's, after a sign-off, little."""

    enrollment = models.OneToOneField(Enrollment, models.CASCADE, related_name="cohort_facts")
    flagged_ablations = models.PositiveIntegerField()
    bundle_cases = models.PositiveIntegerField()
    bundle_compliant = models.PositiveIntegerField()
    record_version = models.BigIntegerField(default=0)
    curriculum_version = models.BigIntegerField(default=0)
    block_threshold = models.PositiveSmallIntegerField()

    class Meta:
        verbose_name_plural = "cohort facts"

    def __str__(self):
        return f"Cohort facts of {self.enrollment}"
