from django import forms
from django.utils import timezone

from procedures.fields import IdModelChoiceField
from procedures.forms import limit_length, no_identifiers
from procedures.models import EARLIEST_DATE, Entry, Modality, ProcedureType

from .models import ObservedAssessment


class AssessmentForm(forms.ModelForm):
    """A DOPS: what was observed, and the global rating."""

    class Meta:
        model = ObservedAssessment
        fields = ["observed_on", "procedure", "guidance", "entry", "rating", "comments"]
        labels = {
            "observed_on": "Date observed",
            "procedure": "Procedure",
            "guidance": "Guidance",
            "entry": "Log entry (optional)",
            "rating": "Global rating",
            "comments": "Comments",
        }
        field_classes = {"procedure": IdModelChoiceField, "entry": IdModelChoiceField}
        widgets = {
            "observed_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "rating": forms.RadioSelect,
            # Set from the entry page's "Record a DOPS" link; not picked from a list.
            "entry": forms.HiddenInput,
            "comments": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, trainee, **kwargs):
        super().__init__(*args, **kwargs)
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
        return data
