"""Supervisor views: the Sign-off queue, Sign off, Return to trainee, Sign off selected."""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from ..forms import ReturnForm, SignOffForm
from ..history import entry_history
from ..models import Entry
from ..services import EntryAlreadyDecided, entries_sign_off, entry_return, entry_sign_off, refuse
from .access import get_entry

QUEUE_PAGE_SIZE = 50
BULK_LIMIT = 200  # ids taken from one "Sign off selected" POST


def _my_trainees(user):
    return list(
        get_user_model()
        .objects.filter(enrollments__supervisors=user, enrollments__active=True)
        .distinct()
        .order_by("last_name", "first_name", "username")
    )


def signoff_queue(request: HttpRequest) -> HttpResponse:
    """Entries submitted to me by my trainees, oldest first, filterable by trainee."""
    trainees = _my_trainees(request.user)
    waiting = Entry.objects.awaiting(request.user).select_related("trainee", "procedure")
    chosen = request.GET.get("trainee", "")
    chosen_trainee = next((t for t in trainees if str(t.pk) == chosen), None)
    if chosen_trainee is not None:
        waiting = waiting.filter(trainee=chosen_trainee)
    page = Paginator(waiting, QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "procedures/signoff_queue.html",
        {
            "page": "queue",
            "entries": list(page.object_list),
            "page_obj": page,
            "trainees": trainees,
            "chosen_trainee": chosen_trainee,
            "form": SignOffForm(),
        },
    )


def _render_decision_errors(request, entry, sign_off_form, return_form) -> HttpResponse:
    """The entry page again, with the refused form's errors and what was typed."""
    return render(
        request,
        "procedures/entry_detail.html",
        {
            "page": "queue",
            "entry": entry,
            "injectates": list(entry.injectates.all()),
            "is_owner": False,
            "can_decide": True,
            "sign_off_form": sign_off_form,
            "return_form": return_form,
            **entry_history(entry),
        },
        status=200,
    )


def _already_decided(request, entry, exc) -> HttpResponse:
    messages.warning(
        request,
        f"Nothing changed: this entry was already {str(exc).lower()} by someone else "
        "(or in another tab).",
    )
    return redirect(entry)


@require_POST
def entry_sign_off_view(request: HttpRequest, pk: int) -> HttpResponse:
    entry = get_entry(request, pk)
    if not entry.can_decide(request.user):
        if entry.status != Entry.Status.SUBMITTED and entry.supervisor_id == request.user.pk:
            return _already_decided(request, entry, EntryAlreadyDecided(entry.get_status_display()))
        refuse(request.user, "sign_off", pk, f"not the supervisor; status {entry.status}")
        raise PermissionDenied
    form = SignOffForm(request.POST)
    if not form.is_valid():
        return _render_decision_errors(request, entry, form, ReturnForm())
    try:
        entry_sign_off(
            entry_id=entry.pk,
            supervisor=request.user,
            autonomy=form.cleaned_data["autonomy"],
            comment=form.cleaned_data["comment"],
        )
    except EntryAlreadyDecided as exc:
        return _already_decided(request, entry, exc)
    messages.success(request, f"Signed off: {entry.procedure} for {entry.trainee.display_name}.")
    return redirect("procedures:signoff_queue")


@require_POST
def entry_return_view(request: HttpRequest, pk: int) -> HttpResponse:
    entry = get_entry(request, pk)
    if not entry.can_decide(request.user):
        if entry.status != Entry.Status.SUBMITTED and entry.supervisor_id == request.user.pk:
            return _already_decided(request, entry, EntryAlreadyDecided(entry.get_status_display()))
        refuse(request.user, "return", pk, f"not the supervisor; status {entry.status}")
        raise PermissionDenied
    form = ReturnForm(request.POST)
    if not form.is_valid():
        return _render_decision_errors(request, entry, SignOffForm(), form)
    try:
        entry_return(
            entry_id=entry.pk, supervisor=request.user, comment=form.cleaned_data["comment"]
        )
    except EntryAlreadyDecided as exc:
        return _already_decided(request, entry, exc)
    messages.success(request, f"Returned to {entry.trainee.display_name} with your comment.")
    return redirect("procedures:signoff_queue")


@require_POST
def signoff_bulk(request: HttpRequest) -> HttpResponse:
    """Sign off the selected entries, each with its own signature; the rest are skipped
    with a reason (not submitted to me, already decided, not an entry number)."""
    raw_ids = request.POST.getlist("entries")[:BULK_LIMIT]
    ids = [int(v) for v in raw_ids if v.isascii() and v.isdigit() and len(v) < 19]
    bad = len(raw_ids) - len(ids)
    form = SignOffForm(request.POST)
    if not ids:
        messages.error(request, "Select the entries to sign off.")
        return redirect("procedures:signoff_queue")
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("procedures:signoff_queue")
    result = entries_sign_off(
        entry_ids=ids,
        supervisor=request.user,
        autonomy=form.cleaned_data["autonomy"],
        comment=form.cleaned_data["comment"],
    )
    if result.signed:
        count = len(result.signed)
        messages.success(request, f"Signed off {count} entr{'y' if count == 1 else 'ies'}.")
    if result.skipped or bad:
        reasons = "; ".join(f"#{pk}: {why}" for pk, why in result.skipped.items())
        if bad:
            reasons = "; ".join(filter(None, [reasons, f"{bad} not an entry number"]))
        messages.warning(request, f"Skipped {len(result.skipped) + bad}: {reasons}.")
    return redirect("procedures:signoff_queue")
