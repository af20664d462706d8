"""Radiation per case and per trainee, against the program (issue 12).

What Precept computes from the doses logged with each entry (fluoroscopy time, dose-area
product, reference air kerma under fluoroscopy; dose-length product and CTDIvol under CT):

- **Medians per procedure type and level band**, the trainee's against the program's (all
  its trainees' signed-off cases). Fluoroscopy time and dose fall with experience: in
  Joswig et al. (J Neurol Surg A Cent Eur Neurosurg 2017;78:460–466) residents' lumbar
  transforaminal epidurals reached the faculty's procedure time and dose-area product after
  67 and 68 cases. They also depend on the case: the band is one level or several, for the
  procedure types logged at vertebral levels (each level is another target to image).
  A trainee's median above `FLAG_RATIO` × the program's, over at least `FLAG_MIN_CASES` of
  their own cases (and as many of the program's), is flagged: a teaching point about
  technique (collimation, pulsed and last-image-hold fluoroscopy, who drives the C-arm),
  never a judgement on a single case.
- **The learning curve**: a rolling median of the trainee's fluoroscopy time over their own
  case number for one procedure type (`ROLLING_WINDOW` cases).
- **CT-guided work's estimated patient effective dose**: E ≈ k × DLP, with k per body
  region from AAPM Report No. 96 (2008), table 4 (adult, after the European Guidelines on
  Quality Criteria for CT, EUR 16262): neck 0.0059, chest 0.014, abdomen and pelvis 0.015
  mSv per mGy·cm. An estimate for a standard adult, shown as one with its source; regions
  without a published coefficient (the limbs) get none.

Pure functions here; the queries that feed them are in this module's second half.
"""

import statistics
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_UP, Decimal

from django.db import connection

from programs.models import Enrollment
from programs.sql import db_date, placeholders

from .models import Entry, Modality, ProcedureType

FLAG_RATIO = 2
FLAG_MIN_CASES = 5
ROLLING_WINDOW = 10

SINGLE_LEVEL, MULTI_LEVEL = 1, 2
BAND_WORDS = {SINGLE_LEVEL: "one level", MULTI_LEVEL: "two or more levels"}

# Effective dose per dose-length product (mSv per mGy·cm), adult, by the procedure type's
# region: AAPM Report No. 96 (2008), table 4.
K_SOURCE = "AAPM Report No. 96 (2008), table 4: adult coefficients k, mSv per mGy·cm"
Region = ProcedureType.Region
K_FACTORS = {
    Region.CERVICAL: Decimal("0.0059"),  # neck
    Region.THORACIC: Decimal("0.014"),  # chest
    Region.LUMBAR: Decimal("0.015"),  # abdomen and pelvis
    Region.SACRAL: Decimal("0.015"),  # abdomen and pelvis
    Region.HIP: Decimal("0.015"),  # pelvis
}
K_WORDS = {
    Region.CERVICAL: "neck",
    Region.THORACIC: "chest",
    Region.LUMBAR: "abdomen and pelvis",
    Region.SACRAL: "abdomen and pelvis",
    Region.HIP: "abdomen and pelvis",
}


def effective_dose(dlp, region: str) -> Decimal | None:
    """Estimated patient effective dose (mSv) of a CT-guided case: k × DLP, or None where
    the region has no published coefficient or the DLP was not recorded."""
    k = K_FACTORS.get(region)
    if k is None or dlp is None:
        return None
    return (Decimal(dlp) * k).quantize(Decimal("0.01"))


def band_of(levels: str) -> int:
    """One level or several, from the normalised levels ("L4–L5, L5–S1": a comma each)."""
    return MULTI_LEVEL if "," in (levels or "") else SINGLE_LEVEL


def median(values) -> Decimal | None:
    """The median (the mean of the middle two of an even count), or None of nothing."""
    values = sorted(values)
    if not values:
        return None
    return Decimal(statistics.median(values))


def rolling_median(values: list, window: int = ROLLING_WINDOW) -> list:
    """For each case in order, the median of it and the `window` - 1 cases before it;
    None until there are `window` cases (a curve of two cases says nothing)."""
    return [
        median(values[i + 1 - window : i + 1]) if i + 1 >= window else None
        for i in range(len(values))
    ]


def comparable(cases: int, program_cases: int, program_value) -> bool:
    """Whether a trainee's median may be held to the program's: at least FLAG_MIN_CASES
    cases of each, and a program median above 0."""
    return cases >= FLAG_MIN_CASES and program_cases >= FLAG_MIN_CASES and bool(program_value)


def over_twice(cases: int, value, program_cases: int, program_value) -> bool:
    """The flag: a trainee's median over FLAG_RATIO × the program's, on comparable cases.
    Decimals or floats alike (doubling is exact in binary: the same answer)."""
    return (
        value is not None
        and comparable(cases, program_cases, program_value)
        and value > FLAG_RATIO * program_value
    )


@dataclass(frozen=True)
class Comparison:
    """A trainee's median of one measure for one procedure type and band, against the
    program's."""

    cases: int
    value: Decimal | None
    program_cases: int
    program_value: Decimal | None

    @property
    def ratio(self) -> Decimal | None:
        if self.value is None or not self.program_value:
            return None
        # Rounded up: any ratio over FLAG_RATIO, so flagged, reads over it (2.05 → 2.1×).
        ratio = Decimal(self.value) / Decimal(self.program_value)
        return ratio.quantize(Decimal("0.1"), rounding=ROUND_UP)

    @property
    def flagged(self) -> bool:
        return over_twice(self.cases, self.value, self.program_cases, self.program_value)


# --- Queries -------------------------------------------------------------------------------

FLUORO_TIME, DAP = "f", "d"
MEASURES = {FLUORO_TIME: "fluoro_time_s", DAP: "dap"}


# To the places each measure is typed in: seconds to a tenth, DAP to a hundredth.
PLACES = {FLUORO_TIME: Decimal("0.1"), DAP: Decimal("0.01")}


def _medians(who: str, params: list, key: str) -> dict:
    """{key's value: {(procedure id, band, measure): (cases, median)}} over the signed-off
    fluoroscopy cases `who` selects, grouped by `key` (a column, or a constant) as well;
    one query. The cases are read and sorted here: faster than the database's window
    functions for one trainee (1.9 against 6.6 ms) and for a whole program (274 against
    710 ms on SQLite, 260 against 343 on PostgreSQL, 180,000 entries, measured)."""
    columns = ", ".join(MEASURES.values())
    query = (
        f"SELECT {key}, procedure_id, levels, {columns} FROM {Entry._meta.db_table}"
        f" WHERE {who} AND status = %s AND guidance = %s"
    )
    groups: dict[tuple, list[Decimal]] = {}
    with connection.cursor() as cursor:
        cursor.execute(query, [*params, Entry.Status.SIGNED_OFF, Modality.FLUOROSCOPY])
        for group, procedure_id, levels, *values in cursor.fetchall():
            band = band_of(levels)
            for measure, value in zip(MEASURES, values, strict=True):
                if value is not None:
                    key_ = (group, procedure_id, band, measure)
                    groups.setdefault(key_, []).append(Decimal(str(value)))
    found: dict = {}
    for (group, procedure_id, band, measure), values in groups.items():
        middle = median(values).quantize(PLACES[measure])
        found.setdefault(group, {})[procedure_id, band, measure] = (len(values), middle)
    return found


def trainee_medians(trainee_ids) -> dict[int, dict]:
    """{trainee id: {(procedure id, band, measure): (cases, median)}} over each trainee's
    signed-off fluoroscopy cases; one query for them all."""
    trainee_ids = sorted(set(trainee_ids))
    if not trainee_ids:
        return {}
    found = _medians(f"trainee_id IN ({placeholders(trainee_ids)})", trainee_ids, "trainee_id")
    return {pk: found.get(pk, {}) for pk in trainee_ids}


def program_medians(program_id: int) -> dict:
    """{(procedure id, band, measure): (cases, median)} over the signed-off fluoroscopy
    cases of every trainee ever enrolled in a program; one query."""
    who = (
        f"trainee_id IN (SELECT trainee_id FROM {Enrollment._meta.db_table} WHERE program_id = %s)"
    )
    return _medians(who, [program_id], "0").get(0, {})


def _month(column: str) -> str:
    """SQL for a date column's "YYYY-MM"."""
    if connection.vendor == "postgresql":
        return f"to_char({column}, 'YYYY-MM')"
    return f"substr({column}, 1, 7)"  # SQLite keeps a date as its ISO text


def _decimal(value, places: str = "0.01") -> Decimal:
    return Decimal(str(value or 0)).quantize(Decimal(places))


@dataclass(frozen=True)
class MonthSums:
    """One month, procedure type and guidance of a trainee's cases (all but drafts)."""

    month: str
    guidance: str
    procedure_id: int
    region: str  # the procedure type's (for CT's k-factor)
    cases: int
    fluoro_time_s: Decimal
    dap: Decimal
    air_kerma: Decimal
    dlp: Decimal
    dlp_cases: int


def monthly_sums(trainee_ids, since: date) -> dict[int, list[MonthSums]]:
    """{trainee id: their fluoroscopy cases from `since` and CT cases of any date (all but
    drafts: the dose was given whether or not the entry is signed yet) summed per month,
    guidance and procedure type}; one query for them all."""
    trainee_ids = sorted(set(trainee_ids))
    found: dict[int, list[MonthSums]] = {pk: [] for pk in trainee_ids}
    if not trainee_ids:
        return found
    month = _month("e.performed_on")
    query = (
        f"SELECT e.trainee_id, {month}, e.guidance, e.procedure_id, p.region, COUNT(*),"
        " SUM(e.fluoro_time_s), SUM(e.dap), SUM(e.air_kerma), SUM(e.dlp), COUNT(e.dlp)"
        f" FROM {Entry._meta.db_table} e"
        f" INNER JOIN {ProcedureType._meta.db_table} p ON p.id = e.procedure_id"
        f" WHERE e.trainee_id IN ({placeholders(trainee_ids)}) AND e.status <> %s"
        " AND (e.guidance = %s AND e.performed_on >= %s OR e.guidance = %s)"
        f" GROUP BY e.trainee_id, {month}, e.guidance, e.procedure_id, p.region"
    )
    params = [
        *trainee_ids,
        Entry.Status.DRAFT,
        Modality.FLUOROSCOPY,
        db_date(since),
        Modality.CT,
    ]
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        rows = cursor.fetchall()
    for trainee_id, *row in rows:
        found[trainee_id].append(_month_sums(*row))
    return found


def _month_sums(m, guidance, procedure_id, region, cases, fluoro, dap, kerma, dlp, dlp_cases):
    return MonthSums(
        month=m,
        guidance=guidance,
        procedure_id=procedure_id,
        region=region,
        cases=cases,
        fluoro_time_s=_decimal(fluoro, "0.1"),
        dap=_decimal(dap),
        air_kerma=_decimal(kerma),
        dlp=_decimal(dlp, "0.1"),
        dlp_cases=dlp_cases,
    )


def fluoro_series(trainee_ids) -> dict[int, dict[int, list[Decimal]]]:
    """{trainee id: {procedure id: fluoroscopy times}} of each trainee's signed-off cases in
    the order they were performed (their case numbers), of the one-level cases of the types
    logged at levels (several levels take longer: another curve). One query for them all,
    in SQL: the ORM's decimal conversion of the rows cost more than the query."""
    trainee_ids = sorted(set(trainee_ids))
    series: dict[int, dict[int, list[Decimal]]] = {pk: {} for pk in trainee_ids}
    if not trainee_ids:
        return series
    query = (
        f"SELECT e.trainee_id, e.procedure_id, e.fluoro_time_s FROM {Entry._meta.db_table} e"
        f" INNER JOIN {ProcedureType._meta.db_table} p ON p.id = e.procedure_id"
        f" WHERE e.trainee_id IN ({placeholders(trainee_ids)}) AND e.status = %s AND e.guidance = %s"
        " AND e.fluoro_time_s IS NOT NULL AND (NOT p.needs_levels OR e.levels NOT LIKE %s)"
        " ORDER BY e.trainee_id, e.performed_on, e.id"
    )
    params = [*trainee_ids, Entry.Status.SIGNED_OFF, Modality.FLUOROSCOPY, "%,%"]
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        for trainee_id, procedure_id, value in cursor.fetchall():
            series[trainee_id].setdefault(procedure_id, []).append(_decimal(value, "0.1"))
    return series
