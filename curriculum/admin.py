from django import forms
from django.contrib import admin

from procedures.models import Modality
from programs.admin import ProgramAdmin
from programs.models import Program

from .models import Requirement, Stage


class StageInline(admin.TabularInline):
    model = Stage
    fields = ["order", "key", "name"]
    extra = 0
    show_change_link = True


# The program's page also lists its stages: the curriculum extends the programs app's
# admin instead of that app knowing about stages.
admin.site.unregister(Program)


@admin.register(Program)
class ProgramWithStagesAdmin(ProgramAdmin):
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
