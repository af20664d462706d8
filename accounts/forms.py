"""The E-mail settings form: the signed-in user's own preferences, nothing else."""

from django import forms

from .models import User


class EmailSettingsForm(forms.ModelForm):
    """Both choices are required radio buttons: a form posted empty (or by hand without
    them) changes nothing and says which field is missing."""

    supervisor_mail = forms.ChoiceField(
        label="As a supervisor, e-mail me",
        choices=User.SupervisorMail.choices,
        widget=forms.RadioSelect,
        help_text="The daily digest comes in the morning when entries wait for you, "
        "oldest first; nothing is sent when none waits.",
    )
    weekly_digest = forms.TypedChoiceField(
        label="As a trainee, a weekly digest",
        choices=[
            ("yes", "Yes: once a week, my drafts and the entries returned to me"),
            ("no", "No weekly digest"),
        ],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
        help_text="Sent only in a week when you have drafts or returned entries.",
    )

    class Meta:
        model = User
        fields = ["supervisor_mail", "weekly_digest"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial["weekly_digest"] = "yes" if self.instance.weekly_digest else "no"
