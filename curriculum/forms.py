from django import forms
from django.utils import timezone

from procedures.fields import IdModelChoiceField
from procedures.forms import PASSWORD_WRONG, limit_length, no_identifiers
from procedures.models import EARLIEST_DATE, MAX_COMMENT, Entry, Modality, ProcedureType
from procedures.reauth import confirm_password
from programs.models import MAX_READING_MSV, DoseReading

from .entrustment import Level as EntrustmentLevel
from .models import ObservedAssessment, Requirement
from .progress import assessment_requirements, matches, preferred_requirement


class RequirementChoiceField(IdModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name} (stage {obj.stage.order})"


class AssessmentForm(forms.ModelForm):
    """A DOPS: what was observed, the global rating, and the one requirement of the
    trainee's program it counts for.

    `requirement` offers the program's DOPS requirements (static/js/dops_form.js narrows
    the list to those matching the procedure and guidance, from `requirement_data`); the
    server refuses one that does not match them. Left empty, it becomes the one
    `progress.preferred_requirement` picks; empty it stays only when none matches (the
    DOPS is then recorded and counts for no requirement).
    """

    class Meta:
        model = ObservedAssessment
        fields = [
            "observed_on",
            "procedure",
            "guidance",
            "entry",
            "rating",
            "requirement",
            "comments",
        ]
        labels = {
            "observed_on": "Date observed",
            "procedure": "Procedure",
            "guidance": "Guidance",
            "entry": "Log entry (optional)",
            "rating": "Global rating",
            "requirement": "Counts for",
            "comments": "Comments",
        }
        help_texts = {
            "requirement": "The requirement of the trainee's program this DOPS counts for: "
            "only those that ask for this procedure and guidance are offered.",
        }
        field_classes = {
            "procedure": IdModelChoiceField,
            "entry": IdModelChoiceField,
            "requirement": RequirementChoiceField,
        }
        widgets = {
            "observed_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "rating": forms.RadioSelect,
            # Set from the entry page's "Record a DOPS" link; not picked from a list.
            "entry": forms.HiddenInput,
            "comments": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, trainee, program, **kwargs):
        super().__init__(*args, **kwargs)
        # In curriculum order, with their procedure type ids (the engine's own copy).
        self.requirements = assessment_requirements(program)
        self.fields["requirement"].queryset = Requirement.objects.filter(
            pk__in=[r.pk for r in self.requirements]
        ).select_related("stage")
        self.fields["requirement"].empty_label = "None: no requirement asks for this DOPS"
        self.fields["procedure"].queryset = ProcedureType.objects.filter(active=True)
        # Only the trainee's own submitted or signed-off entries can be linked.
        self.fields["entry"].queryset = Entry.objects.filter(trainee=trainee).exclude(
            status=Entry.Status.DRAFT
        )
        self.fields["rating"].choices = [c for c in self.fields["rating"].choices if c[0] != ""]
        self.fields["observed_on"].widget.attrs["min"] = EARLIEST_DATE.isoformat()
        limit_length(self.fields["comments"], "Comments")

    def clean_observed_on(self):
        value = self.cleaned_data["observed_on"]
        if value > timezone.localdate():
            raise forms.ValidationError("The date observed cannot be in the future.")
        if value < EARLIEST_DATE:
            raise forms.ValidationError(
                f"The date observed must be between {EARLIEST_DATE.day} {EARLIEST_DATE:%B %Y} and today."
            )
        return value

    def clean_comments(self):
        return no_identifiers(self.cleaned_data["comments"])

    def clean(self):
        data = super().clean()
        procedure, guidance = data.get("procedure"), data.get("guidance")
        if procedure and guidance and guidance not in procedure.modalities:
            allowed = ", ".join(Modality(m).label for m in procedure.modalities)
            self.add_error("guidance", f"{procedure} is done under {allowed}.")
        elif procedure and guidance:
            self._clean_requirement(data, procedure, guidance)
        return data

    def _clean_requirement(self, data, procedure, guidance) -> None:
        """The requirement chosen must ask for this procedure and guidance; none chosen is
        the preferred one, or none when no requirement matches."""
        chosen = data.get("requirement")
        if chosen is not None:
            mine = next((r for r in self.requirements if r.pk == chosen.pk), None)
            if mine is None or not matches(mine, procedure.pk, guidance):
                self.add_error(
                    "requirement",
                    f"“{chosen.name}” does not count a DOPS of {procedure} under "
                    f"{Modality(guidance).label}: choose one that does.",
                )
            return
        if "requirement" in self.errors:
            return
        preferred = preferred_requirement(
            self.requirements, procedure.pk, guidance, data.get("rating")
        )
        if preferred is not None:
            data["requirement"] = self.fields["requirement"].queryset.get(pk=preferred.pk)

    def requirement_data(self) -> list[dict]:
        """What dops_form.js needs to narrow the list, as json_script data."""
        return [
            {
                "id": r.pk,
                "any": r.any_procedure,
                "types": sorted(r.type_ids),
                "modalities": r.modalities,
                "min_rating": r.min_autonomy,
            }
            for r in self.requirements
        ]


DOSE_FIELDS = {
    "whole_body": "Whole body, Hp(10)",
    "lens": "Eye lens, Hp(3)",
    "extremity": "Extremity, Hp(0.07)",
}


class DoseReadingForm(forms.ModelForm):
    """One dosimeter reading (curriculum.dosimetry.record_reading saves it): a wear period
    and the doses the dosimetry service reported for it, in mSv."""

    class Meta:
        model = DoseReading
        fields = ["period_start", "period_end", "whole_body", "lens", "extremity"]
        labels = {
            "period_start": "Wear period from",
            "period_end": "Wear period to",
            "whole_body": "Whole body, Hp(10) (mSv)",
            "lens": "Eye lens, Hp(3) (mSv)",
            "extremity": "Extremity, Hp(0.07) (mSv)",
        }
        help_texts = {
            "whole_body": "As the dosimetry report gives it; leave empty what was not worn.",
        }
        widgets = {
            "period_start": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "period_end": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            **{
                name: forms.NumberInput(
                    attrs={
                        "inputmode": "decimal",
                        "step": "0.001",
                        "min": 0,
                        "max": MAX_READING_MSV,
                    }
                )
                for name in DOSE_FIELDS
            },
        }

    def __init__(self, *args, person, **kwargs):
        super().__init__(*args, **kwargs)
        self.person = person
        today = timezone.localdate().isoformat()
        for name in ("period_start", "period_end"):
            self.fields[name].widget.attrs.update(min=EARLIEST_DATE.isoformat(), max=today)
            self.fields[name].error_messages["required"] = (
                f"Enter the date the wear period {'began' if name == 'period_start' else 'ended'}."
            )
            self.fields[name].error_messages["invalid"] = "Enter a date, for example 2026-11-30."
        for name, what in DOSE_FIELDS.items():
            message = (
                f"{what} must be a number of mSv from 0 to {MAX_READING_MSV:,}, with at most "
                "3 decimal places."
            )
            for code in ("invalid", "max_digits", "max_decimal_places", "max_whole_digits"):
                self.fields[name].error_messages[code] = message

    def _dose(self, name: str):
        value = self.cleaned_data[name]
        if value is not None and not 0 <= value <= MAX_READING_MSV:
            raise forms.ValidationError(self.fields[name].error_messages["invalid"])
        return value

    def clean_whole_body(self):
        return self._dose("whole_body")

    def clean_lens(self):
        return self._dose("lens")

    def clean_extremity(self):
        return self._dose("extremity")

    def _date(self, name: str):
        value = self.cleaned_data[name]
        if value > timezone.localdate():
            raise forms.ValidationError("A wear period cannot end (or begin) in the future.")
        if value < EARLIEST_DATE:
            raise forms.ValidationError(f"Enter a date from {EARLIEST_DATE:%d %B %Y} to today.")
        return value

    def clean_period_start(self):
        return self._date("period_start")

    def clean_period_end(self):
        return self._date("period_end")

    def clean(self):
        data = super().clean()
        start, end = data.get("period_start"), data.get("period_end")
        if start and end and end < start:
            self.add_error("period_end", "The wear period must end on or after the day it began.")
        doses = [name for name in DOSE_FIELDS if data.get(name) is not None]
        if not doses and not any(name in self.errors for name in DOSE_FIELDS):
            raise forms.ValidationError(
                "Enter at least one dose: whole body, eye lens or extremity."
            )
        if start and end and end >= start:
            # The same dose typed twice would count twice: a period that overlaps another
            # reading of the same quantity is refused.
            for name in doses:
                clash = (
                    DoseReading.objects.filter(
                        person=self.person,
                        period_start__lte=end,
                        period_end__gte=start,
                        **{f"{name}__isnull": False},
                    )
                    .exclude(pk=self.instance.pk)
                    .first()
                )
                if clash is not None:
                    self.add_error(
                        name,
                        f"{DOSE_FIELDS[name]} is already recorded for {clash.period_start:%d %b %Y} "
                        f"to {clash.period_end:%d %b %Y}, which this period overlaps.",
                    )
        return data


class DecisionForm(forms.Form):
    """A director's entrustment decision for one competency: the level, the day, the
    rationale, and the password that signs it (21 CFR Part 11 §11.200: a decision is
    rare and weighty, so the password is asked every time)."""

    level = forms.TypedChoiceField(
        label="Entrustment level",
        choices=EntrustmentLevel.choices,
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose the level the committee decided.",
            "invalid_choice": "Choose one of the four entrustment levels.",
        },
    )
    decided_on = forms.DateField(
        label="Date decided",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={
            "required": "Give the date of the decision.",
            "invalid": "Enter the date decided as a date, for example 2026-12-07.",
        },
    )
    rationale = forms.CharField(
        label="Rationale",
        max_length=MAX_COMMENT,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="What the committee weighed: the evidence, the assessors' views.",
        error_messages={
            "required": "Say why: the rationale is part of the record.",
            "null_characters_not_allowed": "The rationale cannot contain a null character.",
        },
    )
    # A one-time key from the page that showed the form (curriculum.decisions).
    form_key = forms.UUIDField(
        widget=forms.HiddenInput,
        error_messages={
            "required": "This form has expired: open it again from the committee view.",
            "invalid": "This form has expired: open it again from the committee view.",
        },
    )
    password = forms.CharField(
        label="Your password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text="Your signature on the decision.",
        error_messages={
            "required": "Enter your password: it signs the decision.",
            "null_characters_not_allowed": PASSWORD_WRONG,
        },
    )

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, **kwargs)
        limit_length(self.fields["rationale"], "The rationale")
        self.request = request

    def clean_decided_on(self):
        day = self.cleaned_data["decided_on"]
        today = timezone.localdate()
        if day > today:
            raise forms.ValidationError("The date decided cannot be in the future.")
        if day < EARLIEST_DATE:
            raise forms.ValidationError("The date decided cannot be before 1 January 1990.")
        return day

    def clean_rationale(self):
        return no_identifiers(self.cleaned_data["rationale"])

    def clean_password(self):
        if not confirm_password(self.request, self.cleaned_data["password"]):
            raise forms.ValidationError(PASSWORD_WRONG)
        return ""  # checked; kept nowhere
