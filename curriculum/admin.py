from django import forms
from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from accounts.retention import KeepRecordsAdmin
from procedures.models import Modality
from programs.admin import ProgramAdmin, ReadOnly
from programs.models import Program

from .models import Competency, CompetencyPolicy, EntrustmentDecision, Requirement, Stage


class StageInline(admin.TabularInline):
    model = Stage
    fields = ["order", "key", "name", "active"]
    extra = 0
    show_change_link = True
    # Stages are retired (untick Active), never deleted from here (accounts.retention).
    can_delete = False


# The program's page also lists its stages: the curriculum extends the programs app's
# admin instead of that app knowing about stages.
admin.site.unregister(Program)


class CompetencyPolicyInline(admin.StackedInline):
    """The program's rules for competence (curriculum.entrustment, curriculum.cusum)."""

    model = CompetencyPolicy
    can_delete = False
    extra = 0
    max_num = 1


class CompetencyInline(admin.TabularInline):
    model = Competency
    fields = ["order", "key", "name", "modality", "lapse_days", "active"]
    extra = 0
    show_change_link = True
    can_delete = False  # retired (untick Active), never deleted: decisions point at them


@admin.register(Program)
class ProgramWithStagesAdmin(ProgramAdmin):
    inlines = [StageInline, CompetencyPolicyInline, CompetencyInline]


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
            "any_procedure",
            "procedure_types",
            "modalities",
            "injectates",
            "min_count",
            "min_role",
            "min_autonomy",
            "recency_days",
            "active",
        ]

    def clean(self):
        data = super().clean()
        types, any_procedure = data.get("procedure_types"), data.get("any_procedure")
        if "procedure_types" in data and not any_procedure and not types:
            self.add_error(
                "procedure_types",
                "Choose the procedure types that count, or tick “Any procedure”.",
            )
        if any_procedure and types:
            self.add_error(
                "any_procedure",
                "“Any procedure” counts every type: untick it, or clear the procedure types.",
            )
        return data


class RequirementInline(admin.StackedInline):
    model = Requirement
    form = RequirementAdminForm
    extra = 0
    filter_horizontal = ["procedure_types", "injectates"]
    can_delete = False  # retired (untick Active), never deleted from here


@admin.register(Stage)
class StageAdmin(KeepRecordsAdmin, SimpleHistoryAdmin):
    list_display = ["name", "program", "order", "active"]
    list_filter = ["program", "active"]
    search_fields = ["name", "key"]
    inlines = [RequirementInline]


@admin.register(Requirement)
class RequirementAdmin(KeepRecordsAdmin, SimpleHistoryAdmin):
    form = RequirementAdminForm
    list_display = [
        "name",
        "stage",
        "kind",
        "min_count",
        "min_role",
        "min_autonomy",
        "recency_days",
        "active",
    ]
    list_filter = ["kind", "active", "stage__program", "stage"]
    search_fields = ["name", "key"]
    filter_horizontal = ["procedure_types", "injectates"]


@admin.register(Competency)
class CompetencyAdmin(KeepRecordsAdmin, SimpleHistoryAdmin):
    list_display = ["name", "modality", "program", "order", "lapse_days", "active"]
    list_filter = ["program", "modality", "active"]
    search_fields = ["name", "key"]
    filter_horizontal = ["procedure_types"]


@admin.register(EntrustmentDecision)
class EntrustmentDecisionAdmin(ReadOnly, admin.ModelAdmin):
    """Signed records: read here, written only by the director's form
    (curriculum.decisions), never changed (a database trigger refuses it)."""

    list_display = ["trainee", "competency", "level", "decided_on", "signer_name", "signed_at"]
    list_filter = ["level", "competency__program"]
    list_select_related = ["trainee", "competency"]
