"""Trainee logbook views: list, log, read, edit, submit, delete."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from .filters import LogbookFilter
from .forms import EntryForm, procedure_rules
from .models import Entry
from .services import entry_submit

PAGE_SIZE = 25
# Fields copied by "Log another like this" (the date and the patient details are not).
LIKE_FIELDS = ["procedure", "guidance", "side", "levels", "purpose", "role", "supervisor"]


def _get_entry(request: HttpRequest, pk: int, *, write: bool = False) -> Entry:
    """Return the entry if request.user may read it; otherwise 404.

    "Missing" and "not yours" look the same, so ids can't be probed. With write=True, a
    readable entry the user may not change (someone else's, or no longer a draft or
    returned) gives 403.
    """
    entry = get_object_or_404(Entry.objects.visible_to(request.user).with_related(), pk=pk)
    if write and not entry.can_edit(request.user):
        raise PermissionDenied
    return entry


def home(request: HttpRequest) -> HttpResponse:
    return redirect("procedures:entry_list")


def entry_list(request: HttpRequest) -> HttpResponse:
    """The Logbook: the signed-in trainee's own entries, newest first."""
    own = Entry.objects.filter(trainee=request.user).select_related("procedure", "supervisor")
    logbook_filter = LogbookFilter(request.GET or None, queryset=own)
    page = Paginator(logbook_filter.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "procedures/entry_list.html",
        {
            "page": "logbook",
            "filter": logbook_filter,
            "entries": list(page.object_list),
            "page_obj": page,
            "query": query.urlencode(),
        },
    )


def _initial_for_new_entry(request: HttpRequest) -> dict:
    """Pre-fill the form with today's date and, from "log another like this" (?like=pk),
    that entry's procedure details; otherwise the trainee's last supervisor and guidance."""
    initial = {"performed_on": timezone.localdate()}
    like_pk = request.GET.get("like", "")
    if like_pk.isascii() and like_pk.isdigit():
        source = get_object_or_404(Entry.objects.filter(trainee=request.user), pk=like_pk)
        initial.update({name: getattr(source, name) for name in LIKE_FIELDS})
        initial["injectates"] = list(source.injectates.values_list("pk", flat=True))
        return initial
    last = Entry.objects.filter(trainee=request.user).order_by("-created_at", "-id").first()
    if last is not None:
        initial.update(supervisor=last.supervisor_id, guidance=last.guidance)
    return initial


def _save_from_form(request: HttpRequest, form: EntryForm) -> Entry:
    entry = form.save(commit=False)
    entry.trainee = request.user
    entry.save()
    form.save_m2m()
    if form.submitting:
        entry_submit(entry=entry)
        messages.success(request, "Submitted for sign-off.")
    else:
        messages.success(request, "Saved as draft.")
    return entry


def _render_form(request, form, entry=None) -> HttpResponse:
    return render(
        request,
        "procedures/entry_form.html",
        {
            "page": "log" if entry is None else "logbook",
            "form": form,
            "entry": entry,
            "procedure_rules": procedure_rules(),
        },
    )


def entry_create(request: HttpRequest) -> HttpResponse:
    """Log a procedure: Save draft or Submit for sign-off."""
    if request.method == "POST":
        submitting = request.POST.get("action") == "submit"
        form = EntryForm(request.POST, trainee=request.user, submitting=submitting)
        if form.is_valid():
            entry = _save_from_form(request, form)
            return redirect(entry)
    else:
        form = EntryForm(trainee=request.user, initial=_initial_for_new_entry(request))
    return _render_form(request, form)


def entry_detail(request: HttpRequest, pk: int) -> HttpResponse:
    entry = _get_entry(request, pk)
    return render(
        request,
        "procedures/entry_detail.html",
        {
            "page": "logbook",
            "entry": entry,
            "injectates": list(entry.injectates.all()),
            "can_edit": entry.can_edit(request.user),
            "is_owner": entry.trainee_id == request.user.pk,
        },
    )


def entry_edit(request: HttpRequest, pk: int) -> HttpResponse:
    entry = _get_entry(request, pk, write=True)
    if request.method == "POST":
        submitting = request.POST.get("action") == "submit"
        form = EntryForm(request.POST, instance=entry, trainee=request.user, submitting=submitting)
        if form.is_valid():
            entry = _save_from_form(request, form)
            return redirect(entry)
    else:
        form = EntryForm(instance=entry, trainee=request.user)
    return _render_form(request, form, entry)


@require_POST
def entry_submit_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Submit a saved draft as it is; if it lacks what submission needs, open the form."""
    entry = _get_entry(request, pk, write=True)
    data = EntryForm(instance=entry, trainee=request.user).initial
    form = EntryForm(data, instance=entry, trainee=request.user, submitting=True)
    if not form.is_valid():
        messages.error(request, "This entry needs more before it can be submitted.")
        return _render_form(request, form, entry)
    entry_submit(entry=entry)
    messages.success(request, "Submitted for sign-off.")
    return redirect(entry)


def entry_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """GET asks for confirmation; POST deletes a draft or returned entry."""
    entry = _get_entry(request, pk, write=True)
    if request.method == "POST":
        entry.delete()
        messages.success(request, "Entry deleted.")
        return redirect("procedures:entry_list")
    return render(
        request, "procedures/entry_confirm_delete.html", {"page": "logbook", "entry": entry}
    )
