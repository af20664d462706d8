"""Trainee logbook views: list, log, read, edit, submit, delete."""

import uuid
from dataclasses import dataclass

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import IntegrityError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.views.decorators.http import require_POST

from ..filters import LogbookFilter
from ..forms import EntryForm, ReturnForm, SignOffForm, procedure_rules
from ..history import entry_history
from ..memory import Memory, procedure_memory
from ..models import Entry, ProcedureType
from ..panels import entry_panels
from ..reauth import password_needed
from ..safety import safety_section
from ..series import ablation_section, block_section
from ..services import (
    EntryChanged,
    EntryLinked,
    entry_save,
    entry_submit,
    refuse,
    signature_meaning,
    submission_token,
)
from ..services import entry_delete as delete_entry
from ..signatures import record_failures, verify_earlier_signatures, verify_signature
from ..stress import ExamSection, exam_flags
from .access import get_entry, logbook_refusal
from .back import back_link

PAGE_SIZE = 25
# Fields copied by "Log another like this" (the date and the patient details are not).
LIKE_FIELDS = [
    "procedure",
    "guidance",
    "side",
    "levels",
    "approach",
    "purpose",
    "role",
    "supervisor",
    "volume_ml",
]


@dataclass(frozen=True)
class LogbookRow:
    """One Logbook line, formatted in Python: the page renders 25 of them and template
    filters and method calls per cell cost more than the rest of the page."""

    pk: int
    url: str
    date: str
    procedure: str
    site: str
    guidance: str
    role: str
    supervisor: str
    status: str
    status_label: str


def logbook_rows(entries) -> list[LogbookRow]:
    # One reverse() for the page, not one per row.
    url = reverse("procedures:entry_detail", args=[0])[:-2] + "{}/"
    return [
        LogbookRow(
            pk=e.pk,
            url=url.format(e.pk),
            date=date_format(e.performed_on, "j M Y"),
            procedure=e.procedure.name,
            site=e.site,
            guidance=e.get_guidance_display(),
            role=e.get_role_display(),
            supervisor=e.supervisor.display_name if e.supervisor else "—",
            status=e.status,
            status_label=e.get_status_display(),
        )
        for e in entries
    ]


def entry_list(request: HttpRequest) -> HttpResponse:
    """The Logbook: the signed-in trainee's own entries, newest first."""
    if (refusal := logbook_refusal(request, reading=True)) is not None:
        return refusal
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
            "entries": logbook_rows(page.object_list),
            "page_obj": page,
            "query": query.urlencode(),
        },
    )


def _initial_for_new_entry(request: HttpRequest, memory: Memory) -> dict:
    """Pre-fill the form with today's date and, from "log another like this" (?like=pk),
    that entry's procedure details; otherwise the trainee's last supervisor. (Choosing a
    procedure fills in the rest from the trainee's last entry of it: procedures.memory.)"""
    initial = {"performed_on": timezone.localdate()}
    like_pk = request.GET.get("like", "")
    if like_pk.isascii() and like_pk.isdigit() and len(like_pk) < 19:
        source = get_object_or_404(Entry.objects.filter(trainee=request.user), pk=like_pk)
        initial.update({name: getattr(source, name) for name in LIKE_FIELDS})
        initial["injectates"] = list(source.injectates.values_list("pk", flat=True))
        return initial
    if memory.last_supervisor is not None:
        initial["supervisor"] = memory.last_supervisor
    return initial


def _save_from_form(request: HttpRequest, form: EntryForm) -> Entry:
    entry = entry_save(form=form, trainee=request.user, submit=form.submitting)
    if entry.status == Entry.Status.SUBMITTED:
        messages.success(request, "Submitted for sign-off.")
    else:
        messages.success(request, "Saved as draft.")
    return entry


def _render_form(request, form, entry=None, memory: Memory | None = None) -> HttpResponse:
    if memory is None:
        memory = procedure_memory(request.user)
    form.for_page(memory)
    return render(
        request,
        "procedures/entry_form.html",
        {
            "page": "log" if entry is None else "logbook",
            "form": form,
            "entry": entry,
            "correcting": entry is not None and entry.status == Entry.Status.SIGNED_OFF,
            "procedure_rules": procedure_rules(form.procedure_types),
            # Filled in on choosing a procedure, on new entries only.
            "procedure_memory": memory.remembered if entry is None else {},
        },
    )


def _log_self_supervision(request: HttpRequest, pk=None) -> None:
    """The form refuses it on the field; a hand-made POST naming oneself is also logged."""
    if request.POST.get("supervisor") == str(request.user.pk):
        refuse(request.user, "self_supervise", pk, "named themselves as supervisor")


def _already_saved(request: HttpRequest, key) -> Entry | None:
    if key is None:
        return None
    return Entry.objects.filter(trainee=request.user, form_key=str(key)).first()


def entry_create(request: HttpRequest) -> HttpResponse:
    """Log a procedure: Save draft or Submit for sign-off. The form's one-time key makes
    a double tap or a resent POST land on the entry already saved."""
    if (refusal := logbook_refusal(request)) is not None:
        return refusal
    if request.method == "POST":
        submitting = request.POST.get("action") == "submit"
        form = EntryForm(request.POST, trainee=request.user, submitting=submitting)
        if form.is_valid():
            key = form.cleaned_data["form_key"]
            existing = _already_saved(request, key)
            if existing is None:
                try:
                    return redirect(_save_from_form(request, form))
                except IntegrityError:  # the other tap of a double tap saved it first
                    existing = _already_saved(request, key)
                    if existing is None:
                        raise
            messages.info(request, "This entry was already saved.")
            return redirect(existing)
        _log_self_supervision(request)
    else:
        memory = procedure_memory(request.user)
        initial = {**_initial_for_new_entry(request, memory), "form_key": uuid.uuid4()}
        form = EntryForm(trainee=request.user, initial=initial)
        return _render_form(request, form, memory=memory)
    return _render_form(request, form)


def render_entry_page(
    request: HttpRequest, entry: Entry, *, sign_off_form=None, return_form=None
) -> HttpResponse:
    """The entry page; for its supervisor with the decision forms (fresh, or the refused
    one with its errors and what was typed)."""
    is_owner = entry.trainee_id == request.user.pk
    can_decide = entry.can_decide(request.user)
    if can_decide:
        seen = {"submission": submission_token(entry)}
        sign_off_form = sign_off_form or SignOffForm(
            initial=seen, ask_password=password_needed(request, [entry.trainee_id])
        )
        return_form = return_form or ReturnForm(initial=seen)
    injectates = list(entry.injectates.all())
    safety = safety_section(entry, injectates)
    history = entry_history(entry)
    # Checked from what the page holds anyway: no query unless one fails. The current
    # revision against the entry as it is; earlier ones against their signed versions.
    signatures = history["signatures"]
    verification = verify_signature(
        entry, signatures=signatures, injectate_ids=[i.pk for i in injectates]
    )
    earlier = verify_earlier_signatures(entry, signatures, history.pop("signed_versions"))
    for signature in signatures:
        signature.verification = earlier.get(signature.pk)
        if signature == verification.signature:
            signature.verification = verification
    record_failures([verification, *earlier.values()])
    return render(
        request,
        "procedures/entry_detail.html",
        {
            "page": "logbook" if is_owner else "queue",
            "entry": entry,
            "injectates": injectates,
            "verification": verification,
            "is_owner": is_owner,
            "back": back_link(request, entry),
            "can_edit": entry.can_edit(request.user),
            "can_submit": entry.can_submit(request.user),
            "can_decide": can_decide,
            "sign_off_form": sign_off_form if can_decide else None,
            "return_form": return_form if can_decide else None,
            "panels": entry_panels(request, entry),
            "diagnostic": block_section(entry),
            "ablation": ablation_section(entry),
            "can_record_block": entry.can_record_block(request.user),
            "safety": safety,
            **stress_context(entry),
            "meaning": signature_meaning(entry, safety.flags if safety else []),
            **history,
        },
    )


def stress_context(entry: Entry) -> dict:
    """The entry page's stress examination, or what a labrum or ligament injection rests
    on; no query for any other entry."""
    if entry.procedure.kind == ProcedureType.Kind.STRESS_EXAM:
        return {"exam": ExamSection(entry)}
    if entry.procedure.needs_stress_exam:
        exam = None
        if entry.exam_id:
            exam = Entry.objects.select_related("stress_structure").get(pk=entry.exam_id)
        return {"justification": {"exam": exam, "flag": exam_flags([entry]).get(entry.pk)}}
    return {}


def entry_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """An entry with its signatures, its timeline and its versions."""
    return render_entry_page(request, get_entry(request, pk))


def entry_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Edit a Draft or Returned entry; correct a Signed-off one (always resubmitted)."""
    entry = get_entry(request, pk, may=Entry.can_edit)
    correcting = entry.status == Entry.Status.SIGNED_OFF
    if request.method == "POST":
        submitting = correcting or request.POST.get("action") == "submit"
        form = EntryForm(request.POST, instance=entry, trainee=request.user, submitting=submitting)
        if form.is_valid():
            try:
                entry = _save_from_form(request, form)
            except EntryChanged:
                return _changed_while_editing(request, form, pk)
            return redirect(entry)
        _log_self_supervision(request, pk)
    else:
        form = EntryForm(instance=entry, trainee=request.user)
    return _render_form(request, form, entry)


def _changed_while_editing(request: HttpRequest, form: EntryForm, pk: int) -> HttpResponse:
    """Nothing was saved: the entry moved on (decided, or submitted from another tab) after
    this form was opened. Show the form again with what was typed, and say what happened."""
    current = get_entry(request, pk)
    form.add_error(
        None,
        f"Nothing was saved: this entry changed while you were editing it (it is now "
        f"{current.get_status_display()}). What you typed is below; open the entry to see it.",
    )
    refuse(request.user, "edit", pk, f"stale form; status now {current.status}")
    return _render_form(request, form, current)


@require_POST
def entry_submit_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Submit a saved draft as it is; if it lacks what submission needs, open the form."""
    entry = get_entry(request, pk, may=Entry.can_submit)
    data = EntryForm(instance=entry, trainee=request.user).initial
    form = EntryForm(data, instance=entry, trainee=request.user, submitting=True)
    if not form.is_valid():
        messages.error(request, "This entry needs more before it can be submitted.")
        return _render_form(request, form, entry)
    try:
        entry_submit(entry=entry, by=request.user)
    except EntryChanged:
        messages.warning(request, "Nothing changed: this entry was already submitted.")
        return redirect(entry)
    messages.success(request, "Submitted for sign-off.")
    return redirect(entry)


def entry_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """GET asks for confirmation; POST deletes a draft or returned entry."""
    entry = get_entry(request, pk, may=Entry.can_delete)
    if request.method == "POST":
        try:
            delete_entry(entry=entry, by=request.user)
        except EntryChanged:
            messages.warning(request, "Nothing was deleted: this entry changed meanwhile.")
            return redirect(entry)
        except EntryLinked:
            messages.warning(
                request,
                "Nothing was deleted: another of your entries rests on this one (an ablation "
                "on this block, or an injection on this examination). Change that entry first.",
            )
            return redirect(entry)
        messages.success(request, "Entry deleted.")
        return redirect("procedures:entry_list")
    return render(
        request, "procedures/entry_confirm_delete.html", {"page": "logbook", "entry": entry}
    )
