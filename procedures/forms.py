"""The entry form: every input rule of DESIGN §5, enforced on the server."""

from datetime import timedelta

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone

from .fields import IdModelChoiceField, IdModelMultipleChoiceField, settle_choices
from .identifiers import find_identifier
from .levels import LevelError, parse_levels
from .models import (
    MAX_COMMENT,
    MAX_STRESS_MM,
    Approach,
    Autonomy,
    CarmOperator,
    ContrastPattern,
    Entry,
    Injectate,
    Modality,
    ProcedureType,
    Side,
    StressStructure,
    block_label,
    exam_label,
)
from .reauth import confirm_password

User = get_user_model()

# Radiation, asked under fluoroscopy or CT only (procedures.radiation reads them).
FLUORO_FIELDS = ("fluoro_time_s", "dap", "air_kerma", "dsa_runs", "carm_operator")
# The transforaminal safety bundle (procedures.safety), asked as Yes/No buttons.
YES_NO = [(True, "Yes"), (False, "No")]
BUNDLE_FIELDS = ("live_contrast", "dsa", "contrast_pattern", "repositioned", "images_retained")
# A stress ultrasound examination's measurements (procedures.stress).
STRESS_FIELDS = ("rest_mm", "stress_mm", "other_rest_mm", "other_stress_mm")
# An ablation names a diagnostic block from this many days before today at most.
REST_ON_DAYS = 180
# and from the trainee's latest this many (diagnostic blocks, or stress examinations).
LINK_CHOICES = 40
LINK_FIELDS = ("id", "trainee_id", "performed_on", "side", "levels", "status", "revision")
CT_FIELDS = ("dlp", "ctdi_vol", "ct_scans")


def limit_length(field: forms.CharField, what: str) -> None:
    """Say which field is too long and by how much, and let the page count as one types.

    The browser's own `maxlength` would cut a paste short without a word; instead the
    textarea carries `data-max-length` for static/js/char_count.js, which shows the count,
    and the server refuses more with this message, keeping what was typed.
    """
    field.error_messages["max_length"] = (
        f"{what} can be at most {field.max_length} characters; this has %(show_value)d."
    )
    field.widget.attrs.pop("maxlength", None)
    field.widget.attrs["data-max-length"] = field.max_length


def supervisors_for(trainee):
    """The people who may verify `trainee`'s entries: supervisors named by one of the
    trainee's active enrollments, never the trainee."""
    return (
        User.objects.filter(
            supervised_enrollments__trainee=trainee, supervised_enrollments__active=True
        )
        .exclude(pk=trainee.pk)
        .distinct()
        .order_by("last_name", "first_name", "username")
    )


# What a number field must look like, for the message that names it when what was typed
# is not such a number (Django's own says "Ensure that there are no more than 5 digits").
NUMBER_SHAPES = {
    "fluoro_time_s": ("Fluoroscopy time", Entry.MAX_FLUORO_SECONDS, "seconds", 1),
    "dap": ("Dose-area product", Entry.MAX_DAP, "mGy·cm²", 2),
    "dlp": ("Dose-length product", Entry.MAX_DLP, "mGy·cm", 1),
    "air_kerma": ("Reference air kerma", Entry.MAX_AIR_KERMA, "mGy", 2),
    "dsa_runs": ("Digital subtraction runs", Entry.MAX_DSA_RUNS, "runs", 0),
    "ctdi_vol": ("CTDIvol", Entry.MAX_CTDI, "mGy", 2),
    "ct_scans": ("CT scans", Entry.MAX_CT_SCANS, "scans", 0),
    "volume_ml": ("Injectate volume", Entry.MAX_VOLUME_ML, "ml", 1),
    "rest_mm": ("The side examined at rest", MAX_STRESS_MM, "mm", 1),
    "stress_mm": ("The side examined under stress", MAX_STRESS_MM, "mm", 1),
    "other_rest_mm": ("The other side at rest", MAX_STRESS_MM, "mm", 1),
    "other_stress_mm": ("The other side under stress", MAX_STRESS_MM, "mm", 1),
}


def _or_kept(latest, kept_id) -> Q:
    """The latest LINK_CHOICES of `latest`, and the entry already named (kept_id)."""
    condition = Q(pk__in=latest.values("pk")[:LINK_CHOICES])
    return condition | Q(pk=kept_id) if kept_id else condition


def number_message(name: str) -> str:
    what, top, unit, places = NUMBER_SHAPES[name]
    shape = (
        "a whole number"
        if places == 0
        else f"a number with at most {places} decimal place{'s' if places > 1 else ''}"
    )
    return f"{what} must be {shape} from 0 to {top:,} {unit}."


REQUIRED_MESSAGES = {
    "performed_on": "Enter the date performed.",
    "procedure": "Choose the procedure.",
    "guidance": "Choose the guidance: how the needle was guided.",
    "side": "Choose the side.",
    "purpose": "Choose the purpose: diagnostic or therapeutic.",
    "role": "Choose your role in this procedure.",
    "complication": "Choose the complications (None if there were none).",
}


class EntryForm(forms.ModelForm):
    """Log or edit an entry. `submitting=True` adds the rules for Submit for sign-off."""

    class Meta:
        model = Entry
        fields = [
            "performed_on",
            "procedure",
            "guidance",
            "side",
            "levels",
            "approach",
            "purpose",
            "injectates",
            "volume_ml",
            "role",
            "supervisor",
            "self_rating",
            "fluoro_time_s",
            "dap",
            "air_kerma",
            "dsa_runs",
            "carm_operator",
            "dlp",
            "ctdi_vol",
            "ct_scans",
            "live_contrast",
            "dsa",
            "contrast_pattern",
            "repositioned",
            "images_retained",
            "stress_structure",
            "rest_mm",
            "stress_mm",
            "other_rest_mm",
            "other_stress_mm",
            "exam",
            "complication",
            "rests_on",
            "age_band",
            "sex",
            "notes",
        ]
        labels = {
            "performed_on": "Date performed",
            "procedure": "Procedure",
            "guidance": "Guidance",
            "side": "Side",
            "levels": "Levels",
            "approach": "Approach",
            "purpose": "Purpose",
            "injectates": "Injectates",
            "volume_ml": "Injectate volume (ml)",
            "role": "Your role",
            "supervisor": "Supervisor",
            "self_rating": "How much did you need your supervisor? (optional)",
            "fluoro_time_s": "Fluoroscopy time (s)",
            "dap": "Dose-area product (mGy·cm²)",
            "dlp": "Dose-length product (mGy·cm)",
            "air_kerma": "Reference air kerma (mGy)",
            "dsa_runs": "Digital subtraction runs",
            "carm_operator": "Who operated the C-arm",
            "ctdi_vol": "CTDIvol (mGy)",
            "ct_scans": "CT scans (acquisitions)",
            "complication": "Complications",
            "rests_on": "Rests on diagnostic block",
            "live_contrast": "Contrast injected under live fluoroscopy",
            "dsa": "Digital subtraction used",
            "contrast_pattern": "Contrast pattern",
            "repositioned": "Needle repositioned and contrast repeated before the steroid",
            "images_retained": "Images retained",
            "stress_structure": "Structure examined",
            "rest_mm": "Side examined, at rest (mm)",
            "stress_mm": "Side examined, under stress (mm)",
            "other_rest_mm": "Other side, at rest (mm)",
            "other_stress_mm": "Other side, under stress (mm)",
            "exam": "Justified by stress examination",
            "age_band": "Age band",
            "sex": "Sex",
            "notes": "Notes",
        }
        help_texts = {
            "levels": "For example L4–L5 or L4-5; several: L4-5, L5-S1.",
            "notes": "Never a patient name, record number or birth date.",
            "rests_on": "The block (the second of a comparative series) that showed this "
            "ablation was indicated.",
            "volume_ml": "All injectates together, in ml.",
        }
        field_classes = {
            "procedure": IdModelChoiceField,
            "supervisor": IdModelChoiceField,
            "injectates": IdModelMultipleChoiceField,
            "rests_on": IdModelChoiceField,
            "exam": IdModelChoiceField,
            "stress_structure": IdModelChoiceField,
        }
        widgets = {
            "performed_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            # Buttons, not selects: one tap each on a phone (templatetags/fields.py).
            "guidance": forms.RadioSelect(attrs={"data-buttons": True}),
            "side": forms.RadioSelect(attrs={"data-buttons": True}),
            "approach": forms.RadioSelect(attrs={"data-buttons": True}),
            "purpose": forms.RadioSelect(attrs={"data-buttons": True}),
            "role": forms.RadioSelect(attrs={"data-buttons": True}),
            "injectates": forms.CheckboxSelectMultiple(attrs={"data-buttons": True}),
            "contrast_pattern": forms.RadioSelect(attrs={"data-buttons": True}),
            **{
                name: forms.RadioSelect(choices=YES_NO, attrs={"data-buttons": True})
                for name in ("live_contrast", "dsa", "repositioned", "images_retained")
            },
            "levels": forms.TextInput(
                attrs={"autocapitalize": "characters", "autocomplete": "off"}
            ),
            "notes": forms.Textarea(attrs={"rows": 3}),
            "fluoro_time_s": forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.1"}),
            "dap": forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.01"}),
            "dlp": forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.1"}),
            "air_kerma": forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.01"}),
            "ctdi_vol": forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.01"}),
            "dsa_runs": forms.NumberInput(attrs={"inputmode": "numeric", "step": "1"}),
            "ct_scans": forms.NumberInput(attrs={"inputmode": "numeric", "step": "1"}),
            "carm_operator": forms.RadioSelect(attrs={"data-buttons": True}),
            "self_rating": forms.RadioSelect(attrs={"data-buttons": True}),
            "volume_ml": forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.1"}),
            **{
                name: forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.1"})
                for name in STRESS_FIELDS
            },
        }

    # One-time key of this form (see Entry.form_key); set for new entries only.
    form_key = forms.UUIDField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, trainee, submitting: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if type(self).base_fields is not EntryForm.base_fields:
            # A subclass (the admin's) has fields of its own, made again from the model.
            _settle(self.fields)
        self.trainee = trainee
        self.submitting = submitting
        # Retired catalogue rows are gone from new choices, kept on the entry that has them.
        kept_type = Q(pk=self.instance.procedure_id) if self.instance.procedure_id else Q()
        self.fields["procedure"].queryset = ProcedureType.objects.filter(Q(active=True) | kept_type)
        kept = Q(entries=self.instance) if self.instance.pk else Q(pk__in=[])
        self.fields["injectates"].queryset = Injectate.objects.filter(
            Q(active=True) | kept
        ).distinct()
        supervisor = self.fields["supervisor"]
        supervisor.queryset = supervisors_for(trainee)
        if not self.is_bound:
            # The page's options, read once: the same list says whether there is only one.
            self.fix_choices("supervisor")
            if self.instance.pk is None and not self.initial.get("supervisor"):
                # A new entry of a trainee with one supervisor: there is nobody else to
                # choose. (Never on a saved entry: entry_submit_view checks what is stored.)
                if len(only := supervisor.widget.choices[1:]) == 1:
                    self.initial["supervisor"] = only[0][0]
        rests_on, exam = self.fields["rests_on"], self.fields["exam"]
        if self.is_bound or self.instance.rests_on_id or self.instance.exam_id:
            self._restrict_links()
        else:
            # A new page's lists come from link_options (no query); what a POST may name
            # is decided by _restrict_links. Never the whole table in between.
            rests_on.queryset = exam.queryset = Entry.objects.none()
        structure = self.fields["stress_structure"]
        kept_structure = (
            Q(pk=self.instance.stress_structure_id)
            if self.instance.stress_structure_id
            else Q(pk__in=[])
        )
        structure.queryset = StressStructure.objects.filter(Q(active=True) | kept_structure)
        self.fields["performed_on"].widget.attrs["max"] = timezone.localdate().isoformat()

    def _restrict_links(self) -> None:
        """What "Rests on diagnostic block" and "Justified by stress examination" may
        name: the trainee's latest LINK_CHOICES non-draft blocks or examinations of the
        last REST_ON_DAYS days, and the entry already named."""
        rests_on, exam = self.fields["rests_on"], self.fields["exam"]
        since = timezone.localdate() - timedelta(days=REST_ON_DAYS)
        # The trainee's latest diagnostic blocks (a list to choose from on a phone, not
        # the whole logbook; the one already named is kept).
        # Never a draft: the supervisor who signs the ablation could not see it.
        recent = (
            Entry.objects.filter(
                trainee=self.trainee,
                purpose=Entry.Purpose.DIAGNOSTIC,
                procedure__kind=ProcedureType.Kind.INJECTION,
                performed_on__gte=since,
            )
            .exclude(status=Entry.Status.DRAFT)
            .order_by("-performed_on", "-id")
        )
        rests_on.queryset = (
            Entry.objects.filter(_or_kept(recent, self.instance.rests_on_id))
            .select_related("procedure")
            # What an option shows (and the rules check), not whole entries: the form
            # renders on every log, and full rows cost it a third of its time.
            .only(*LINK_FIELDS, "procedure__name", "procedure__region")
            .order_by("-performed_on", "-id")
        )
        exams = (
            Entry.objects.filter(
                trainee=self.trainee,
                # The examination types as a subquery: the trainee's entries of those
                # types are read from an index, not each joined to the catalogue.
                procedure_id__in=ProcedureType.objects.filter(
                    kind=ProcedureType.Kind.STRESS_EXAM
                ).values("pk"),
                performed_on__gte=since,
            )
            .exclude(status=Entry.Status.DRAFT)
            .order_by("-performed_on", "-id")
        )
        exam.queryset = (
            Entry.objects.filter(_or_kept(exams, self.instance.exam_id))
            .select_related("stress_structure")
            .only(*LINK_FIELDS, "stress_structure__name", "stress_structure__joint")
            .order_by("-performed_on", "-id")
        )

    def fix_choices(self, name: str) -> None:
        """Read `name`'s options from its queryset once, as a list: a ModelChoiceField
        reads them again (a query and a model instance per option) every time it renders;
        validation still asks the queryset."""
        field = self.fields[name]
        options = [(obj.pk, field.label_from_instance(obj)) for obj in field.queryset]
        empty = (
            [] if isinstance(field, forms.ModelMultipleChoiceField) else [("", field.empty_label)]
        )
        field.widget.choices = [*empty, *options]

    def for_page(self, memory) -> None:
        """Ready to render, from the trainee's procedures.memory: the procedures grouped,
        the lists to rest on, and every catalogue list read once."""
        self.group_procedures(memory.first)
        self.link_options(memory.rows)
        for name in ("injectates", "stress_structure"):
            self.fix_choices(name)

    def group_procedures(self, first) -> None:
        """The Procedure select in groups: the procedures in `first` (ids: the trainee's
        recent and frequent ones, procedures.memory) at the top, then the rest by region."""
        types = list(self.fields["procedure"].queryset)
        self.procedure_types = types
        by_pk = {t.pk: t for t in types}
        self.first_procedures = [by_pk[pk] for pk in first if pk in by_pk]
        groups = []
        if self.first_procedures:
            groups.append(
                ("Your recent and frequent", [(t.pk, t.name) for t in self.first_procedures])
            )
        rest = [t for t in types if t not in self.first_procedures]
        for region, label in ProcedureType.Region.choices:
            names = sorted((t.name, t.pk) for t in rest if t.region == region)
            if names:
                groups.append((label, [(pk, name) for name, pk in names]))
        self.fields["procedure"].widget.choices = [("", "Choose a procedure"), *groups]

    def link_options(self, rows) -> None:
        """The options of "Rests on diagnostic block" and "Justified by stress examination"
        from the trainee's latest entries as procedures.memory read them (`rows`, newest
        first): on the page, no query and no model instances; the querysets set in
        __init__ still decide what a POST may name. An entry already named that is not
        among them is added (one query, when editing such an entry)."""
        kinds = {t.pk: t for t in self.procedure_types}
        since = timezone.localdate() - timedelta(days=REST_ON_DAYS)
        blocks, exams = [], []
        for row in rows:
            kind = kinds.get(row["procedure_id"])
            if kind is None or row["status"] == Entry.Status.DRAFT or row["performed_on"] < since:
                continue
            if kind.kind == ProcedureType.Kind.STRESS_EXAM and len(exams) < LINK_CHOICES:
                exams.append(
                    (
                        row["id"],
                        exam_label(row["performed_on"], row["side"], row["stress_structure__name"]),
                    )
                )
            elif (
                kind.kind == ProcedureType.Kind.INJECTION
                and row["purpose"] == Entry.Purpose.DIAGNOSTIC
                and len(blocks) < LINK_CHOICES
            ):
                blocks.append(
                    (
                        row["id"],
                        block_label(row["performed_on"], row["side"], row["levels"], kind.name),
                    )
                )
        for name, options, kept_id in (
            ("rests_on", blocks, self.instance.rests_on_id),
            ("exam", exams, self.instance.exam_id),
        ):
            field = self.fields[name]
            if kept_id and kept_id not in {pk for pk, _ in options}:
                kept = field.queryset.filter(pk=kept_id).first()
                if kept is not None:
                    options.append((kept.pk, field.label_from_instance(kept)))
            field.widget.choices = [("", field.empty_label), *options]

    # --- single fields --------------------------------------------------------------------

    def clean_performed_on(self):
        value = self.cleaned_data["performed_on"]
        if value > timezone.localdate():
            raise forms.ValidationError("The date performed cannot be in the future.")
        if value < Entry.EARLIEST_DATE:
            raise forms.ValidationError(
                f"The date performed must be between {Entry.EARLIEST_DATE.day} {Entry.EARLIEST_DATE:%B %Y} and today."
            )
        return value

    def clean_volume_ml(self):
        value = self.cleaned_data["volume_ml"]
        if value is not None and not 0 <= value <= Entry.MAX_VOLUME_ML:
            raise forms.ValidationError(
                f"Injectate volume must be between 0 and {Entry.MAX_VOLUME_ML} ml."
            )
        return value

    def clean_fluoro_time_s(self):
        value = self.cleaned_data["fluoro_time_s"]
        if value is not None and not 0 <= value <= Entry.MAX_FLUORO_SECONDS:
            raise forms.ValidationError(
                f"Fluoroscopy time must be between 0 and {Entry.MAX_FLUORO_SECONDS} seconds."
            )
        return value

    def clean_dap(self):
        value = self.cleaned_data["dap"]
        if value is not None and not 0 <= value <= Entry.MAX_DAP:
            raise forms.ValidationError(
                f"Dose-area product must be between 0 and {Entry.MAX_DAP:,} mGy·cm²."
            )
        return value

    def clean_dlp(self):
        value = self.cleaned_data["dlp"]
        if value is not None and not 0 <= value <= Entry.MAX_DLP:
            raise forms.ValidationError(
                f"Dose-length product must be between 0 and {Entry.MAX_DLP:,} mGy·cm."
            )
        return value

    def _within_bounds(self, name: str):
        """A radiation figure from 0 to its plausible top (NUMBER_SHAPES), or a message
        naming the field and its limits."""
        value = self.cleaned_data[name]
        if value is not None and not 0 <= value <= NUMBER_SHAPES[name][1]:
            raise forms.ValidationError(number_message(name))
        return value

    def clean_air_kerma(self):
        return self._within_bounds("air_kerma")

    def clean_dsa_runs(self):
        return self._within_bounds("dsa_runs")

    def clean_ctdi_vol(self):
        return self._within_bounds("ctdi_vol")

    def clean_ct_scans(self):
        return self._within_bounds("ct_scans")

    def clean_notes(self):
        value = self.cleaned_data["notes"].replace("\x00", "")
        what = find_identifier(value)
        if what:
            raise forms.ValidationError(
                f"Notes seem to contain {what}. Precept never stores patient identifiers "
                "(names, record numbers, birth dates): please remove it."
            )
        return value

    # --- rules across fields ---------------------------------------------------------------

    def clean(self):
        data = super().clean()
        procedure = data.get("procedure")
        guidance = data.get("guidance")

        if procedure and guidance and guidance not in procedure.modalities:
            allowed = ", ".join(Modality(m).label for m in procedure.modalities)
            self.add_error("guidance", f"{procedure} is done under {allowed}.")
        if procedure and data.get("side") and data["side"] not in procedure.sides:
            allowed = " or ".join(Side(s).label.lower() for s in procedure.sides)
            self.add_error("side", f"For {procedure} the side is {allowed}.")

        if procedure and "levels" in data:
            levels = data["levels"].strip()
            if procedure.needs_levels:
                try:
                    data["levels"] = parse_levels(levels, procedure.region)
                except LevelError as exc:
                    self.add_error("levels", str(exc))
            elif levels:
                self.add_error(
                    "levels", f"{procedure} is not done at vertebral levels; leave Levels empty."
                )

        approach = data.get("approach")
        if procedure and approach and approach not in procedure.approaches:
            if procedure.approaches:
                allowed = " or ".join(Approach(a).label for a in procedure.approaches)
                self.add_error("approach", f"For {procedure} the approach is {allowed}.")
            else:
                self.add_error(
                    "approach", f"{procedure} has no approach to record; leave it empty."
                )

        if guidance:
            if guidance != Modality.FLUOROSCOPY:
                for name in FLUORO_FIELDS:
                    if data.get(name) not in (None, ""):
                        self.add_error(name, "Only for procedures under fluoroscopy.")
            if guidance != Modality.CT:
                for name in CT_FIELDS:
                    if data.get(name) not in (None, ""):
                        self.add_error(name, "Only for CT-guided procedures.")

        bundle = bool(procedure and procedure.safety_bundle and guidance == Modality.FLUOROSCOPY)
        for name in BUNDLE_FIELDS:
            if data.get(name) not in (None, "") and not bundle and procedure and guidance:
                self.add_error(
                    name, "Only for transforaminal epidurals under fluoroscopy; leave it empty."
                )
        if data.get("repositioned") is not None and data.get("contrast_pattern") != (
            ContrastPattern.VASCULAR
        ):
            if "repositioned" not in self.errors:
                self.add_error("repositioned", "Only after vascular uptake; leave it empty.")

        stress = bool(procedure and procedure.kind == ProcedureType.Kind.STRESS_EXAM)
        for name in ("stress_structure", *STRESS_FIELDS):
            value = data.get(name)
            if value is None or not procedure:
                continue
            if not stress:
                self.add_error(name, "Only for a stress ultrasound examination; leave it empty.")
            elif name in STRESS_FIELDS and not 0 <= value <= MAX_STRESS_MM:
                self.add_error(name, number_message(name))
        if stress and any(data.get(n) is not None for n in STRESS_FIELDS):
            if data.get("stress_structure") is None and "stress_structure" not in self.errors:
                self.add_error(
                    "stress_structure", "Choose the structure examined: it sets the threshold."
                )
        exam = data.get("exam")
        if exam is not None and procedure:
            if not procedure.needs_stress_exam:
                self.add_error(
                    "exam",
                    f"{procedure} is not justified by a stress examination; leave it empty.",
                )
            elif exam.stress_structure is not None and exam.stress_structure.joint != (
                procedure.region
            ):
                self.add_error(
                    "exam",
                    f"That examination is of the {exam.stress_structure.get_joint_display().lower()}"
                    f"; {procedure} is of the {procedure.get_region_display().lower()}.",
                )
            elif data.get("performed_on") and exam.performed_on > data["performed_on"]:
                self.add_error("exam", "The examination must be from before the injection.")
            elif data.get("side") and exam.side not in (data["side"], Side.BILATERAL):
                self.add_error(
                    "exam", f"That examination is of the {exam.get_side_display().lower()} side."
                )

        block = data.get("rests_on")
        if block is not None and procedure and procedure.kind != ProcedureType.Kind.ABLATION:
            self.add_error(
                "rests_on",
                f"Only an ablation rests on a diagnostic block; {procedure} does not: "
                "leave it empty.",
            )
        elif (
            block is not None
            and data.get("performed_on")
            and block.performed_on > data["performed_on"]
        ):
            self.add_error(
                "rests_on", "The diagnostic block must be from before the ablation, not after."
            )
        elif block is not None and procedure and block.procedure.region != procedure.region:
            self.add_error(
                "rests_on",
                f"That block is of the {block.procedure.get_region_display().lower()}; "
                f"{procedure} is of the {procedure.get_region_display().lower()}.",
            )

        # The supervisor queryset already holds only this trainee's supervisors.
        if self.submitting and data.get("supervisor") is None and "supervisor" not in self.errors:
            self.add_error("supervisor", "Choose the supervisor who will sign this entry off.")
        return data


def _settle(fields: dict) -> None:
    """What the entry form's fields say and allow whatever the entry and the trainee: set
    once on EntryForm.base_fields, which every form copies, instead of on every form (the
    page is rendered at every log)."""
    fields["supervisor"].empty_label = "Choose your supervisor"
    fields["supervisor"].help_text = "Needed to submit for sign-off."
    fields["supervisor"].error_messages["invalid_choice"] = (
        "Choose one of your own supervisors (you cannot supervise yourself)."
    )
    fields["procedure"].empty_label = "Choose a procedure"
    rests_on, exam = fields["rests_on"], fields["exam"]
    rests_on.empty_label = exam.empty_label = "None recorded"
    rests_on.label_from_instance = lambda e: block_label(
        e.performed_on, e.side, e.levels, e.procedure
    )
    exam.label_from_instance = lambda e: exam_label(e.performed_on, e.side, e.stress_structure)
    exam.error_messages["invalid_choice"] = (
        f"Choose one of your own {LINK_CHOICES} latest stress examinations, from the last "
        f"{REST_ON_DAYS} days."
    )
    rests_on.error_messages["invalid_choice"] = (
        f"Choose one of your own {LINK_CHOICES} latest diagnostic blocks, from the last "
        f"{REST_ON_DAYS} days."
    )
    fields["stress_structure"].empty_label = "Choose the structure"
    for name in STRESS_FIELDS:
        fields[name].widget.attrs.update(min=0, max=MAX_STRESS_MM)
    for name in ("fluoro_time_s", "dap", "dlp"):
        fields[name].min_value = 0
    for name in ("fluoro_time_s", "dap", "dlp", "volume_ml"):
        fields[name].widget.attrs["min"] = 0
    for name in ("air_kerma", "dsa_runs", "ctdi_vol", "ct_scans"):
        fields[name].widget.attrs.update(min=0, max=NUMBER_SHAPES[name][1])
    rating = fields["self_rating"]
    rating.choices = [c for c in rating.choices if c[0] != ""]
    rating.help_text = "The O-SCORE scale your supervisor rates you on: rate yourself too."
    rating.error_messages["invalid_choice"] = (
        "Choose your own rating from 1 to 5, or leave it empty."
    )
    # The trainee answers for themselves: "Me", not "Trainee".
    fields["carm_operator"].choices = [
        (CarmOperator.TRAINEE, "Me"),
        (CarmOperator.SUPERVISOR, "My supervisor"),
        (CarmOperator.RADIOGRAPHER, "A radiographer"),
    ]
    fields["volume_ml"].widget.attrs["max"] = Entry.MAX_VOLUME_ML
    fields["fluoro_time_s"].widget.attrs["max"] = Entry.MAX_FLUORO_SECONDS
    fields["performed_on"].widget.attrs["min"] = Entry.EARLIEST_DATE.isoformat()
    limit_length(fields["notes"], "Notes")
    for name in NUMBER_SHAPES:
        for code in ("invalid", "max_digits", "max_decimal_places", "max_whole_digits"):
            fields[name].error_messages[code] = number_message(name)
    # Each required field says what it wants, not Django's "This field is required."
    for name, message in REQUIRED_MESSAGES.items():
        fields[name].error_messages["required"] = message
    # Nothing is pre-selected by accident on a phone: no button chosen until tapped.
    for name in ("guidance", "side", "approach", "purpose", "role", "contrast_pattern"):
        fields[name].choices = [c for c in fields[name].choices if c[0] != ""]
    for name in ("age_band", "sex"):
        field = fields[name]
        field.choices = [("", "Not recorded")] + [c for c in field.choices if c[0] != ""]
    for field in fields.values():
        settle_choices(field.widget)


_settle(EntryForm.base_fields)


def procedure_rules(types=None) -> dict:
    """What the entry form's script needs to show only the fields that apply: for the
    active procedure types (`types`, when the caller has them already: one query less)."""
    if types is None:
        types = ProcedureType.objects.filter(active=True)
    return {
        str(p.pk): {
            "modalities": p.modalities,
            "sides": p.sides,
            "levels": p.needs_levels,
            "levelsAs": p.levels_as,
            "region": p.region,
            "approaches": p.approaches,
            "kind": p.kind,
            "bundle": p.safety_bundle,
            "needsExam": p.needs_stress_exam,
            "slug": p.slug,  # searched with the name: "tfesi", "mbb", "rfa"
        }
        for p in types
        if p.active
    }


PASSWORD_MISSING = "Enter your password to sign: a sign-off is your electronic signature."
PASSWORD_WRONG = (
    "Enter your password to sign: that is not your password. After repeated wrong "
    "passwords, signing in and signing off are locked for a while."
)


class SignOffForm(forms.Form):
    """The supervisor's signature on one entry (or on each of several)."""

    # Which submission was on the supervisor's screen: a signature covers what they saw.
    submission = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)

    autonomy = forms.TypedChoiceField(
        label="Autonomy",
        choices=Autonomy.choices,
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": "Rate the trainee’s autonomy before signing off."},
    )
    comment = forms.CharField(
        label="Comment (optional)",
        required=False,
        max_length=MAX_COMMENT,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    # Shown only for an entry with a red safety flag (procedures.safety); the service
    # refuses to sign such an entry without it.
    acknowledge = forms.BooleanField(label="I acknowledge the red flag", required=False)

    def __init__(self, *args, request=None, ask_password: bool = False, **kwargs):
        """With `ask_password` (procedures.reauth decides when), the form also asks for the
        password of `request.user` and is valid only with it: a sign-off is an electronic
        signature (21 CFR Part 11 §11.200)."""
        # Distinct ids: the entry page shows this form beside the ReturnForm.
        kwargs.setdefault("auto_id", "signoff_%s")
        super().__init__(*args, **kwargs)
        limit_length(self.fields["comment"], "The comment")
        self.request = request
        self.asks_password = ask_password
        if ask_password:
            self.fields["password"] = forms.CharField(
                label="Your password",
                strip=False,
                widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
                help_text="Your signature: asked at your first sign-off, then again after a while.",
                error_messages={
                    "required": PASSWORD_MISSING,
                    "null_characters_not_allowed": PASSWORD_WRONG,
                },
            )

    def clean_comment(self):
        return no_identifiers(self.cleaned_data["comment"])

    def clean_password(self):
        if not confirm_password(self.request, self.cleaned_data["password"]):
            raise forms.ValidationError(PASSWORD_WRONG)
        return ""  # checked; kept nowhere


class ReturnForm(forms.Form):
    submission = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)
    comment = forms.CharField(
        label="What needs correcting",
        max_length=MAX_COMMENT,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Say what the trainee should correct."},
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "return_%s")
        super().__init__(*args, **kwargs)
        limit_length(self.fields["comment"], "What needs correcting")

    def clean_comment(self):
        return no_identifiers(self.cleaned_data["comment"])


def no_identifiers(text: str) -> str:
    text = text.replace("\x00", "").strip()
    what = find_identifier(text)
    if what:
        raise forms.ValidationError(
            f"This seems to contain {what}. Precept never stores patient identifiers: "
            "please remove it."
        )
    return text
