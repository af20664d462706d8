"""Entry transitions: submit, sign off, return, correct. Each records an EntryEvent, and
refused attempts leave a line in the `precept.security` log.

Decisions are race-safe in the database: the entry row is locked (`select_for_update`,
a row lock on PostgreSQL; SQLite takes its write lock at BEGIN IMMEDIATE) and its status
re-read inside the transaction, and a unique constraint allows one signature per revision.
"""

import hashlib
import json
import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, models, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from programs.models import Enrollment

from . import safety, series, stress
from .mail import email_on_commit
from .models import BlockResponse, Entry, EntryEvent, Signature

security_log = logging.getLogger("precept.security")

# Fields whose values a signature covers (and whose change a history entry shows).
CONTENT_FIELDS = [
    "performed_on",
    "procedure_id",
    "guidance",
    "side",
    "levels",
    "purpose",
    "role",
    "supervisor_id",
    "fluoro_time_s",
    "dap",
    "dlp",
    "complication",
    "pain_relief_pct",
    "age_band",
    "sex",
    "notes",
]
# Fields added since signatures were first made: in the hash only when they hold a value,
# so that every signature made before them still verifies, and setting or clearing one
# later still breaks it.
LATER_CONTENT_FIELDS = [
    "approach",
    "volume_ml",
    "rests_on_id",
    "live_contrast",
    "dsa",
    "contrast_pattern",
    "repositioned",
    "images_retained",
    "stress_structure_id",
    "rest_mm",
    "stress_mm",
    "other_rest_mm",
    "other_stress_mm",
    "exam_id",
    "air_kerma",
    "carm_operator",
    "dsa_runs",
    "ctdi_vol",
    "ct_scans",
    "self_rating",
]


class EntryAlreadyDecided(Exception):
    """Someone else (or another tab) decided on this entry first."""


class RedFlagNotAcknowledged(Exception):
    """The entry carries a red safety flag (procedures.safety) and the supervisor did not
    acknowledge it: nothing is signed."""

    def __init__(self, flags):
        super().__init__("; ".join(f.label for f in flags))
        self.flags = flags


class EntryLinked(Exception):
    """Refused: another entry rests on this one (an ablation on a block, an injection on a
    stress examination); deleting it would leave that record pointing at nothing."""


class EntryChanged(Exception):
    """The entry changed after the page was opened: the trainee resubmitted it after the
    supervisor opened it (a signature must cover what the supervisor saw), or it was
    decided or submitted while the trainee edited it. Nothing is written."""


def submission_token(entry: Entry) -> int | None:
    """Identifies one submission: while an entry is Submitted its trainee cannot change
    it, and every resubmission (after a return or a correction) sets a new time."""
    return round(entry.submitted_at.timestamp() * 1_000_000) if entry.submitted_at else None


def refuse(user, action: str, entry_id, reason: str) -> None:
    """Record a refused attempt in the security log (who, what, which entry, why)."""
    security_log.warning(
        "refused action=%s entry=%s user=%s reason=%s",
        action,
        entry_id,
        getattr(user, "pk", None),
        reason,
    )


def _canonical(entry: Entry, name: str) -> str:
    value = getattr(entry, name)
    field = Entry._meta.get_field(name.removesuffix("_id"))
    if value is not None and isinstance(field, models.DecimalField):
        return f"{value:.{field.decimal_places}f}"
    return str(value)


def content_hash(entry: Entry, injectate_ids=None) -> str:
    """SHA-256 of the entry's content and injectates, as a supervisor signs it.

    `injectate_ids`, when the caller already holds them, saves the query for them.
    Decimals are written with their field's places, as the database returns them, so an
    entry built in memory hashes like the same entry read back."""
    data = {name: _canonical(entry, name) for name in CONTENT_FIELDS}
    for name in LATER_CONTENT_FIELDS:
        if getattr(entry, name) not in (None, ""):
            data[name] = _canonical(entry, name)
    if injectate_ids is None:
        injectate_ids = entry.injectates.values_list("pk", flat=True)
    data["injectates"] = sorted(injectate_ids)
    data["trainee_id"] = entry.trainee_id
    data["revision"] = entry.revision
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


def build_event(
    entry: Entry, actor, action, from_status: str, *, to_status=None, at=None, comment: str = ""
) -> EntryEvent:
    """An unsaved EntryEvent for a transition of `entry` (to its current status unless
    `to_status` says otherwise); demo and benchmark data bulk-create these."""
    return EntryEvent(
        entry=entry,
        entry_number=entry.pk,
        trainee_id=entry.trainee_id,
        procedure_id=entry.procedure_id,
        performed_on=entry.performed_on,
        actor=actor,
        action=action,
        from_status=from_status,
        to_status=entry.status if to_status is None else to_status,
        revision=entry.revision,
        comment=comment,
        at=at or timezone.now(),
    )


def _record(entry: Entry, actor, action, from_status: str, comment: str = "") -> EntryEvent:
    """Record a transition. (Stored progress needs no telling: the database bumps the
    trainee's record version on every write of an entry.)"""
    event = build_event(entry, actor, action, from_status, comment=comment)
    event.save()
    return event


def _link(entry: Entry) -> str:
    return settings.PRECEPT_BASE_URL + reverse("procedures:entry_detail", args=[entry.pk])


def _notify_supervisor(entry: Entry) -> None:
    """E-mail the supervisor about a submission, unless they chose the daily digest
    (send_daily_digests lists it with the others the next morning)."""
    supervisor = entry.supervisor
    if supervisor is not None and supervisor.supervisor_mail == User.SupervisorMail.DAILY:
        return
    email_on_commit(
        f"Precept: {entry.trainee.display_name} submitted an entry for your sign-off",
        f"{entry.trainee.display_name} submitted {entry.procedure} "
        f"({entry.performed_on:%d %b %Y}) for your sign-off.\n\n{_link(entry)}\n",
        supervisor.email if supervisor else "",
    )


def _lock_unchanged(entry: Entry) -> None:
    """Lock the entry's row and check it is still as `entry` was read; else EntryChanged.

    The page was opened, and its form checked, outside this transaction: if the entry
    moved on since (signed off, or submitted from another tab), writing would overwrite
    what someone else decided."""
    now = Entry.objects.select_for_update().filter(pk=entry.pk).values_list("status", "revision")
    if now.first() != entry.loaded_state:
        raise EntryChanged


@transaction.atomic
def entry_save(*, form, trainee, submit: bool) -> Entry:
    """Save a valid EntryForm for `trainee`: a new entry, an edit of a Draft or Returned
    one, or a correction of a Signed-off one.

    With `submit`, the entry goes to its supervisor (the form was validated with
    `submitting=True`). Raises EntryChanged, writing nothing, if the stored entry is no
    longer in the status and revision the form was opened on. A correction is always submitted and starts a new revision, so
    the signature of the old revision stays true to what was signed.
    """
    entry = form.save(commit=False)
    if entry.pk is not None:
        _lock_unchanged(entry)
    previous = entry.status if entry.pk else None
    if previous is None:
        entry.trainee = trainee
        if form.cleaned_data.get("form_key"):
            entry.form_key = str(form.cleaned_data["form_key"])
    correcting = previous == Entry.Status.SIGNED_OFF
    if correcting:
        entry.revision += 1
    if submit or correcting:
        entry.status = Entry.Status.SUBMITTED
        entry.submitted_at = timezone.now()
        entry.autonomy = None
    entry.save()
    form.save_m2m()
    if previous is None:
        _record(entry, trainee, EntryEvent.Action.CREATED, "")
    if correcting:
        _record(entry, trainee, EntryEvent.Action.CORRECTED, previous)
    elif submit:
        _record(entry, trainee, EntryEvent.Action.SUBMITTED, previous or Entry.Status.DRAFT)
    if entry.status == Entry.Status.SUBMITTED:
        _notify_supervisor(entry)
    return entry


@transaction.atomic
def entry_submit(*, entry: Entry, by) -> Entry:
    """Send a saved Draft or Returned entry, as it is, to its supervisor.

    The caller has checked that `by` is the trainee, the entry is Draft or Returned, and
    that it passes the form's rules with `submitting=True`.
    """
    _lock_unchanged(entry)
    previous = entry.status
    entry.status = Entry.Status.SUBMITTED
    entry.submitted_at = timezone.now()
    entry.save(update_fields=["status", "submitted_at", "updated_at"])
    _record(entry, by, EntryEvent.Action.SUBMITTED, previous)
    _notify_supervisor(entry)
    return entry


DELETABLE = (Entry.Status.DRAFT, Entry.Status.RETURNED)


@transaction.atomic
def entry_delete(*, entry: Entry, by) -> None:
    """Delete a Draft or Returned entry that was never signed off (revision 1).

    The caller has checked who `by` is (the trainee, or staff in the admin). A Deleted
    event is recorded, and the entry's events stay, with their entry set to null: who
    created, submitted or returned it, with the supervisor's comment, is still known.
    Raises EntryChanged, deleting nothing, if the entry moved on since it was read
    (submitted from another tab) or is not deletable."""
    _lock_unchanged(entry)
    if entry.status not in DELETABLE or entry.revision != 1:
        raise EntryChanged
    if Entry.objects.filter(models.Q(rests_on=entry) | models.Q(exam=entry)).exists():
        raise EntryLinked
    build_event(entry, by, EntryEvent.Action.DELETED, entry.status, to_status="").save()
    entry.delete()


def _lock_for_decision(entry_id: int, supervisor, expected_submission: int | None = None) -> Entry:
    """Lock and return the entry if it is Submitted to `supervisor`, who supervises its
    trainee; otherwise raise EntryAlreadyDecided (it moved on) or PermissionDenied."""
    entry = Entry.objects.select_for_update().filter(pk=entry_id).first()
    if entry is None:
        raise PermissionDenied("no such entry")
    supervises = Enrollment.objects.filter(
        trainee_id=entry.trainee_id, supervisors=supervisor, active=True
    ).exists()
    # A draft is the trainee's alone: refused like someone else's entry, never "already
    # decided", so a bulk request cannot probe for drafts.
    if entry.supervisor_id != supervisor.pk or not supervises or entry.status == Entry.Status.DRAFT:
        raise PermissionDenied("not submitted to this supervisor")
    if entry.status != Entry.Status.SUBMITTED:
        raise EntryAlreadyDecided(entry.get_status_display())
    if expected_submission is not None and expected_submission != submission_token(entry):
        raise EntryChanged
    return entry


def signature_meaning(entry: Entry, flags=None, teaching: str = "") -> str:
    """What a signature on `entry` means: the procedure as logged; for a safety-bundle
    case the safety checks as recorded, with any red flag the supervisor acknowledged
    (procedures.safety); for an ablation or an injection that rests on evidence, the
    teaching flag it carried when signed (`teaching`: procedures.series, .stress), so
    that a later change of the evidence does not rewrite what was signed. `flags`: the
    entry's safety flags, when the caller has them."""
    if teaching:
        return f"{Signature.MEANING}; teaching flag when signed: {teaching.lower()}"
    if not entry.procedure.safety_bundle:
        return Signature.MEANING
    if flags is None:
        flags = safety.flags_for([entry]).get(entry.pk, [])
    meaning = Signature.MEANING
    if safety.bundle_applies(entry):
        meaning += ", with the safety checks as recorded"
    red = [f.label.lower() for f in flags if f.red]
    if red:
        meaning += f"; red flag acknowledged: {'; '.join(red)}"
    return meaning


def entry_sign_off(
    *,
    entry_id: int,
    supervisor,
    autonomy: int,
    comment: str = "",
    expected_submission: int | None = None,
    acknowledged: bool = False,
) -> Signature:
    """Sign off one submitted entry: its own signature record and an event.

    Raises PermissionDenied (and logs it) if the entry is not submitted to `supervisor`,
    EntryAlreadyDecided if another request decided first, EntryChanged if it is no longer
    the submission the supervisor saw (`expected_submission`), RedFlagNotAcknowledged if
    it carries a red safety flag and `acknowledged` is not set. Nothing is written then.
    """
    try:
        with transaction.atomic():
            entry = _lock_for_decision(entry_id, supervisor, expected_submission)
            flags = safety.flags_for([entry]).get(entry.pk, [])
            red = [f for f in flags if f.red]
            if red and not acknowledged:
                raise RedFlagNotAcknowledged(red)
            teaching = series.ablation_flags([entry]).get(entry.pk) or stress.exam_flags(
                [entry]
            ).get(entry.pk)
            teaching = teaching.label if teaching else ""
            signature = Signature.objects.create(
                entry=entry,
                revision=entry.revision,
                supervisor=supervisor,
                signer_name=supervisor.display_name,
                signed_at=timezone.now(),
                autonomy=autonomy,
                comment=comment,
                meaning=signature_meaning(entry, flags, teaching),
                content_hash=content_hash(entry),
            )
            entry.status = Entry.Status.SIGNED_OFF
            entry.autonomy = autonomy
            entry._change_reason = "Signed off"
            entry.save(update_fields=["status", "autonomy", "updated_at"])
            _record(
                entry, supervisor, EntryEvent.Action.SIGNED_OFF, Entry.Status.SUBMITTED, comment
            )
    except PermissionDenied as exc:
        refuse(supervisor, "sign_off", entry_id, str(exc))
        raise
    except IntegrityError as exc:  # the unique signature per revision: a race lost
        raise EntryAlreadyDecided("Signed off") from exc
    return signature


def entry_return(
    *, entry_id: int, supervisor, comment: str, expected_submission: int | None = None
) -> Entry:
    """Return a submitted entry to its trainee with the supervisor's comment."""
    try:
        with transaction.atomic():
            entry = _lock_for_decision(entry_id, supervisor, expected_submission)
            entry.status = Entry.Status.RETURNED
            entry._change_reason = "Returned"
            entry.save(update_fields=["status", "updated_at"])
            _record(entry, supervisor, EntryEvent.Action.RETURNED, Entry.Status.SUBMITTED, comment)
            trainee = entry.trainee
            email_on_commit(
                "Precept: an entry was returned to you",
                f"{supervisor.display_name} returned your {entry.procedure} "
                f"({entry.performed_on:%d %b %Y}):\n\n{comment}\n\n{_link(entry)}\n",
                trainee.email,
            )
    except PermissionDenied as exc:
        refuse(supervisor, "return", entry_id, str(exc))
        raise
    return entry


@dataclass
class BulkResult:
    signed: list[int] = field(default_factory=list)
    skipped: dict[int, str] = field(default_factory=dict)


def entries_sign_off(
    *, entry_ids: dict[int, int | None], supervisor, autonomy: int, comment: str = ""
) -> BulkResult:
    """Sign off many entries ({entry id: submission token seen, or None}), each with its own
    signature, each in its own transaction.

    Entries that are not submitted to `supervisor`, already decided, or changed since the
    queue was opened are skipped with a reason, never signed; an error on one leaves no
    half-written signature.
    """
    result = BulkResult()
    for entry_id, token in entry_ids.items():
        try:
            entry_sign_off(
                entry_id=entry_id,
                supervisor=supervisor,
                autonomy=autonomy,
                comment=comment,
                expected_submission=token,
            )
        except PermissionDenied:
            result.skipped[entry_id] = "not submitted to you"
        except EntryAlreadyDecided as exc:
            result.skipped[entry_id] = f"already {str(exc).lower()}"
        except EntryChanged:
            result.skipped[entry_id] = "changed by the trainee since you opened the queue"
        except RedFlagNotAcknowledged as exc:
            result.skipped[entry_id] = (
                f"a red flag ({str(exc).lower()}): sign it off on its own, acknowledging it"
            )
        else:
            result.signed.append(entry_id)
    return result


@transaction.atomic
def record_block_response(*, form, entry: Entry, by) -> BlockResponse:
    """Save a valid BlockResponseForm for a diagnostic block of `by`'s own: the score
    before, the diary, the agent, the series link. Any status, signed-off included: the
    diary comes in after the procedure, and a signature does not cover it (its history
    records who changed what, and when). The entry's row is locked so that two devices
    recording at once make one response, not a clash."""
    if by.pk != entry.trainee_id or not entry.is_diagnostic_block:
        refuse(by, "block_response", entry.pk, "not the trainee's diagnostic block")
        raise PermissionDenied
    Entry.objects.select_for_update().filter(pk=entry.pk).values_list("pk").first()
    response = form.save(commit=False)
    response.entry = entry
    response.updated_by = by
    existing = BlockResponse.objects.filter(entry=entry).values_list("pk", flat=True).first()
    if response.pk is None and existing is not None:
        response.pk = existing  # another device recorded the first response meanwhile
        response._state.adding = False
    response.save()
    return response
