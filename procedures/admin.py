from django import forms
from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.utils import timezone
from simple_history.admin import SimpleHistoryAdmin

from accounts.retention import KeepRecordsAdmin

from .forms import EntryForm
from .models import (
    Entry,
    Injectate,
    Modality,
    ProcedureType,
    Side,
    SignatureCheck,
    StressStructure,
)
from .services import EntryChanged, EntryLinked, entry_delete, entry_save


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
            "kind",
            "safety_bundle",
            "needs_stress_exam",
            "active",
        ]


@admin.register(ProcedureType)
class ProcedureTypeAdmin(KeepRecordsAdmin, SimpleHistoryAdmin):
    """The catalogue keeps its history; a type in use is retired, never deleted."""

    form = ProcedureTypeAdminForm
    list_display = ["name", "category", "region", "needs_levels", "active"]
    list_filter = ["category", "region", "needs_levels", "active"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(StressStructure)
class StressStructureAdmin(KeepRecordsAdmin, SimpleHistoryAdmin):
    """What stress ultrasound measures, with each threshold's source; retired, never
    deleted, once an examination names it."""

    list_display = ["name", "joint", "threshold_mm", "active"]
    list_filter = ["joint", "active"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Injectate)
class InjectateAdmin(KeepRecordsAdmin, SimpleHistoryAdmin):
    """The catalogue keeps its history; an injectate in use is retired, never deleted."""

    list_display = ["name", "category", "active"]
    list_filter = ["category", "active"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


class EntryAdminForm(EntryForm):
    """The admin edits a draft by the same rules as the trainee's form (DESIGN §5)."""

    def __init__(self, *args, instance=None, **kwargs):
        if "procedure" not in self.base_fields:  # the view-only page: nothing to check
            forms.ModelForm.__init__(self, *args, instance=instance, **kwargs)
            return
        super().__init__(*args, instance=instance, trainee=instance.trainee, **kwargs)


# Who did what, and when: the lifecycle is the services' alone (STYLE §14.2).
LIFECYCLE_FIELDS = [
    "trainee",
    "status",
    "revision",
    "submitted_at",
    "autonomy",
    "created_at",
    "updated_at",
]
EDITABLE = (Entry.Status.DRAFT, Entry.Status.RETURNED)


@admin.register(Entry)
class EntryAdmin(admin.ModelAdmin):
    """Entries in the admin: read everything; change only what the trainee could.

    No entry is added here (trainees log their own). Status, signatures and events are
    read-only. A Submitted or Signed-off entry is view-only: a correction is a new
    revision, made in the Logbook. A Draft or Returned one is edited through EntryForm's
    rules and saved by `entry_save`, like the trainee's own edit; deleting follows
    `Entry.can_delete` (never an entry that was once signed off).
    """

    form = EntryAdminForm
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
    readonly_fields = LIFECYCLE_FIELDS

    def get_fields(self, request, obj=None):
        return [*LIFECYCLE_FIELDS, *EntryForm.Meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.status not in EDITABLE:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and not (obj.status in EDITABLE and obj.revision == 1):
            return False
        return super().has_delete_permission(request, obj)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except EntryChanged:
            # The entry moved on (submitted or signed off) after the page was checked:
            # the admin's transaction rolled back, so nothing of this edit was written.
            self.message_user(
                request,
                "Nothing was saved: this entry changed while you were editing it (it was "
                "submitted or signed off meanwhile). Here it is as it is now.",
                messages.ERROR,
            )
            return HttpResponseRedirect(request.path)

    def save_model(self, request, obj, form, change):
        entry_save(form=form, trainee=obj.trainee, submit=False)

    def delete_model(self, request, obj):
        """Through the service: a Deleted event is recorded and the entry's events stay."""
        try:
            entry_delete(entry=obj, by=request.user)
        except EntryChanged:
            self.message_user(
                request, f"Entry #{obj.pk} was not deleted: it changed meanwhile.", messages.ERROR
            )
        except EntryLinked:
            self.message_user(
                request,
                f"Entry #{obj.pk} was not deleted: another entry rests on it.",
                messages.ERROR,
            )

    def delete_queryset(self, request, queryset):
        """ "Delete selected" deletes only what may be deleted (a Draft or Returned entry
        never signed off), each through the service; the rest are kept and named."""
        kept, linked = [], []
        for entry in queryset:
            try:
                entry_delete(entry=entry, by=request.user)
            except EntryChanged:
                kept.append(f"#{entry.pk}")
            except EntryLinked:
                linked.append(f"#{entry.pk}")
        if kept:
            self.message_user(
                request,
                f"Not deleted (submitted or signed off): {', '.join(kept)}.",
                messages.ERROR,
            )
        if linked:
            self.message_user(
                request,
                f"Not deleted (another entry rests on it): {', '.join(linked)}.",
                messages.ERROR,
            )

    def save_related(self, request, form, formsets, change):
        pass  # entry_save saved the injectates with the entry


@admin.register(SignatureCheck)
class SignatureCheckAdmin(admin.ModelAdmin):
    """Findings of `verify_signatures` and of the pages' checks: read-only, except that
    someone who has looked into one marks it resolved."""

    list_display = ["entry", "revision", "found_at", "resolved", "resolved_at"]
    list_filter = ["resolved"]
    readonly_fields = ["entry", "revision", "found_at", "resolved_at"]
    fields = ["entry", "revision", "found_at", "resolved", "resolved_at"]

    def get_readonly_fields(self, request, obj=None):
        # Resolved is final: reopening could make a second open finding for the revision.
        if obj is not None and obj.resolved:
            return self.fields
        return self.readonly_fields

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        obj.resolved_at = timezone.now() if obj.resolved else None
        super().save_model(request, obj, form, change)
