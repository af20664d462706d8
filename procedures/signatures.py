"""Signatures are verifiable: a signature is checked against the content it signed every
time it is shown (the entry page, the portfolio), and every night by
`manage.py verify_signatures` (DESIGN §13, "the record has one door").

A signed-off entry whose content no longer hashes to its signature's `content_hash` was
changed after signing behind the services and the database's guards (raw SQL with the
triggers off, a restored backup edited by hand). Each such finding is kept as an open
`SignatureCheck`, which the program's director sees on Cohort, and logged to
`precept.security`.

Checks read what the page already holds (the entry's prefetched injectates and
signatures), so a list of entries is checked without a query per entry.
"""

import hmac
import logging
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Prefetch, QuerySet
from django.utils import timezone

from .models import Entry, Injectate, Signature, SignatureCheck, SignatureSweep
from .services import content_hash

security_log = logging.getLogger("precept.security")

SWEEP_BATCH = 500  # signed-off entries read at a time by the sweep
ALERT_LIMIT = 50  # open findings listed on Cohort


@dataclass(frozen=True)
class Verification:
    """The check of one entry's current signature.

    `applies` when the entry is signed off: then its current revision must carry a
    signature whose hash matches the entry's content now. `signature` is that signature,
    or None if there is none (which is itself a failure); `content_hash` the hash of the
    content now ("" when there was no signature to compare it with).
    """

    entry: Entry
    signature: Signature | None
    applies: bool
    matches: bool
    content_hash: str = ""
    # The revision checked: the entry's current one, or an earlier one's saved version.
    revision: int | None = None

    @property
    def verified(self) -> bool:
        return self.applies and self.matches

    @property
    def failed(self) -> bool:
        return self.applies and not self.matches


def _prefetched(entry: Entry, name: str):
    return getattr(entry, "_prefetched_objects_cache", {}).get(name)


def verify_signature(
    entry: Entry, *, signatures: Iterable[Signature] | None = None, injectate_ids=None
) -> Verification:
    """Recompute the hash of `entry`'s current content (its injectates included) and
    compare it with the signature on its current revision.

    `signatures` (the entry's, any revisions) and `injectate_ids`, when the caller holds
    them, save their queries; otherwise the entry's prefetched `signatures` and
    `injectates` are used if there are any, else one query each.
    """
    if entry.status != Entry.Status.SIGNED_OFF:
        return Verification(entry, None, applies=False, matches=False)
    if signatures is None:
        signatures = _prefetched(entry, "signatures")
    if signatures is None:
        signatures = Signature.objects.filter(entry=entry, revision=entry.revision)
    signature = next((s for s in signatures if s.revision == entry.revision), None)
    if signature is None:
        return Verification(entry, None, applies=True, matches=False)
    if injectate_ids is None and (injectates := _prefetched(entry, "injectates")) is not None:
        injectate_ids = [injectate.pk for injectate in injectates]
    found = content_hash(entry, injectate_ids)
    matches = hmac.compare_digest(signature.content_hash, found)
    return Verification(entry, signature, applies=True, matches=matches, content_hash=found)


def verify_earlier_signatures(
    entry: Entry, signatures: Iterable[Signature], signed_versions: dict
) -> dict[int, Verification]:
    """{signature pk: its check} for the signatures of the entry's earlier revisions, each
    against the version of the entry saved when that revision was signed off
    (`signed_versions`, from procedures.history: {revision: historical version}, with the
    versions' injectate links prefetched). A signature with no saved version to compare
    (data loaded in bulk) is left out: there is nothing to check it against.
    """
    checks = {}
    for signature in signatures:
        version = signed_versions.get(signature.revision)
        if signature.revision == entry.revision or version is None:
            continue
        ids = [link.injectate_id for link in version.historicalentry_injectates_set.all()]
        found = content_hash(version, ids)
        checks[signature.pk] = Verification(
            entry,
            signature,
            applies=True,
            matches=hmac.compare_digest(signature.content_hash, found),
            content_hash=found,
            revision=signature.revision,
        )
    return checks


def _key(v: Verification) -> tuple:
    return (v.entry.pk, v.revision or v.entry.revision, v.content_hash)


def record_failures(verifications: Iterable[Verification]) -> int:
    """Keep each failed verification as a SignatureCheck, once per content found however
    often it is found (a finding someone resolved stays resolved until the content changes
    again), and log the new ones. Returns how many were new.

    No query when nothing failed; two otherwise.
    """
    failed = [v for v in verifications if v.failed]
    if not failed:
        return 0
    known = set(
        SignatureCheck.objects.filter(entry_id__in={v.entry.pk for v in failed}).values_list(
            "entry_id", "revision", "content_hash"
        )
    )
    now = timezone.now()
    new = [
        SignatureCheck(entry_id=key[0], revision=key[1], content_hash=key[2], found_at=now)
        for key in {_key(v) for v in failed}
        if key not in known
    ]
    # Two checks at once (two page views, a page view and the sweep) make one finding.
    SignatureCheck.objects.bulk_create(new, ignore_conflicts=True)
    for check in new:
        security_log.error(
            "signature mismatch entry=%s revision=%s: changed after signing",
            check.entry_id,
            check.revision,
        )
    return len(new)


def _signed_off_batches(batch_size: int):
    """Signed-off entries in primary-key order, `batch_size` at a time, each batch with its
    injectates' ids and its signatures: memory stays bounded whatever the table's size."""
    last_pk = 0
    injectate_ids = Prefetch("injectates", queryset=Injectate.objects.only("pk"))
    while True:
        batch = list(
            Entry.objects.filter(status=Entry.Status.SIGNED_OFF, pk__gt=last_pk)
            .order_by("pk")
            .prefetch_related(injectate_ids, "signatures")[:batch_size]
        )
        if not batch:
            return
        yield batch
        last_pk = batch[-1].pk


def sweep_signatures(*, batch_size: int = SWEEP_BATCH) -> SignatureSweep:
    """Verify every signed-off entry; record the failures, resolve the open findings that
    match again, and record the sweep. Three queries per batch, plus writes."""
    started = timezone.now()
    checked = failed = 0
    for batch in _signed_off_batches(batch_size):
        verifications = [verify_signature(entry) for entry in batch]
        checked += len(verifications)
        failed += sum(v.failed for v in verifications)
        record_failures(verifications)
        verified = {(v.entry.pk, v.entry.revision) for v in verifications if v.verified}
        matching_again = [
            check.pk
            for check in SignatureCheck.objects.filter(
                resolved=False, entry_id__in={pk for pk, _ in verified}
            ).only("pk", "entry_id", "revision")
            if (check.entry_id, check.revision) in verified
        ]
        if matching_again:
            SignatureCheck.objects.filter(pk__in=matching_again).update(
                resolved=True, resolved_at=timezone.now()
            )
    return SignatureSweep.objects.create(
        started_at=started, finished_at=timezone.now(), checked=checked, failed=failed
    )


@dataclass(frozen=True)
class SignatureAlerts:
    """What Cohort shows: the oldest open findings, how many there are, the last sweep."""

    failures: list[SignatureCheck]
    total: int
    last_sweep: SignatureSweep | None


def signature_alerts(trainees: QuerySet, *, limit: int = ALERT_LIMIT) -> SignatureAlerts:
    """Open findings on the entries of `trainees` (a queryset of user ids), oldest first.

    Two queries when none is open, as on most days; three when some are (four when more
    than `limit` are)."""
    # Driven from the few open findings, each tested against its entry by primary key: a
    # join filtered on the entry's trainee lets SQLite start from the trainees' entries
    # instead (155 ms at 180,000 entries, measured; now well under a millisecond).
    in_scope = Entry.objects.filter(pk=OuterRef("entry_id"), trainee__in=trainees)
    open_checks = SignatureCheck.objects.filter(Exists(in_scope), resolved=False)
    # Ids first: the query that loads the findings with their entries costs more to build
    # than to run, and is not needed when there is none.
    ids = list(open_checks.order_by("found_at", "id").values_list("pk", flat=True)[:limit])
    failures = []
    if ids:
        failures = list(
            SignatureCheck.objects.filter(pk__in=ids)
            .select_related("entry__procedure", "entry__trainee")
            .order_by("found_at", "id")
        )
    total = len(ids) if len(ids) < limit else open_checks.count()
    return SignatureAlerts(
        failures=failures,
        total=total,
        last_sweep=SignatureSweep.objects.order_by("-finished_at", "-id").first(),
    )
