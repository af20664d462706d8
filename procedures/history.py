"""An entry's history for its page: the timeline of transitions, the signatures, and
every saved version with what changed (django-simple-history keeps the versions).

Four queries whatever the number of versions: events, signatures, versions (with their
users, procedures and supervisors joined), and the versions' injectates.
"""

from dataclasses import dataclass

from .models import Entry, EntryEvent, Signature

# Fields a person reads as "what changed", in form order, with their labels.
SHOWN_FIELDS = [
    ("performed_on", "Date performed"),
    ("procedure", "Procedure"),
    ("guidance", "Guidance"),
    ("side", "Side"),
    ("levels", "Levels"),
    ("approach", "Approach"),
    ("purpose", "Purpose"),
    ("role", "Role"),
    ("supervisor", "Supervisor"),
    ("fluoro_time_s", "Fluoroscopy time (s)"),
    ("dap", "Dose-area product (mGy·cm²)"),
    ("dlp", "Dose-length product (mGy·cm)"),
    ("air_kerma", "Reference air kerma (mGy)"),
    ("carm_operator", "C-arm operated by"),
    ("dsa_runs", "Digital subtraction runs"),
    ("ctdi_vol", "CTDIvol (mGy)"),
    ("ct_scans", "CT scans"),
    ("self_rating", "Own rating (O-SCORE)"),
    ("volume_ml", "Injectate volume (ml)"),
    ("live_contrast", "Contrast under live fluoroscopy"),
    ("dsa", "Digital subtraction used"),
    ("contrast_pattern", "Contrast pattern"),
    ("repositioned", "Needle repositioned after vascular uptake"),
    ("images_retained", "Images retained"),
    ("rests_on_id", "Rests on diagnostic block (entry number)"),
    ("stress_structure_id", "Structure examined (number)"),
    ("rest_mm", "Side examined, at rest (mm)"),
    ("stress_mm", "Side examined, under stress (mm)"),
    ("other_rest_mm", "Other side, at rest (mm)"),
    ("other_stress_mm", "Other side, under stress (mm)"),
    ("exam_id", "Justified by stress examination (entry number)"),
    ("complication", "Complications"),
    ("pain_relief_pct", "Pain relief (%)"),
    ("age_band", "Age band"),
    ("sex", "Sex"),
    ("notes", "Notes"),
    ("status", "Status"),
]


@dataclass
class Change:
    label: str
    old: str
    new: str


@dataclass
class Version:
    number: int
    at: object
    by: object
    revision: int
    status: str
    changes: list[Change]


def _shown(version, name: str) -> str:
    display = getattr(version, f"get_{name}_display", None)
    value = display() if display else getattr(version, name)
    if isinstance(value, bool):
        return "Yes" if value else "No"
    return "—" if value in (None, "") else str(value)


def _injectates(version) -> str:
    names = sorted(str(link.injectate) for link in version.historicalentry_injectates_set.all())
    return ", ".join(names) or "—"


def entry_history(entry: Entry) -> dict:
    """Context for the entry page: `events`, `signatures`, `versions` (newest first) and
    `signed_versions` ({revision: its last version saved as signed off}, what an earlier
    revision's signature is checked against)."""
    versions_qs = (
        entry.history.order_by("history_date", "history_id")
        .select_related("history_user", "procedure", "supervisor")
        .prefetch_related("historicalentry_injectates_set__injectate")
    )
    versions = []
    signed_versions = {}
    previous = None
    for number, version in enumerate(versions_qs, start=1):
        if version.status == Entry.Status.SIGNED_OFF:
            signed_versions[version.revision] = version  # the last one saved as signed
        changes = []
        if previous is not None:
            for name, label in SHOWN_FIELDS:
                old, new = _shown(previous, name), _shown(version, name)
                if old != new:
                    changes.append(Change(label, old, new))
            old, new = _injectates(previous), _injectates(version)
            if old != new:
                changes.append(Change("Injectates", old, new))
        if previous is None or changes:
            versions.append(
                Version(
                    number=number,
                    at=version.history_date,
                    by=version.history_user,
                    revision=version.revision,
                    status=version.get_status_display(),
                    changes=changes,
                )
            )
        previous = version
    return {
        "events": list(EntryEvent.objects.filter(entry=entry).select_related("actor")),
        "signatures": list(Signature.objects.filter(entry=entry).select_related("supervisor")),
        "versions": versions[::-1],
        "signed_versions": signed_versions,
    }
