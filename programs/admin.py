from django import forms
from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import Enrollment, Program


@admin.register(Program)
class ProgramAdmin(SimpleHistoryAdmin):
    list_display = ["name", "slug", "signoff_password_minutes"]
    search_fields = ["name", "slug"]
    filter_horizontal = ["directors"]


class EnrollmentAdminForm(forms.ModelForm):
    class Meta:
        model = Enrollment
        fields = ["trainee", "program", "start_date", "supervisors", "active"]

    def clean(self):
        data = super().clean()
        trainee, supervisors = data.get("trainee"), data.get("supervisors")
        if trainee and supervisors and trainee in supervisors:
            self.add_error("supervisors", "A trainee cannot be their own supervisor.")
        return data


@admin.register(Enrollment)
class EnrollmentAdmin(SimpleHistoryAdmin):
    form = EnrollmentAdminForm
    list_display = ["trainee", "program", "start_date", "active"]
    list_filter = ["program", "active"]
    search_fields = ["trainee__username", "trainee__first_name", "trainee__last_name"]
    autocomplete_fields = ["trainee"]
    filter_horizontal = ["supervisors"]
