"""The block response form: the pain score before a diagnostic block, the diary of scores
after it, the local anaesthetic, and the series it belongs to (procedures.blocks for the
rules, procedures.series for the series)."""

from django import forms

from . import blocks
from .fields import IdModelChoiceField
from .models import BlockResponse, DisabilityScale, Entry, Injectate, PainScale, block_label
from .series import first_block_choices, proposed_first_block

# The diary's time points, in minutes after the block: when a patient is usually asked
# (30 min, 1, 2, 4, 6, 8 and 24 h), enough to show the duration of lidocaine (1–2 h) and
# bupivacaine (4–8 h) apart.
DIARY_MINUTES = (30, 60, 120, 240, 360, 480, 1440)


def diary_field(minutes: int) -> str:
    return f"at_{minutes}"


class BlockResponseForm(forms.ModelForm):
    """Record or complete a block response. Scores are whole numbers on the chosen scale;
    relief and its duration are computed from them, never typed."""

    class Meta:
        model = BlockResponse
        fields = [
            "scale",
            "before",
            "agent",
            "agent_volume_ml",
            "follows",
            "disability_scale",
            "disability_score",
        ]
        labels = {
            "scale": "Pain scale",
            "before": "Pain before the block",
            "agent": "Local anaesthetic",
            "agent_volume_ml": "Local anaesthetic volume (ml)",
            "follows": "Second block of a series with",
            "disability_scale": "Baseline disability scale",
            "disability_score": "Baseline disability score (%)",
        }
        help_texts = {
            "before": "The index pain, on the scale above.",
            "follows": "The first block of a comparative series: same procedure, levels and "
            "side, within 90 days before this one.",
            "disability_score": "For the series, once: Oswestry (low back) or Neck "
            "Disability Index, 0–100%.",
        }
        field_classes = {"agent": IdModelChoiceField, "follows": IdModelChoiceField}
        widgets = {
            "scale": forms.RadioSelect(attrs={"data-buttons": True}),
            "agent": forms.RadioSelect(attrs={"data-buttons": True}),
            "disability_scale": forms.RadioSelect(attrs={"data-buttons": True}),
            "before": forms.NumberInput(attrs={"inputmode": "numeric", "min": 0}),
            "agent_volume_ml": forms.NumberInput(
                attrs={"inputmode": "decimal", "step": "0.1", "min": 0}
            ),
            "disability_score": forms.NumberInput(
                attrs={"inputmode": "numeric", "min": 0, "max": 100}
            ),
        }

    def __init__(self, *args, entry: Entry, **kwargs):
        super().__init__(*args, **kwargs)
        self.entry = entry
        for minutes in DIARY_MINUTES:
            self.fields[diary_field(minutes)] = forms.IntegerField(
                label=f"Pain at {blocks.minutes_words(minutes)}",
                required=False,
                widget=forms.NumberInput(attrs={"inputmode": "numeric", "min": 0}),
            )
        if not self.is_bound:
            for minutes, score in self.instance.diary or ():
                if minutes in DIARY_MINUTES:
                    self.initial[diary_field(minutes)] = score
        self.fields["scale"].choices = PainScale.choices
        self.fields["disability_scale"].choices = [("", "Not recorded"), *DisabilityScale.choices]
        self.fields["agent"].queryset = Injectate.objects.filter(
            category=Injectate.Category.ANESTHETIC
        ).filter(active=True) | Injectate.objects.filter(pk=self.instance.agent_id or 0)
        self.fields["agent"].empty_label = None
        self.fields["agent"].required = False
        follows = self.fields["follows"]
        follows.queryset = first_block_choices(entry)
        follows.empty_label = "Not a second block"
        follows.label_from_instance = lambda e: block_label(
            e.performed_on, e.side, e.levels, e.procedure
        )
        follows.error_messages["invalid_choice"] = (
            "Choose one of your own diagnostic blocks of the same procedure from the 90 days "
            "before this one, not already in a series."
        )
        if BlockResponse.objects.filter(follows=entry).exists():
            del self.fields["follows"]  # the first block of a series already
        elif entry.status == Entry.Status.SIGNED_OFF:
            # Signed as a single block or as this series: an ablation resting on it was
            # signed with the flag that made. The diary stays open; the link does not
            # (a correction, which goes back for sign-off, opens it again).
            follows.disabled = True
            follows.help_text = (
                "Fixed once this block is signed off; correct the entry to change it."
            )
        elif not self.is_bound and self.instance.pk is None:
            proposal = proposed_first_block(entry)
            if proposal is not None:
                self.initial["follows"] = proposal.pk
                self.proposed = proposal

        # Something typed that is not a number is named like a number out of range.
        for field in self.fields.values():
            if isinstance(field, forms.IntegerField | forms.DecimalField):
                what = field.label
                shape = "a whole number" if isinstance(field, forms.IntegerField) else "a number"
                for code in ("invalid", "max_digits", "max_decimal_places", "max_whole_digits"):
                    field.error_messages[code] = f"{what} must be {shape}."

    proposed: Entry | None = None

    @property
    def diary_fields(self):
        return [self[diary_field(minutes)] for minutes in DIARY_MINUTES]

    def clean(self):
        data = super().clean()
        scale = data.get("scale") or PainScale.NRS
        top = blocks.SCALES[scale]
        unit = "0 to 10 (NRS)" if scale == PainScale.NRS else "0 to 100 mm (VAS)"
        before = data.get("before")
        if before is not None and not 0 <= before <= top:
            self.add_error("before", f"Pain before must be a whole number from {unit}.")
        diary = []
        for minutes in DIARY_MINUTES:
            name = diary_field(minutes)
            score = data.get(name)
            if score is None:
                continue
            if not 0 <= score <= top:
                self.add_error(
                    name,
                    f"Pain at {blocks.minutes_words(minutes)} must be a whole number from {unit}.",
                )
                continue
            diary.append([minutes, score])
        if diary and before is None and "before" not in self.errors:
            self.add_error(
                "before", "Enter the pain before the block: relief is measured against it."
            )
        volume = data.get("agent_volume_ml")
        if volume is not None and not 0 <= volume <= BlockResponse.MAX_AGENT_VOLUME_ML:
            self.add_error(
                "agent_volume_ml",
                "Local anaesthetic volume must be between 0 and "
                f"{BlockResponse.MAX_AGENT_VOLUME_ML} ml.",
            )
        score = data.get("disability_score")
        if score is not None and not 0 <= score <= 100:
            self.add_error("disability_score", "The disability score is a percentage, 0 to 100.")
        if score is not None and not data.get("disability_scale"):
            self.add_error("disability_scale", "Choose the disability scale the score is on.")
        if not self.errors:
            # The same checks as any other path (an import, the API) would meet.
            for error in blocks.diary_errors(scale, before if before is not None else 0, diary):
                self.add_error(None, error)
        self.instance.diary = diary
        return data
