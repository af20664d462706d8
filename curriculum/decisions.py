"""Entrustment decisions (issue 13, point 5): the one door through which a director's
decision is written. A decision is its own signed record (21 CFR Part 11 §11.50: the
signer's printed name, the time, and the meaning of the signature), apart from the
per-case ratings; the database refuses any change to it (migration 0014), so a decision
is corrected by a later one, which supersedes it on every page."""

from datetime import date

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone

from programs.models import Enrollment

from .models import Competency, EntrustmentDecision


def signer_name(user) -> str:
    return user.get_full_name().strip() or user.get_username()


def record_decision(
    *,
    director,
    enrollment: Enrollment,
    competency: Competency,
    level: int,
    decided_on: date,
    rationale: str,
    form_key: str = "",
) -> EntrustmentDecision:
    """Sign and store a director's decision for the enrollment's trainee. Only a director
    of the trainee's program decides, on someone else's current enrollment, and only on
    one of its active competencies; the form has checked the rest (the password among
    it). The same `form_key` (the form's one-time key) records one decision however
    often it is sent: the first is returned."""
    refused = decision_refused(director, enrollment)
    if refused:
        raise PermissionDenied(refused)
    if competency.program_id != enrollment.program_id or not competency.active:
        raise PermissionDenied("This competency is not one of the trainee's program.")
    if form_key:
        done = EntrustmentDecision.objects.filter(director=director, form_key=form_key).first()
        if done is not None:
            return done
    decision = EntrustmentDecision(
        trainee_id=enrollment.trainee_id,
        competency=competency,
        level=level,
        decided_on=decided_on,
        rationale=rationale,
        director=director,
        signer_name=signer_name(director),
        signed_at=timezone.now(),
        form_key=str(form_key),
    )
    decision.content_hash = decision.compute_hash()
    try:
        with transaction.atomic():
            decision.save(force_insert=True)
    except IntegrityError:
        # The same form sent twice at once: the other request recorded it.
        done = EntrustmentDecision.objects.filter(director=director, form_key=form_key).first()
        if done is None:
            raise
        return done
    return decision


def decision_refused(user, enrollment: Enrollment) -> str:
    """Why `user` may not record a decision on this enrollment ("" when they may): only a
    director of its program, never on themselves, and only while it is current."""
    if not enrollment.program.directors.filter(pk=user.pk).exists():
        return "Only the program's director records entrustment decisions."
    if enrollment.trainee_id == user.pk:
        return "No one records an entrustment decision on themselves."
    if not enrollment.active:
        return "This enrollment has ended: its decisions are kept, and no new one is recorded."
    return ""


def decisions_of(trainee_id: int) -> list[EntrustmentDecision]:
    """A trainee's decisions, newest first, each with its competency (its name and
    guidance). One query, written out: Progress shows them on every view, and the ORM
    took longer to build the joined query than the database to answer it, mostly with
    nothing to find (measured on the benchmark's Progress)."""
    table, competencies = EntrustmentDecision._meta.db_table, Competency._meta.db_table
    found = list(
        EntrustmentDecision.objects.raw(
            f"SELECT d.*, c.name AS competency_name, c.modality AS competency_modality"
            f" FROM {table} d JOIN {competencies} c ON c.id = d.competency_id"
            " WHERE d.trainee_id = %s ORDER BY d.decided_on DESC, d.signed_at DESC, d.id DESC",
            [trainee_id],
        )
    )
    for decision in found:
        decision.competency = Competency(
            id=decision.competency_id,
            name=decision.competency_name,
            modality=decision.competency_modality,
        )
    return found


def latest_by_competency(decisions: list[EntrustmentDecision]) -> dict[int, EntrustmentDecision]:
    """The decision in force for each competency: the newest (decisions come newest first)."""
    latest: dict[int, EntrustmentDecision] = {}
    for decision in decisions:
        latest.setdefault(decision.competency_id, decision)
    return latest


def latest_decisions(trainee_ids: list[int]) -> dict[int, dict[int, tuple[int, date]]]:
    """{trainee id: {competency id: (level, day)}} of the decisions in force. One query."""
    found: dict[int, dict[int, tuple[int, date]]] = {}
    if not trainee_ids:
        return found
    rows = (
        EntrustmentDecision.objects.filter(trainee_id__in=trainee_ids)
        .order_by("-decided_on", "-signed_at", "-id")
        .values_list("trainee_id", "competency_id", "level", "decided_on")
    )
    for trainee_id, competency_id, level, day in rows:
        found.setdefault(trainee_id, {}).setdefault(competency_id, (level, day))
    return found
