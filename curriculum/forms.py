from django import forms
from django.utils import timezone

from procedures.fields import IdModelChoiceField
from procedures.forms import limit_length, no_identifiers
from procedures.models import EARLIEST_DATE, Entry, Modality, ProcedureType

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
