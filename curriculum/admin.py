from django import forms
from django.contrib import admin

from procedures.models import Modality

from .models import Enrollment, Program, Requirement, Stage


class StageInline(admin.TabularInline):
    model = Stage
    fields = ["order", "key", "name"]
    extra = 0
    show_change_link = True


@admin.register(Program)
class ProgramAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name", "slug"]
    filter_horizontal = ["directors"]
    inlines = [StageInline]


class RequirementAdminForm(forms.ModelForm):
    modalities = forms.MultipleChoiceField(
        choices=Modality.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="None ticked: any guidance.",
    )

    class Meta:
        model = Requirement
        fields = [
            "stage",
            "key",
            "order",
            "name",
            "kind",
            "procedure_types",
            "modalities",
            "injectates",
            "min_count",
            "min_role",
            "min_autonomy",
            "recency_days",
        ]


class RequirementInline(admin.StackedInline):
    model = Requirement
    form = RequirementAdminForm
    extra = 0
    filter_horizontal = ["procedure_types", "injectates"]


@admin.register(Stage)
class StageAdmin(admin.ModelAdmin):
    list_display = ["name", "program", "order"]
    list_filter = ["program"]
    search_fields = ["name", "key"]
    inlines = [RequirementInline]


@admin.register(Requirement)
class RequirementAdmin(admin.ModelAdmin):
    form = RequirementAdminForm
    list_display = [
        "name",
        "stage",
        "kind",
        "min_count",
        "min_role",
        "min_autonomy",
        "recency_days",
    ]
    list_filter = ["kind", "stage__program", "stage"]
    search_fields = ["name", "key"]
    filter_horizontal = ["procedure_types", "injectates"]


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
class EnrollmentAdmin(admin.ModelAdmin):
    form = EnrollmentAdminForm
    list_display = ["trainee", "program", "start_date", "active"]
    list_filter = ["program", "active"]
    search_fields = ["trainee__username", "trainee__first_name", "trainee__last_name"]
    autocomplete_fields = ["trainee"]
    filter_horizontal = ["supervisors"]
