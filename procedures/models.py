"""The logbook: the procedure catalogue and the trainee's log entries (DESIGN §3, §5)."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class Modality(models.TextChoices):
    FLUOROSCOPY = "fluoroscopy", "Fluoroscopy"
    CT = "ct", "CT"
    MRI = "mri", "MRI"
    ULTRASOUND = "ultrasound", "Ultrasound"
    LANDMARK = "landmark", "Landmark (blind)"


IONIZING = frozenset({Modality.FLUOROSCOPY, Modality.CT})


class Side(models.TextChoices):
    LEFT = "left", "Left"
    RIGHT = "right", "Right"
    BILATERAL = "bilateral", "Bilateral"
    MIDLINE = "midline", "Midline"
    NOT_APPLICABLE = "na", "Not applicable"


class ProcedureType(TimeStampedModel):
    """One kind of procedure in the catalogue, with the rules an entry must follow."""

    class Category(models.TextChoices):
        SPINE = "spine", "Spine"
        PERIPHERAL = "peripheral", "Peripheral"
        DIAGNOSTIC = "diagnostic", "Diagnostic"
        ORTHOBIOLOGIC = "orthobiologic", "Orthobiologic"

    class Region(models.TextChoices):
        CERVICAL = "cervical", "Cervical spine"
        THORACIC = "thoracic", "Thoracic spine"
        LUMBAR = "lumbar", "Lumbar spine"
        SPINE = "spine", "Any spinal level"
        SACRAL = "sacral", "Sacrum and pelvis"
        SHOULDER = "shoulder", "Shoulder"
        HIP = "hip", "Hip"
        KNEE = "knee", "Knee"
        HAND_WRIST = "hand_wrist", "Hand and wrist"
        FOOT_ANKLE = "foot_ankle", "Foot and ankle"
        ANY = "any", "Any region"

    slug = models.SlugField(max_length=80, unique=True, help_text="Stable key used by the loader.")
    name = models.CharField(max_length=120, unique=True)
    category = models.CharField(max_length=20, choices=Category.choices)
    region = models.CharField(max_length=20, choices=Region.choices)
    modalities = models.JSONField(default=list, help_text="Guidance modalities allowed.")
    sides = models.JSONField(default=list, help_text="Sides allowed.")
    needs_levels = models.BooleanField(default=False, help_text="Entries must give levels.")
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["category", "name"]

    def __str__(self):
        return self.name

    @property
    def is_ionizing_possible(self) -> bool:
        return any(m in IONIZING for m in self.modalities)


class Injectate(TimeStampedModel):
    class Category(models.TextChoices):
        ANESTHETIC = "anesthetic", "Local anesthetic"
        STEROID = "steroid", "Corticosteroid"
        CONTRAST = "contrast", "Contrast"
        ORTHOBIOLOGIC = "orthobiologic", "Orthobiologic"
        PROLOTHERAPY = "prolotherapy", "Prolotherapy"
        OTHER = "other", "Other"

    slug = models.SlugField(max_length=80, unique=True)
    name = models.CharField(max_length=120, unique=True)
    category = models.CharField(max_length=20, choices=Category.choices)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["category", "name"]

    def __str__(self):
        return self.name


class EntryQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Entries `user` may read.

        A trainee reads their own entries; a supervisor reads the non-draft entries of
        trainees whose enrollment names them; a director reads the non-draft entries of
        trainees in programs they direct. Drafts stay private to their trainee.
        One query with two subqueries; nothing is evaluated here.
        """
        if not user.is_authenticated:
            return self.none()
        if user.is_superuser:
            return self
        from curriculum.models import Enrollment

        supervised = Enrollment.objects.filter(supervisors=user).values("trainee")
        directed = Enrollment.objects.filter(program__directors=user).values("trainee")
        return self.filter(
            Q(trainee=user)
            | (
                (Q(trainee__in=supervised) | Q(trainee__in=directed))
                & ~Q(status=Entry.Status.DRAFT)
            )
        )

    def with_related(self):
        return self.select_related("procedure", "trainee", "supervisor")


class EntryStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"
    SIGNED_OFF = "signed_off", "Signed off"
    RETURNED = "returned", "Returned"


# Plausibility bounds, shared by the form and the database constraints.
MAX_FLUORO_SECONDS = 3600
MAX_DAP = 100_000  # mGy·cm²; a long multi-level case is a few thousand
MAX_DLP = 5_000  # mGy·cm; a CT-guided spine injection is typically a few hundred


class Entry(TimeStampedModel):
    """One procedure done by one trainee. Never holds a patient identifier."""

    Status = EntryStatus

    class Purpose(models.TextChoices):
        DIAGNOSTIC = "diagnostic", "Diagnostic"
        THERAPEUTIC = "therapeutic", "Therapeutic"

    class Role(models.IntegerChoices):
        # Ordered: a requirement's minimum role compares these numbers.
        OBSERVED = 1, "Observed"
        ASSISTED = 2, "Assisted"
        PERFORMED_PRESENT = 3, "Performed with supervisor present"
        PERFORMED_AVAILABLE = 4, "Performed with supervisor available"
        SUPERVISED_JUNIOR = 5, "Supervised a junior"

    class Complication(models.TextChoices):
        NONE = "none", "None"
        VASOVAGAL = "vasovagal", "Vasovagal reaction"
        INTRAVASCULAR = "intravascular", "Intravascular uptake"
        DURAL_PUNCTURE = "dural_puncture", "Dural puncture"
        TRANSIENT_NEURO = "transient_neuro", "Transient neurological symptoms"
        INFECTION = "infection", "Infection"
        OTHER = "other", "Other (describe in notes)"

    class AgeBand(models.TextChoices):
        UNDER_18 = "u18", "Under 18"
        AGE_18_29 = "18-29", "18–29"
        AGE_30_39 = "30-39", "30–39"
        AGE_40_49 = "40-49", "40–49"
        AGE_50_59 = "50-59", "50–59"
        AGE_60_69 = "60-69", "60–69"
        AGE_70_79 = "70-79", "70–79"
        AGE_80_PLUS = "80+", "80 and over"

    class Sex(models.TextChoices):
        FEMALE = "female", "Female"
        MALE = "male", "Male"
        OTHER = "other", "Other or not stated"

    MAX_FLUORO_SECONDS = MAX_FLUORO_SECONDS
    MAX_DAP = MAX_DAP
    MAX_DLP = MAX_DLP

    trainee = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="entries")
    supervisor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="supervised_entries",
    )
    procedure = models.ForeignKey(ProcedureType, models.PROTECT, related_name="entries")
    performed_on = models.DateField("date performed")
    guidance = models.CharField(max_length=20, choices=Modality.choices)
    side = models.CharField(max_length=20, choices=Side.choices)
    levels = models.CharField(max_length=200, blank=True)
    purpose = models.CharField(max_length=20, choices=Purpose.choices)
    injectates = models.ManyToManyField(Injectate, blank=True, related_name="entries")
    role = models.PositiveSmallIntegerField("your role", choices=Role.choices)
    fluoro_time_s = models.DecimalField(
        "fluoroscopy time (s)", max_digits=5, decimal_places=1, null=True, blank=True
    )
    dap = models.DecimalField(
        "dose-area product (mGy·cm²)", max_digits=9, decimal_places=2, null=True, blank=True
    )
    dlp = models.DecimalField(
        "dose-length product (mGy·cm)", max_digits=7, decimal_places=1, null=True, blank=True
    )
    complication = models.CharField(
        "complications", max_length=20, choices=Complication.choices, default=Complication.NONE
    )
    pain_relief_pct = models.PositiveSmallIntegerField("pain relief (%)", null=True, blank=True)
    age_band = models.CharField(max_length=10, choices=AgeBand.choices, blank=True)
    sex = models.CharField(max_length=10, choices=Sex.choices, blank=True)
    notes = models.TextField(blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    submitted_at = models.DateTimeField(null=True, blank=True)

    objects = EntryQuerySet.as_manager()

    class Meta:
        ordering = ["-performed_on", "-id"]
        verbose_name_plural = "entries"
        constraints = [
            models.CheckConstraint(
                condition=~Q(supervisor=F("trainee")),
                name="procedures_entry_not_self_supervised",
            ),
            models.CheckConstraint(
                condition=Q(status__in=EntryStatus.values),
                name="procedures_entry_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(supervisor__isnull=False),
                name="procedures_entry_submitted_has_supervisor",
            ),
            models.CheckConstraint(
                condition=Q(pain_relief_pct__isnull=True)
                | Q(pain_relief_pct__gte=0, pain_relief_pct__lte=100, purpose="diagnostic"),
                name="procedures_entry_pain_relief_diagnostic_0_100",
            ),
            models.CheckConstraint(
                condition=Q(fluoro_time_s__isnull=True)
                | Q(fluoro_time_s__gte=0, fluoro_time_s__lte=MAX_FLUORO_SECONDS),
                name="procedures_entry_fluoro_time_bounds",
            ),
            models.CheckConstraint(
                condition=Q(dap__isnull=True) | Q(dap__gte=0, dap__lte=MAX_DAP),
                name="procedures_entry_dap_bounds",
            ),
            models.CheckConstraint(
                condition=Q(dlp__isnull=True) | Q(dlp__gte=0, dlp__lte=MAX_DLP),
                name="procedures_entry_dlp_bounds",
            ),
            models.CheckConstraint(
                condition=Q(guidance="fluoroscopy")
                | Q(fluoro_time_s__isnull=True, dap__isnull=True),
                name="procedures_entry_fluoro_dose_only_fluoroscopy",
            ),
            models.CheckConstraint(
                condition=Q(guidance="ct") | Q(dlp__isnull=True),
                name="procedures_entry_dlp_only_ct",
            ),
        ]
        indexes = [
            # Logbook: one trainee's entries, newest first.
            models.Index(
                fields=["trainee", "-performed_on", "-id"], name="procedures_entry_logbook"
            ),
            # Sign-off queue: a supervisor's entries in one status.
            models.Index(fields=["supervisor", "status"], name="procedures_entry_queue"),
        ]

    def __str__(self):
        return f"{self.procedure} ({self.performed_on:%Y-%m-%d})"

    def get_absolute_url(self):
        return reverse("procedures:entry_detail", args=[self.pk])

    def can_edit(self, user) -> bool:
        """Only the trainee edits, and only while the entry is a draft or returned."""
        return user.pk == self.trainee_id and self.status in (
            self.Status.DRAFT,
            self.Status.RETURNED,
        )

    @property
    def site(self) -> str:
        """Side and levels in words, e.g. "Right L4–L5"."""
        parts = []
        if self.side != Side.NOT_APPLICABLE:
            parts.append(self.get_side_display())
        if self.levels:
            parts.append(self.levels)
        return " ".join(parts)
