"""What the entry form remembers of a trainee's logging, per procedure.

A trainee logs the same few procedures again and again, each in its own way: a lumbar
transforaminal epidural under fluoroscopy with steroid, anaesthetic and contrast, a
shoulder injection under ultrasound. So the form offers the recent and most frequent
procedures first, and choosing one fills in what the trainee's last entry of it had:
guidance, approach, purpose, injectates, role and supervisor (never the side, the levels
or the doses, which are the patient's). Read from the trainee's latest entries only, so a
logbook of 10,000 entries costs what one of 200 does: two queries.
"""

from collections import Counter
from dataclasses import dataclass, field

from .models import Entry

LOOK_BACK = 200  # entries read: about a year of a busy trainee's logbook
RECENT = 3  # the most recent procedures offered first...
FREQUENT = 3  # ...then the most frequent of the rest
REMEMBERED = ("guidance", "approach", "purpose", "role", "supervisor_id")
# What the entry form's link lists show of an entry (procedures.forms.EntryForm.link_options).
LINK_FACTS = ("performed_on", "status", "side", "levels", "stress_structure__name")


@dataclass
class Memory:
    # Procedure ids to offer first: the most recent, then the most frequent of the rest.
    first: list[int] = field(default_factory=list)
    # Per procedure id (as a string, for the page's JSON): the last entry's choices.
    remembered: dict[str, dict] = field(default_factory=dict)
    # The supervisor of the trainee's latest entry (a new procedure's default).
    last_supervisor: int | None = None
    # The latest entries themselves, newest first (dicts of LINK_FACTS too): the entry
    # form draws its lists of blocks and examinations to rest on from them, no query more.
    rows: list[dict] = field(default_factory=list)


def procedure_memory(trainee) -> Memory:
    rows = list(
        Entry.objects.filter(trainee=trainee)
        .order_by("-performed_on", "-id")
        .values("id", "procedure_id", *REMEMBERED, *LINK_FACTS)[:LOOK_BACK]
    )
    if not rows:
        return Memory()
    latest: dict[int, dict] = {}
    for row in rows:  # newest first: the first row of a procedure is its last entry
        latest.setdefault(row["procedure_id"], row)
    recent = list(latest)[:RECENT]
    counts = Counter(row["procedure_id"] for row in rows)
    frequent = [pk for pk, _ in counts.most_common() if pk not in recent][:FREQUENT]
    through = Entry.injectates.through.objects.filter(
        entry_id__in=[row["id"] for row in latest.values()]
    ).values_list("entry_id", "injectate_id")
    injectates: dict[int, list[int]] = {}
    for entry_id, injectate_id in through:
        injectates.setdefault(entry_id, []).append(injectate_id)
    remembered = {
        str(pk): {
            "guidance": row["guidance"],
            "approach": row["approach"],
            "purpose": row["purpose"],
            "role": str(row["role"]),
            "supervisor": str(row["supervisor_id"] or ""),
            "injectates": [str(i) for i in sorted(injectates.get(row["id"], []))],
        }
        for pk, row in latest.items()
    }
    return Memory(
        first=recent + frequent,
        remembered=remembered,
        last_supervisor=rows[0]["supervisor_id"],
        rows=rows,
    )
