"""Supervisor views: the Sign-off queue, Sign off, Return to trainee, Sign off selected.

Each queue row carries its own Sign off and Return forms, so one entry is signed from the
queue in at most three taps (a rating, the password when it is due, Sign off). The same
views serve the entry page's forms; a refused form goes back to the page it came from
(the queue sends `from=queue`), with what was chosen and typed kept.
"""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_POST

from ..forms import ReturnForm, SignOffForm
from ..models import AUTONOMY_SHORT, MAX_COMMENT, Autonomy, Entry
from ..panels import queue_notes
from ..reauth import password_needed
from ..safety import flags_for as safety_flags_for
from ..series import ablation_flags
from ..services import (
    EntryAlreadyDecided,
    EntryChanged,
    RedFlagNotAcknowledged,
    entries_sign_off,
    entry_return,
    entry_sign_off,
    refuse,
    submission_token,
)
from ..stress import exam_flags
from .entries import render_entry_page

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
    return _render_queue(request, request.GET)


# The O-SCORE buttons of each queue row: (value, short words, the full anchor).
RATINGS = [(value, AUTONOMY_SHORT[value], label) for value, label in Autonomy.choices]


def _render_queue(request, params, form=None, selected=frozenset(), refused=None) -> HttpResponse:
    """The queue page, filtered and paged by `params` (the query string, or the hidden
    fields of a refused form, which is shown again with its errors and what was chosen:
    `form` a refused "Sign off selected" with the entries still ticked, `refused` a row's
    own Sign off or Return as (entry id, "sign_off" or "return", the bound form))."""
    trainees = _my_trainees(request.user)
    waiting = Entry.objects.awaiting(request.user).select_related("trainee", "procedure")
    chosen = params.get("trainee", "")
    chosen_trainee = next((t for t in trainees if str(t.pk) == chosen), None)
    if chosen_trainee is not None:
        waiting = waiting.filter(trainee=chosen_trainee)
    page = Paginator(waiting, QUEUE_PAGE_SIZE).get_page(params.get("page"))
    entries = list(page.object_list)
    refused_pk, refused_action, refused_form = refused or (None, None, None)
    flags = ablation_flags(entries)  # no query unless an ablation is on the page
    checks = safety_flags_for(entries)  # none unless a safety-bundle case is
    exams = exam_flags(entries)  # none unless a labrum or ligament injection is
    notes = queue_notes(entries)  # the trainee's entrustment level (the curriculum's)
    for entry in entries:  # what a signature will check it signs
        entry.flag = flags.get(entry.pk) or exams.get(entry.pk)
        entry.safety_flags = checks.get(entry.pk, [])
        entry.notes = notes.get(entry.pk, [])
        entry.submission = submission_token(entry)
        entry.selected = entry.pk in selected
        entry.refused = refused_action if entry.pk == refused_pk else None
        entry.refused_form = refused_form if entry.pk == refused_pk else None
    # The password field if signing the entries shown would need it now.
    shown = {entry.trainee_id for entry in entries}
    ask_password = bool(shown) and password_needed(request, shown)
    if form is None:
        form = SignOffForm(ask_password=ask_password)
    return render(
        request,
        "procedures/signoff_queue.html",
        {
            "page": "queue",
            "entries": entries,
            "page_obj": page,
            "trainees": trainees,
            "chosen_trainee": chosen_trainee,
            "form": form,
            "ask_password": ask_password,
            "ratings": RATINGS,
            "max_comment": MAX_COMMENT,
        },
    )


def _queue_url(params) -> str:
    """Back to the queue, filtered by the same trainee."""
    url = reverse("procedures:signoff_queue")
    trainee = params.get("trainee", "")
    return f"{url}?{urlencode({'trainee': trainee})}" if _number(trainee) else url


def _from_queue(request) -> bool:
    return request.POST.get("from") == "queue"


def _changed(request, entry) -> HttpResponse:
    messages.warning(
        request,
        "Nothing changed: the trainee resubmitted this entry after you opened it. "
        "Read it again, then decide.",
    )
    return redirect(entry)


def _already_decided(request, entry, exc) -> HttpResponse:
    messages.warning(
        request,
        f"Nothing changed: this entry was already {str(exc).lower()} by someone else "
        "(or in another tab).",
    )
    return redirect(entry)


def _decidable(request: HttpRequest, pk: int, action: str) -> tuple[Entry, HttpResponse | None]:
    """The entry if request.user may decide on it now. Otherwise 404 (not visible), a
    redirect with a warning (their own entry, already decided: a lost race or a stale
    tab), or 403 (visible but not theirs to decide), logged."""
    entry = Entry.objects.visible_to(request.user).with_related().filter(pk=pk).first()
    if entry is None:
        refuse(request.user, action, pk, "not visible")
        raise Http404("No such entry.")
    if entry.can_decide(request.user):
        return entry, None
    if entry.supervisor_id == request.user.pk and entry.status != Entry.Status.SUBMITTED:
        return entry, _already_decided(
            request, entry, EntryAlreadyDecided(entry.get_status_display())
        )
    refuse(request.user, action, pk, f"not the supervisor; status {entry.status}")
    raise PermissionDenied


@require_POST
def entry_sign_off_view(request: HttpRequest, pk: int) -> HttpResponse:
    entry, refused = _decidable(request, pk, "sign_off")
    if refused:
        return refused
    form = SignOffForm(
        request.POST,
        request=request,
        ask_password=password_needed(request, [entry.trainee_id]),
    )
    if not form.is_valid():
        if _from_queue(request):
            return _render_queue(request, request.POST, refused=(entry.pk, "sign_off", form))
        return render_entry_page(request, entry, sign_off_form=form)
    try:
        entry_sign_off(
            entry_id=entry.pk,
            supervisor=request.user,
            autonomy=form.cleaned_data["autonomy"],
            comment=form.cleaned_data["comment"],
            expected_submission=form.cleaned_data["submission"],
            acknowledged=form.cleaned_data["acknowledge"],
        )
    except RedFlagNotAcknowledged as exc:
        form.add_error(
            "acknowledge",
            f"Nothing was signed: this entry has a red flag ({str(exc).lower()}). Tick to "
            "acknowledge it; your signature then records that you did.",
        )
        if _from_queue(request):
            return _render_queue(request, request.POST, refused=(entry.pk, "sign_off", form))
        return render_entry_page(request, entry, sign_off_form=form)
    except EntryAlreadyDecided as exc:
        return _already_decided(request, entry, exc)
    except EntryChanged:
        return _changed(request, entry)
    messages.success(request, f"Signed off: {entry.procedure} for {entry.trainee.display_name}.")
    return redirect(_queue_url(request.POST))


@require_POST
def entry_return_view(request: HttpRequest, pk: int) -> HttpResponse:
    entry, refused = _decidable(request, pk, "return")
    if refused:
        return refused
    form = ReturnForm(request.POST)
    if not form.is_valid():
        if _from_queue(request):
            return _render_queue(request, request.POST, refused=(entry.pk, "return", form))
        return render_entry_page(request, entry, return_form=form)
    try:
        entry_return(
            entry_id=entry.pk, supervisor=request.user, comment=form.cleaned_data["comment"]
        )
    except EntryAlreadyDecided as exc:
        return _already_decided(request, entry, exc)
    messages.success(request, f"Returned to {entry.trainee.display_name} with your comment.")
    return redirect(_queue_url(request.POST))


def _number(text: str) -> int | None:
    return int(text) if text.isascii() and text.isdigit() and len(text) < 19 else None


def parse_selection(values: list[str]) -> dict[int, int | None]:
    """{entry id: submission token seen} from the queue's checkboxes ("id:token", or a
    bare id); values that are not entry numbers are left out."""
    selection = {}
    for value in values:
        pk_text, _, token_text = value.partition(":")
        pk = _number(pk_text)
        token = _number(token_text) if token_text else None
        if pk is None or (token_text and token is None):
            continue
        selection.setdefault(pk, token)
    return selection


@require_POST
def signoff_bulk(request: HttpRequest) -> HttpResponse:
    """Sign off the selected entries, each with its own signature; the rest are skipped
    with a reason (not submitted to me, already decided, not an entry number)."""
    raw_ids = request.POST.getlist("entries")[:BULK_LIMIT]
    ids = parse_selection(raw_ids)
    bad = len(raw_ids) - len(ids)
    if not ids:
        messages.error(request, "Select the entries to sign off.")
        return redirect("procedures:signoff_queue")
    # One password covers them all, by the strictest window of their programs.
    signable = Entry.objects.awaiting(request.user).filter(pk__in=ids).values("trainee")
    form = SignOffForm(
        request.POST, request=request, ask_password=password_needed(request, signable)
    )
    if not form.is_valid():
        return _render_queue(request, request.POST, form, selected=set(ids))
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
