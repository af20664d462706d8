from django import forms
from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import DoseAlert, DoseReading, Enrollment, Program


@admin.register(Program)
class ProgramAdmin(SimpleHistoryAdmin):
    list_display = ["name", "slug", "signoff_password_minutes", "dose_preset"]
    search_fields = ["name", "slug"]
    filter_horizontal = ["directors"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "name",
                    "slug",
                    "description",
                    "directors",
                    "signoff_password_minutes",
                    "block_threshold",
                ]
            },
        ),
        (
            "Dose limits (personal dosimetry)",
            {
                "description": "A preset, and any value the program sets instead of the "
                "preset's (empty: the preset's).",
                "fields": [
                    "dose_preset",
                    "limit_whole_body_msv",
                    "limit_one_year_msv",
                    "limit_five_years_msv",
                    "limit_lens_msv",
                    "limit_extremity_msv",
                    "investigation_level_1_pct",
                    "investigation_level_2_pct",
                ],
            },
        ),
    ]


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


class ReadOnly:
    """Read here; written by their one door (curriculum.dosimetry.record_reading), which
    also raises the alerts and mails the directors."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(DoseReading)
class DoseReadingAdmin(ReadOnly, SimpleHistoryAdmin):
    list_display = ["person", "period_start", "period_end", "whole_body", "lens", "extremity"]
    list_select_related = ["person"]
    search_fields = ["person__username", "person__last_name"]
    date_hierarchy = "period_end"


@admin.register(DoseAlert)
class DoseAlertAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["person", "quarter", "quantity", "level", "dose", "created_at"]
    list_select_related = ["person"]
    list_filter = ["quantity", "level"]
