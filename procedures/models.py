"""The logbook: the procedure catalogue and the trainee's log entries (DESIGN §3, §5)."""

import datetime

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Exists, F, OuterRef, Q
from django.db.models.functions import Length
from django.db.models.lookups import LessThanOrEqual
from django.urls import reverse
from simple_history.models import HistoricalRecords

from programs.access import (
    actively_supervised_trainees,
    directed_trainees,
)
from programs.models import TimeStampedModel


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


class Approach(models.TextChoices):
    """How the needle reaches the target, where a procedure has more than one accepted way.

    From the Spine Intervention Society's Practice Guidelines for Spinal Diagnostic and
    Treatment Procedures (2nd ed., 2013): lumbar transforaminal injections by the
    subpedicular ("safe triangle"), retroneural or infraneural (Kambin's triangle)
    approach; interlaminar epidurals midline or paramedian; cervical medial branches from
    a lateral or a posterior approach. Glenohumeral joint injections from the front or the
    back (anterior under fluoroscopy, posterior under ultrasound, as commonly taught).
    The catalogue (curriculum/data) says which a procedure offers.
    """

    SUBPEDICULAR = "subpedicular", "Subpedicular (safe triangle)"
    RETRONEURAL = "retroneural", "Retroneural"
    INFRANEURAL = "infraneural", "Infraneural (Kambin’s triangle)"
    MIDLINE = "midline", "Midline"
    PARAMEDIAN = "paramedian", "Paramedian"
    LATERAL = "lateral", "Lateral"
    POSTERIOR = "posterior", "Posterior"
    ANTERIOR = "anterior", "Anterior"


def default_failure_complications() -> list[str]:
    """By default every complication but "none" makes a case a failure on the learning
    curve (issue 13, point 4)."""
    return [c for c in Entry.Complication.values if c != Entry.Complication.NONE]


class ProcedureType(TimeStampedModel):
    """One kind of procedure in the catalogue, with the rules an entry must follow."""

    class LevelsAs(models.TextChoices):
        # What the level picker offers: joints and interspaces are named by the segment
        # (L4–L5), nerve roots, medial branches and the pars by the level (L5).
        SEGMENTS = "segments", "Segments (L4–L5)"
        LEVELS = "levels", "Single levels (L5)"

    class Kind(models.TextChoices):
        # What an entry of this type records beside the common fields. An injection
        # logged for a diagnostic purpose is a diagnostic block (BlockResponse); an
        # ablation rests on a block series (Entry.rests_on).
        INJECTION = "injection", "Injection"
        ABLATION = "ablation", "Ablation (rests on diagnostic blocks)"
        EXAMINATION = "examination", "Examination"
        STRESS_EXAM = "stress_exam", "Stress ultrasound examination (measured)"

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
        ELBOW = "elbow", "Elbow"
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
    levels_as = models.CharField(
        max_length=10,
        choices=LevelsAs.choices,
        default=LevelsAs.SEGMENTS,
        help_text="What the entry form's level buttons offer.",
    )
    approaches = models.JSONField(
        default=list, blank=True, help_text="Approaches an entry may name (none: not asked)."
    )
    safety_bundle = models.BooleanField(
        default=False,
        help_text="Entries under fluoroscopy record the transforaminal safety checks "
        "(procedures.safety): live contrast, digital subtraction, the contrast pattern, "
        "images retained.",
    )
    needs_stress_exam = models.BooleanField(
        default=False,
        help_text="An injection justified by a stress ultrasound examination of the same "
        "joint and side (procedures.stress): flagged when there is none in the 90 days before.",
    )
    kind = models.CharField(
        max_length=20,
        choices=Kind.choices,
        default=Kind.INJECTION,
        help_text="Injections logged as diagnostic record a block response; ablations "
        "name the diagnostic block they rest on.",
    )
    # What counts as a failure on a learning curve (curriculum.cusum, issue 13): a case
    # with one of these complications, or rated this or lower by the supervisor.
    failure_complications = models.JSONField(
        default=default_failure_complications,
        blank=True,
        help_text="Complications that make a case a failure on the learning curve "
        "(empty: none do).",
    )
    failure_rating = models.PositiveSmallIntegerField(
        default=2,
        validators=[MaxValueValidator(4)],
        help_text="A supervisor's O-SCORE rating at or below this makes a case a failure "
        "on the learning curve: 0 to 4 (0: no rating does).",
    )
    active = models.BooleanField(
        default=True,
        help_text="Untick to retire it: gone from new entries, kept on old ones and in counts.",
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["category", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(failure_rating__lte=4),
                name="procedures_proceduretype_failure_rating_0_4",
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def is_ablation(self) -> bool:
        return self.kind == self.Kind.ABLATION

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
    particulate = models.BooleanField(
        default=False,
        help_text="A particulate corticosteroid (methylprednisolone, triamcinolone, "
        "betamethasone suspensions): never in a cervical transforaminal injection.",
    )
    active = models.BooleanField(
        default=True,
        help_text="Untick to retire it: gone from new entries, kept on old ones and in counts.",
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["category", "name"]

    def __str__(self):
        return self.name


class StressStructure(TimeStampedModel):
    """What a stress ultrasound examination measures: a joint's translation or a
    ligament's gapping, with the side-to-side difference (in mm) from which it reads as
    lax (procedures.stress). The catalogue (curriculum/data) holds the list and the
    thresholds, with their sources."""

    slug = models.SlugField(max_length=80, unique=True)
    name = models.CharField(max_length=120, unique=True)
    joint = models.CharField(max_length=20, choices=ProcedureType.Region.choices)
    threshold_mm = models.DecimalField(
        "lax from a side-to-side difference of (mm)", max_digits=3, decimal_places=1
    )
    source = models.CharField(max_length=300, blank=True)
    active = models.BooleanField(
        default=True,
        help_text="Untick to retire it: gone from new entries, kept on old ones.",
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["joint", "name"]

    def __str__(self):
        return self.name


class CarmOperator(models.TextChoices):
    """Who drove the C-arm: fluoroscopy time depends on it as much as on the trainee."""

    TRAINEE = "trainee", "Trainee"
    SUPERVISOR = "supervisor", "Supervisor"
    RADIOGRAPHER = "radiographer", "Radiographer"


class ContrastPattern(models.TextChoices):
    """What the contrast showed before the injectate went in (procedures.safety)."""

    EPIDURAL = "epidural", "Epidural"
    VASCULAR = "vascular", "Vascular uptake"
    INTRATHECAL = "intrathecal", "Intrathecal"


class EntryQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Entries `user` may read.

        A trainee reads their own entries; a supervisor reads the non-draft entries of
        trainees whose active enrollment names them, and, once it has ended, the entries
        they signed off (programs.access.visible_enrollments); a director reads the
        non-draft entries of trainees in programs they direct. Drafts stay private to their
        trainee. One query with three subqueries; nothing is evaluated here.
        """
        if not user.is_authenticated:
            return self.none()
        # No exception for staff or superusers: relations decide access (DESIGN §2); the
        # admin is where staff read everything.
        supervised = actively_supervised_trainees(user)
        directed = directed_trainees(user)
        signed = Exists(Signature.objects.filter(entry=OuterRef("pk"), supervisor=user))
        return self.filter(
            Q(trainee=user)
            | (
                (Q(trainee__in=supervised) | Q(trainee__in=directed) | signed)
                & ~Q(status=Entry.Status.DRAFT)
            )
        )

    def with_related(self):
        return self.select_related("procedure", "trainee", "supervisor")

    def awaiting(self, supervisor):
        """Entries submitted to `supervisor` by trainees whose active enrollment names
        them, oldest submission first: the Sign-off queue."""
        mine = actively_supervised_trainees(supervisor)
        return self.filter(
            status=Entry.Status.SUBMITTED, supervisor=supervisor, trainee__in=mine
        ).order_by("submitted_at", "id")


class SignedRevisionFrozen(Exception):
    """Refused: saving would change a signed-off revision in place."""


class EntryStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"
    SIGNED_OFF = "signed_off", "Signed off"
    RETURNED = "returned", "Returned"


class Autonomy(models.IntegerChoices):
    """The supervisor's rating at sign-off: the Ottawa O-SCORE anchors."""

    DID_IT = 1, "1 – “I had to do it”"
    TALKED_THROUGH = 2, "2 – “I had to talk them through it”"
    PROMPTED = 3, "3 – “I had to prompt them from time to time”"
    IN_ROOM = 4, "4 – “I needed to be in the room just in case”"
    NOT_NEEDED = 5, "5 – “I did not need to be there”"


# The same anchors in the trainee's words, for their own rating when logging (issue 13: the
# trainee and the supervisor rate the same case on the same scale).
SELF_RATING = [
    (Autonomy.DID_IT.value, "1 – my supervisor had to do it"),
    (Autonomy.TALKED_THROUGH.value, "2 – my supervisor had to talk me through it"),
    (Autonomy.PROMPTED.value, "3 – my supervisor had to prompt me from time to time"),
    (Autonomy.IN_ROOM.value, "4 – my supervisor needed to be in the room just in case"),
    (Autonomy.NOT_NEEDED.value, "5 – my supervisor did not need to be there"),
]

# The anchors in a few words, for buttons on a phone (the queue's rating buttons); the
# full anchor stays in their accessible description and on the entry page.
AUTONOMY_SHORT = {
    Autonomy.DID_IT: "Had to do it",
    Autonomy.TALKED_THROUGH: "Talked through",
    Autonomy.PROMPTED: "Prompted",
    Autonomy.IN_ROOM: "In the room",
    Autonomy.NOT_NEEDED: "Not needed",
}


# Plausibility bounds, shared by the form and the database constraints.
MAX_FLUORO_SECONDS = 3600
MAX_DAP = 100_000  # mGy·cm²; a long multi-level case is a few thousand
MAX_DLP = 5_000  # mGy·cm; a CT-guided spine injection is typically a few hundred
# No logbook holds a case from before this: an earlier date is a typing slip (0202 for 2022).
EARLIEST_DATE = datetime.date(1990, 1, 1)
# Free text: a case note or a comment is a few sentences; a limit keeps a paste of a whole
# report (or a script's megabytes) out of the record, the pages and the exports.
MAX_NOTES = 2000
MAX_COMMENT = 2000
# Injectate volume: a joint or an epidural takes a few ml, a shoulder hydrodilatation up
# to about 40; more than 100 ml is a typing slip.
MAX_VOLUME_ML = 100
# A stress ultrasound measurement: translations and gaps are a few mm, never 50.
MAX_STRESS_MM = 50
# Radiation per case (procedures.radiation). Reference air kerma of a spinal injection is a
# few mGy, of a long multi-level case tens; skin injury begins at about 2,000 mGy, so
# 10,000 is a typing slip (or the wrong unit). A CT-guided injection's CTDIvol is a few
# to tens of mGy per scan; a diagnostic abdomen scan is about 15.
MAX_AIR_KERMA = 10_000  # mGy
MAX_CTDI = 200  # mGy
MAX_DSA_RUNS = 30  # digital subtraction runs in one case
MAX_CT_SCANS = 50  # CT acquisitions (scans) in one case


def text_limit(field: str, limit: int, table: str, label: str) -> models.CheckConstraint:
    """The database's own length limit on a free-text field (counted in characters)."""
    return models.CheckConstraint(
        condition=LessThanOrEqual(Length(field), limit),
        name=f"{table}_{field}_length",
        violation_error_code=f"{field}_too_long",
        violation_error_message=f"{label} can be at most {limit} characters.",
    )


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
    MAX_AIR_KERMA = MAX_AIR_KERMA
    MAX_CTDI = MAX_CTDI
    MAX_DSA_RUNS = MAX_DSA_RUNS
    MAX_CT_SCANS = MAX_CT_SCANS
    EARLIEST_DATE = EARLIEST_DATE
    MAX_NOTES = MAX_NOTES
    MAX_VOLUME_ML = MAX_VOLUME_ML

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
    approach = models.CharField(max_length=20, choices=Approach.choices, blank=True)
    injectates = models.ManyToManyField(Injectate, blank=True, related_name="entries")
    volume_ml = models.DecimalField(
        "injectate volume (ml)", max_digits=4, decimal_places=1, null=True, blank=True
    )
    role = models.PositiveSmallIntegerField("your role", choices=Role.choices)
    # An ablation's evidence: the diagnostic block it rests on (the second of a series,
    # or a single block). Part of what the supervisor signs; procedures.series flags an
    # ablation that rests on a single, negative or discordant block, or on none.
    rests_on = models.ForeignKey(
        "self",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="ablations",
        verbose_name="rests on diagnostic block",
    )
    fluoro_time_s = models.DecimalField(
        "fluoroscopy time (s)", max_digits=5, decimal_places=1, null=True, blank=True
    )
    dap = models.DecimalField(
        "dose-area product (mGy·cm²)", max_digits=9, decimal_places=2, null=True, blank=True
    )
    dlp = models.DecimalField(
        "dose-length product (mGy·cm)", max_digits=7, decimal_places=1, null=True, blank=True
    )
    # Radiation under fluoroscopy (with the time and DAP above) and under CT (with the
    # DLP): optional, signed with the rest (procedures.radiation reads them).
    air_kerma = models.DecimalField(
        "reference air kerma (mGy)", max_digits=7, decimal_places=2, null=True, blank=True
    )
    carm_operator = models.CharField(
        "C-arm operated by", max_length=20, choices=CarmOperator.choices, blank=True
    )
    dsa_runs = models.PositiveSmallIntegerField("digital subtraction runs", null=True, blank=True)
    # The trainee's own O-SCORE rating of the case (optional), beside the supervisor's.
    self_rating = models.PositiveSmallIntegerField(
        "your own rating (O-SCORE)", choices=SELF_RATING, null=True, blank=True
    )
    ctdi_vol = models.DecimalField(
        "CTDIvol (mGy)", max_digits=5, decimal_places=2, null=True, blank=True
    )
    ct_scans = models.PositiveSmallIntegerField("CT scans", null=True, blank=True)
    # The transforaminal safety bundle (procedures.safety), for procedure types with
    # `safety_bundle` under fluoroscopy; None: not recorded. Signed with the rest.
    live_contrast = models.BooleanField("contrast under live fluoroscopy", null=True, blank=True)
    dsa = models.BooleanField("digital subtraction used", null=True, blank=True)
    contrast_pattern = models.CharField(
        "contrast pattern", max_length=20, choices=ContrastPattern.choices, blank=True
    )
    repositioned = models.BooleanField(
        "needle repositioned after vascular uptake", null=True, blank=True
    )
    images_retained = models.BooleanField("images retained", null=True, blank=True)
    # A stress ultrasound examination (procedures.stress): what was measured, in mm, on
    # the side examined (`side`) and on the other side, at rest and under stress.
    stress_structure = models.ForeignKey(
        StressStructure, models.PROTECT, null=True, blank=True, related_name="entries"
    )
    rest_mm = models.DecimalField(max_digits=3, decimal_places=1, null=True, blank=True)
    stress_mm = models.DecimalField(max_digits=3, decimal_places=1, null=True, blank=True)
    other_rest_mm = models.DecimalField(max_digits=3, decimal_places=1, null=True, blank=True)
    other_stress_mm = models.DecimalField(max_digits=3, decimal_places=1, null=True, blank=True)
    # A labrum or ligament injection's evidence: the stress examination that justified it.
    exam = models.ForeignKey(
        "self",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="justified",
        verbose_name="justified by stress examination",
    )
    complication = models.CharField(
        "complications", max_length=20, choices=Complication.choices, default=Complication.NONE
    )
    pain_relief_pct = models.PositiveSmallIntegerField("pain relief (%)", null=True, blank=True)
    age_band = models.CharField(max_length=10, choices=AgeBand.choices, blank=True)
    sex = models.CharField(max_length=10, choices=Sex.choices, blank=True)
    notes = models.TextField(blank=True, max_length=MAX_NOTES)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    submitted_at = models.DateTimeField(null=True, blank=True)
    # Counts corrections: a signed-off entry that the trainee corrects becomes revision
    # n + 1 and goes back for sign-off; the signature of revision n stays as it was.
    revision = models.PositiveIntegerField(default=1)
    # The autonomy rating of the signature on the current revision (None until signed
    # off). Kept here so that progress can count "autonomy at least N" in one aggregate;
    # the Signature row is the record.
    autonomy = models.PositiveSmallIntegerField(choices=Autonomy.choices, null=True, blank=True)
    # A one-time key from the form that logged the entry: a double tap or a resent POST
    # carries the same key and finds the entry already saved instead of making another.
    form_key = models.CharField(max_length=36, blank=True, editable=False)

    objects = EntryQuerySet.as_manager()
    # Every saved version (who, when, what) in procedures_historicalentry.
    history = HistoricalRecords(m2m_fields=[injectates])

    class Meta:
        ordering = ["-performed_on", "-id"]
        verbose_name_plural = "entries"
        constraints = [
            models.CheckConstraint(
                condition=~Q(supervisor=F("trainee")),
                name="procedures_entry_not_self_supervised",
            ),
            models.CheckConstraint(
                condition=Q(performed_on__gte=EARLIEST_DATE),
                name="procedures_entry_performed_from_1990",
                violation_error_code="performed_on_too_early",
                violation_error_message="The date performed cannot be before 1 January 1990.",
            ),
            text_limit("notes", MAX_NOTES, "procedures_entry", "Notes"),
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
            models.CheckConstraint(
                condition=(
                    Q(air_kerma__isnull=True) | Q(air_kerma__gte=0, air_kerma__lte=MAX_AIR_KERMA)
                )
                & (Q(dsa_runs__isnull=True) | Q(dsa_runs__lte=MAX_DSA_RUNS))
                & (Q(ctdi_vol__isnull=True) | Q(ctdi_vol__gte=0, ctdi_vol__lte=MAX_CTDI))
                & (Q(ct_scans__isnull=True) | Q(ct_scans__lte=MAX_CT_SCANS)),
                name="procedures_entry_radiation_bounds",
            ),
            models.CheckConstraint(
                condition=Q(guidance="fluoroscopy")
                | Q(air_kerma__isnull=True, dsa_runs__isnull=True, carm_operator=""),
                name="procedures_entry_carm_only_fluoroscopy",
            ),
            models.CheckConstraint(
                condition=Q(guidance="ct") | Q(ctdi_vol__isnull=True, ct_scans__isnull=True),
                name="procedures_entry_ctdi_only_ct",
            ),
            models.CheckConstraint(
                condition=Q(self_rating__isnull=True) | Q(self_rating__gte=1, self_rating__lte=5),
                name="procedures_entry_self_rating_1_5",
            ),
            models.CheckConstraint(
                condition=Q(volume_ml__isnull=True)
                | Q(volume_ml__gte=0, volume_ml__lte=MAX_VOLUME_ML),
                name="procedures_entry_volume_bounds",
            ),
            models.CheckConstraint(
                condition=Q(approach="") | Q(approach__in=Approach.values),
                name="procedures_entry_approach_valid",
            ),
            models.CheckConstraint(
                condition=Q(contrast_pattern="") | Q(contrast_pattern__in=ContrastPattern.values),
                name="procedures_entry_contrast_pattern_valid",
            ),
            *[
                models.CheckConstraint(
                    condition=Q(**{f"{name}__isnull": True})
                    | Q(**{f"{name}__gte": 0, f"{name}__lte": MAX_STRESS_MM}),
                    name=f"procedures_entry_{name}_bounds",
                )
                for name in ("rest_mm", "stress_mm", "other_rest_mm", "other_stress_mm")
            ],
            models.CheckConstraint(
                condition=~Q(exam=F("id")), name="procedures_entry_exam_not_itself"
            ),
            models.CheckConstraint(
                condition=~Q(rests_on=F("id")),
                name="procedures_entry_rests_not_on_itself",
            ),
            models.UniqueConstraint(
                fields=["trainee", "form_key"],
                condition=~Q(form_key=""),
                name="procedures_entry_form_key_once",
            ),
            models.CheckConstraint(
                condition=Q(status="signed_off", autonomy__gte=1, autonomy__lte=5)
                | (~Q(status="signed_off") & Q(autonomy__isnull=True)),
                name="procedures_entry_autonomy_iff_signed_off",
            ),
        ]
        indexes = [
            # Logbook: one trainee's entries, newest first.
            models.Index(
                fields=["trainee", "-performed_on", "-id"], name="procedures_entry_logbook"
            ),
            # Sign-off queue: a supervisor's entries in one status. Cohort's backlog per
            # supervisor (procedures.backlog) reads each one's oldest waiting entries from
            # it, the cap's worth and no more: covering, in submission order.
            models.Index(
                fields=["supervisor", "status", "submitted_at", "trainee"],
                name="procedures_entry_queue",
            ),
            # Progress and Cohort: a trainee's entries by status, grouped by what the
            # curriculum's requirements test. Covering: the grouped count reads the index
            # alone (one trainee's 3,000 entries in about 1.3 ms on SQLite).
            models.Index(
                fields=[
                    "trainee",
                    "status",
                    "procedure",
                    "guidance",
                    "role",
                    "autonomy",
                    "performed_on",
                ],
                name="procedures_entry_counts",
            ),
            # send_reminders: entries waiting since before a cutoff, every supervisor's.
            models.Index(
                fields=["status", "submitted_at", "supervisor", "trainee"],
                name="procedures_entry_waiting",
            ),
            # Cohort: each trainee's ablations by the block they rest on (procedures.series)
            # and transforaminal cases by their safety checks (procedures.safety), read
            # from the index alone for the few procedure types concerned (given as a list
            # of ids: PostgreSQL then scans just their ranges, where a subquery made it
            # read every entry: 53 ms for 50 trainees, measured).
            models.Index(
                fields=[
                    "procedure",
                    "trainee",
                    "status",
                    "guidance",
                    "rests_on",
                    "live_contrast",
                    "dsa",
                    "images_retained",
                    "contrast_pattern",
                    "repositioned",
                    # The id last, for the steroid's subquery: PostgreSQL then reads these
                    # from the index alone, and chose it over the trainee's index (Progress's
                    # compliance 0.57 → 0.20 ms, measured); SQLite keeps the rowid anyway.
                    "id",
                ],
                name="procedures_entry_evidence",
            ),
            # Cohort: returned entries, oldest first.
            models.Index(fields=["status", "updated_at"], name="procedures_entry_returned"),
        ]

    def __str__(self):
        return f"{self.procedure} ({self.performed_on:%Y-%m-%d})"

    def get_absolute_url(self):
        return reverse("procedures:entry_detail", args=[self.pk])

    # --- The guard: a signed-off revision is never changed in place ------------------------
    # The same rule holds in the database (a trigger, migration 0005) for paths that never
    # load an instance (queryset.update, raw SQL); here it fails early and plainly.

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        loaded = dict(zip(field_names, values, strict=True))
        instance._stored = (loaded.get("status"), loaded.get("revision"))
        return instance

    @property
    def loaded_state(self) -> tuple:
        """(status, revision) as this instance last read or wrote them; (None, None) if new."""
        return getattr(self, "_stored", (None, None))

    def frozen_change(self) -> str:
        """Why saving this instance would change a signed-off revision in place, or ""."""
        status, revision = getattr(self, "_stored", (None, None))
        if status != EntryStatus.SIGNED_OFF:
            return ""
        if self.status == EntryStatus.SUBMITTED and self.revision == revision + 1:
            return ""  # a correction: revision n + 1, back to its supervisor
        return (
            "A signed-off entry is never changed in place: its signature covers what was "
            "signed. Correct it in the Logbook (a new revision goes back for sign-off)."
        )

    def refresh_from_db(self, *args, **kwargs):
        super().refresh_from_db(*args, **kwargs)
        self._stored = (self.status, self.revision)

    def save(self, *args, **kwargs):
        if why := self.frozen_change():
            raise SignedRevisionFrozen(why)
        super().save(*args, **kwargs)
        self._stored = (self.status, self.revision)

    def can_edit(self, user) -> bool:
        """Only the trainee edits: a draft or returned entry in place; a signed-off entry
        by a correction (a new revision that goes back for sign-off). A submitted entry
        waits for its supervisor."""
        return user.pk == self.trainee_id and self.status != self.Status.SUBMITTED

    def can_submit(self, user) -> bool:
        """The trainee submits (or deletes) an entry while it is a draft or returned."""
        return user.pk == self.trainee_id and self.status in (
            self.Status.DRAFT,
            self.Status.RETURNED,
        )

    def can_delete(self, user) -> bool:
        """Like submitting, but never an entry that was once signed off (revision > 1):
        its signature must keep pointing at it."""
        return self.can_submit(user) and self.revision == 1

    def can_record_block(self, user) -> bool:
        """The trainee records a diagnostic block's response, in any status: the diary
        comes in after the procedure, and after sign-off too (it is not signed)."""
        return user.pk == self.trainee_id and self.is_diagnostic_block

    def can_decide(self, user) -> bool:
        """Whether `user` may sign off or return it now: it is submitted to them and an
        active enrollment of its trainee names them (a supervisor of an ended one may
        still read what they signed, never decide again). One query, only when it is
        submitted to them; the service checks both again under a row lock."""
        return (
            self.status == self.Status.SUBMITTED
            and self.supervisor_id == user.pk
            and type(self).objects.awaiting(user).filter(pk=self.pk).exists()
        )

    @property
    def is_diagnostic_block(self) -> bool:
        """An injection logged for a diagnostic purpose: it records a block response."""
        return (
            self.purpose == self.Purpose.DIAGNOSTIC
            and self.procedure.kind == ProcedureType.Kind.INJECTION
        )

    @property
    def site(self) -> str:
        """Side and levels in words, e.g. "Right L4–L5"."""
        return site_words(self.side, self.levels)


class PainScale(models.TextChoices):
    NRS = "nrs", "NRS 0–10"
    VAS = "vas", "VAS 0–100 mm"


class DisabilityScale(models.TextChoices):
    ODI = "odi", "Oswestry Disability Index (%)"
    NDI = "ndi", "Neck Disability Index (%)"


class BlockResponse(models.Model):
    """A diagnostic block's pain response: the scale, the score before, a diary of scores
    after (filled in as the patient reports, also after sign-off), the local anaesthetic
    and its volume; relief and its duration are computed (procedures.blocks), never typed.

    The second block of a comparative series `follows` the first; the series' baseline
    disability score is kept on the first block's response. Not part of what a signature
    covers: the diary comes in after the supervisor has signed the procedure; every
    change is in its own history. Written only by procedures.services.record_block_response.
    """

    entry = models.OneToOneField(Entry, models.CASCADE, related_name="block_response")
    scale = models.CharField(
        "pain scale", max_length=10, choices=PainScale.choices, default=PainScale.NRS
    )
    before = models.PositiveSmallIntegerField("pain before", null=True, blank=True)
    # [[minutes after the block, score], ...], times in order (procedures.blocks).
    diary = models.JSONField(default=list, blank=True)
    agent = models.ForeignKey(
        Injectate,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="local anaesthetic",
    )
    agent_volume_ml = models.DecimalField(
        "local anaesthetic volume (ml)", max_digits=3, decimal_places=1, null=True, blank=True
    )
    follows = models.OneToOneField(
        Entry,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="followed_by",
        verbose_name="second block of a series with",
    )
    disability_scale = models.CharField(
        "baseline disability scale", max_length=10, choices=DisabilityScale.choices, blank=True
    )
    disability_score = models.PositiveSmallIntegerField(
        "baseline disability score (%)", null=True, blank=True
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+"
    )
    history = HistoricalRecords()

    MAX_AGENT_VOLUME_ML = 10  # a medial branch block takes 0.3–0.5 ml per nerve

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=~Q(follows=F("entry")), name="procedures_block_follows_another"
            ),
            models.CheckConstraint(
                condition=Q(scale__in=PainScale.values), name="procedures_block_scale_valid"
            ),
            models.CheckConstraint(
                condition=Q(before__isnull=True)
                | Q(before__lte=10)
                | Q(scale=PainScale.VAS, before__lte=100),
                name="procedures_block_before_on_scale",
            ),
            models.CheckConstraint(
                condition=Q(disability_score__isnull=True) | Q(disability_score__lte=100),
                name="procedures_block_disability_0_100",
            ),
            models.CheckConstraint(
                condition=Q(agent_volume_ml__isnull=True)
                | Q(agent_volume_ml__gte=0, agent_volume_ml__lte=10),
                name="procedures_block_volume_bounds",
            ),
        ]

    def __str__(self):
        return f"Block response for entry {self.entry_id}"


def site_words(side: str, levels: str) -> str:
    """Side and levels in words, e.g. "Right L4–L5" (Entry.site, from plain values too)."""
    named = Side(side).label if side and side != Side.NOT_APPLICABLE else ""
    return " ".join(part for part in (named, levels) if part)


def block_label(performed_on, side: str, levels: str, procedure) -> str:
    """A diagnostic block in a list to choose from: the site first (a phone cuts the end)."""
    return f"{site_words(side, levels) or 'No site'} · {performed_on:%d %b %Y} · {procedure}"


def exam_label(performed_on, side: str, structure) -> str:
    """A stress examination in a list to choose from."""
    return f"{structure or 'Not measured'} · {Side(side).label} · {performed_on:%d %b %Y}"


class EntryEvent(models.Model):
    """One transition of an entry's lifecycle: who moved it, when, from what to what.

    Events outlive their entry: deleting a draft or returned entry records a Deleted event
    and leaves the entry's events (a supervisor's return comment among them) in place,
    with `entry` set to null. What they were about is kept on each event: the entry's
    number, its trainee, its procedure and its date as they were at that moment.
    """

    class Action(models.TextChoices):
        CREATED = "created", "Created"
        SUBMITTED = "submitted", "Submitted for sign-off"
        SIGNED_OFF = "signed_off", "Signed off"
        RETURNED = "returned", "Returned to trainee"
        CORRECTED = "corrected", "Corrected after sign-off"
        DELETED = "deleted", "Deleted"

    entry = models.ForeignKey(Entry, models.SET_NULL, null=True, blank=True, related_name="events")
    # The entry's number, kept when the entry is deleted.
    entry_number = models.PositiveIntegerField(null=True, blank=True)
    # The entry's trainee, copied so that "recent activity" reads one index, not a join.
    trainee = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="+")
    # The entry's procedure and date at the time (catalogue rows are retired, never deleted).
    procedure = models.ForeignKey(
        ProcedureType, models.PROTECT, null=True, blank=True, related_name="+"
    )
    performed_on = models.DateField(null=True, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    action = models.CharField(max_length=20, choices=Action.choices)
    from_status = models.CharField(max_length=20, choices=EntryStatus.choices, blank=True)
    # Blank for a Deleted event: the entry is no longer in any status.
    to_status = models.CharField(max_length=20, choices=EntryStatus.choices, blank=True)
    revision = models.PositiveIntegerField()
    comment = models.TextField(blank=True, max_length=MAX_COMMENT)
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]
        constraints = [text_limit("comment", MAX_COMMENT, "procedures_event", "A comment")]
        indexes = [
            # The entry page's timeline.
            models.Index(fields=["entry", "at"], name="procedures_event_entry_at"),
            # The Progress page's recent activity.
            models.Index(fields=["trainee", "-at"], name="procedures_event_trainee_at"),
        ]

    def __str__(self):
        return f"{self.get_action_display()} by {self.actor} at {self.at:%Y-%m-%d %H:%M}"


class Signature(models.Model):
    """A supervisor's electronic signature on one revision of an entry (21 CFR Part 11:
    the signer's name, the time, and the meaning of the signature).

    `content_hash` is a SHA-256 of the entry's content as signed, so a later change of
    the entry can be detected. One signature per revision, enforced by the database.
    """

    MEANING = "verified as performed by the trainee in the logged role"

    entry = models.ForeignKey(Entry, models.PROTECT, related_name="signatures")
    revision = models.PositiveIntegerField()
    supervisor = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    signer_name = models.CharField(max_length=200, help_text="The signer's name as printed.")
    signed_at = models.DateTimeField()
    autonomy = models.PositiveSmallIntegerField(choices=Autonomy.choices)
    comment = models.TextField(blank=True, max_length=MAX_COMMENT)
    meaning = models.CharField(max_length=200, default=MEANING)
    content_hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["signed_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["entry", "revision"], name="procedures_signature_one_per_revision"
            ),
            models.CheckConstraint(
                condition=Q(autonomy__gte=1, autonomy__lte=5),
                name="procedures_signature_autonomy_1_5",
            ),
            text_limit("comment", MAX_COMMENT, "procedures_signature", "A comment"),
        ]

    def __str__(self):
        return (
            f"Signed off by {self.signer_name} on {self.signed_at:%d %b %Y %H:%M}: {self.meaning}"
        )


class SignatureCheck(models.Model):
    """A signed-off revision found not to match its signature: the entry's row or its
    injectates were changed after signing, behind the services and the database's guards
    (procedures.signatures). Open until a later check finds it matching again, or until
    someone who has looked into it marks it resolved in the admin.

    `content_hash` is the hash of the content found (empty when the revision has no
    signature at all): the same content found again is the same finding, open or
    resolved; a further change is a new one.

    Not under the record's triggers: it is a finding about the record, not part of it.
    """

    entry = models.ForeignKey(Entry, models.PROTECT, related_name="signature_checks")
    revision = models.PositiveIntegerField()
    content_hash = models.CharField(max_length=64, blank=True)
    found_at = models.DateTimeField()
    resolved = models.BooleanField(default=False)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["found_at", "id"]
        constraints = [
            # One finding per content found, however many checks find it.
            models.UniqueConstraint(
                fields=["entry", "revision", "content_hash"],
                name="procedures_signaturecheck_once_per_content",
            ),
        ]
        indexes = [
            # Cohort: the open findings.
            models.Index(fields=["resolved", "found_at"], name="procedures_sigcheck_open"),
        ]

    def __str__(self):
        state = "resolved" if self.resolved else "open"
        return f"Signature mismatch on entry {self.entry_id} revision {self.revision} ({state})"


class SignatureSweep(models.Model):
    """One run of `manage.py verify_signatures` over every signed-off entry."""

    started_at = models.DateTimeField()
    finished_at = models.DateTimeField()
    checked = models.PositiveIntegerField()
    failed = models.PositiveIntegerField()

    class Meta:
        ordering = ["-finished_at", "-id"]
        get_latest_by = "finished_at"

    def __str__(self):
        return f"Signature sweep at {self.finished_at:%Y-%m-%d %H:%M}: {self.failed} of {self.checked} failed"


class MonthlyCount(models.Model):
    """How many of a trainee's entries (all but drafts) were performed in one month under
    one guidance. The Progress chart reads its twelve months from these few rows instead of
    counting the entries, so it costs the same at 100 entries and at 100,000.

    Derived, never written by the app: database triggers (migration 0011) keep it on every
    insert, update and delete of an entry, whatever the path (pages, admin, shell, SQL).
    """

    # Not a record of its own: a user whose only rows are counts may be deleted
    # (accounts.retention), and the counts go with them.
    derived_from_records = True

    trainee = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="+")
    month = models.CharField(max_length=7)  # "YYYY-MM", from the ISO date
    guidance = models.CharField(max_length=20, choices=Modality.choices)
    n = models.IntegerField(default=0)

    class Meta:
        constraints = [
            # One row per key: the triggers add to it (make at 0 if missing, then add).
            models.UniqueConstraint(
                fields=["trainee", "month", "guidance"], name="procedures_monthlycount_key"
            ),
        ]

    def __str__(self):
        return f"{self.month} {self.guidance}: {self.n}"
