from django import forms
from django.contrib import admin

from .models import Entry, Injectate, Modality, ProcedureType, Side


class ProcedureTypeAdminForm(forms.ModelForm):
    """Edit the JSON lists as checkboxes, so only valid modalities and sides are stored."""

    modalities = forms.MultipleChoiceField(
        choices=Modality.choices, widget=forms.CheckboxSelectMultiple
    )
    sides = forms.MultipleChoiceField(choices=Side.choices, widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = ProcedureType
        fields = [
            "slug",
            "name",
            "category",
            "region",
            "modalities",
            "sides",
            "needs_levels",
            "active",
        ]


@admin.register(ProcedureType)
class ProcedureTypeAdmin(admin.ModelAdmin):
    form = ProcedureTypeAdminForm
    list_display = ["name", "category", "region", "needs_levels", "active"]
    list_filter = ["category", "region", "needs_levels", "active"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Injectate)
class InjectateAdmin(admin.ModelAdmin):
    list_display = ["name", "category", "active"]
    list_filter = ["category", "active"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Entry)
class EntryAdmin(admin.ModelAdmin):
    list_display = [
        "performed_on",
        "trainee",
        "procedure",
        "guidance",
        "side",
        "levels",
        "role",
        "supervisor",
        "status",
    ]
    list_filter = ["status", "guidance", "role", "procedure__category", "procedure", "complication"]
    search_fields = [
        "trainee__username",
        "trainee__last_name",
        "supervisor__username",
        "supervisor__last_name",
        "procedure__name",
        "levels",
    ]
    date_hierarchy = "performed_on"
    list_select_related = ["trainee", "procedure", "supervisor"]
    autocomplete_fields = ["trainee", "supervisor"]
    filter_horizontal = ["injectates"]
    readonly_fields = ["created_at", "updated_at", "submitted_at"]
