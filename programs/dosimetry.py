"""Personal dosimetry (issue 12, point 3): a person's dosimeter readings against the dose
limits of their program, and the investigation levels below them.

Three quantities, as dosimetry services report them: Hp(10), the whole-body (effective
dose) reading; Hp(3), the eye lens; Hp(0.07), the skin and extremities (a ring). A
reading covers a wear period and counts on the day the period ends.

Limits come from a preset per program, each value of which the program may change:

- **ICRP / EU**: ICRP Publication 103 (2007) and, for the lens, ICRP Publication 118
  (2012); Council Directive 2013/59/Euratom, art. 9. Effective dose 20 mSv a year
  averaged over five years (100 mSv in five years) and never more than 50 mSv in any one
  year; lens 20 mSv a year; skin and extremities 500 mSv a year.
- **US NRC**: 10 CFR 20.1201(a). Effective (total effective dose equivalent) 50 mSv
  (5 rem) a year; lens 150 mSv (15 rem); skin and extremities 500 mSv (50 rem).

"A year" is read as the last twelve months and "five years" as the last 60 months, both
ending today (rolling, the stricter reading of calendar years).

Investigation levels: the ALARA programme of NUREG-1556 vol. 9 (the NRC's guide for
medical licences, appendix on ALARA) sets Level I at 10% and Level II at 30% of the
quarterly share of each annual limit (for the NRC's whole-body limit: 125 and 375 mrem a
calendar quarter). A quarter's readings at or over a level cross it: the trainee sees a
banner, the Cohort a flag, and the program's director one e-mail per crossing.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_DOWN, Decimal

from django.db import models


class Quantity(models.TextChoices):
    WHOLE_BODY = "whole_body", "Whole body, Hp(10)"
    LENS = "lens", "Eye lens, Hp(3)"
    EXTREMITY = "extremity", "Extremity and skin, Hp(0.07)"


class Preset(models.TextChoices):
    ICRP = "icrp", "ICRP / EU (Directive 2013/59/Euratom)"
    NRC = "nrc", "US NRC (10 CFR 20.1201)"


class Level(models.IntegerChoices):
    """What a quarter's (or a rolling year's) dose reached, in increasing order."""

    INVESTIGATION_1 = 1, "Investigation level I"
    INVESTIGATION_2 = 2, "Investigation level II"
    LIMIT = 3, "Dose limit"


@dataclass(frozen=True)
class Limits:
    """mSv. `annual` is the yearly limit of each quantity (for effective dose under ICRP
    the five-year average); `effective_one_year` the most effective dose in any one year;
    `effective_five_years` the five-year total (None: no such limit)."""

    preset: str
    annual: dict  # Quantity → Decimal
    effective_one_year: Decimal
    effective_five_years: Decimal | None
    level_1_pct: int = 10
    level_2_pct: int = 30

    @property
    def preset_label(self) -> str:
        return Preset(self.preset).label

    def quarter_level(self, quantity: str, dose: Decimal) -> int | None:
        """The investigation level a quarter's `dose` of `quantity` reaches, or None."""
        for level in (Level.INVESTIGATION_2, Level.INVESTIGATION_1):
            if dose >= self.quarterly_level(quantity, level):
                return level
        return None

    def quarterly_level(self, quantity: str, level: int) -> Decimal:
        """The dose in one calendar quarter at which `level` (I or II) is crossed."""
        pct = self.level_1_pct if level == Level.INVESTIGATION_1 else self.level_2_pct
        return (self.annual[quantity] / 4 * pct / 100).quantize(Decimal("0.001"))


PRESETS = {
    Preset.ICRP: Limits(
        preset=Preset.ICRP,
        annual={
            Quantity.WHOLE_BODY: Decimal(20),
            Quantity.LENS: Decimal(20),
            Quantity.EXTREMITY: Decimal(500),
        },
        effective_one_year=Decimal(50),
        effective_five_years=Decimal(100),
    ),
    Preset.NRC: Limits(
        preset=Preset.NRC,
        annual={
            Quantity.WHOLE_BODY: Decimal(50),
            Quantity.LENS: Decimal(150),
            Quantity.EXTREMITY: Decimal(500),
        },
        effective_one_year=Decimal(50),
        effective_five_years=None,
    ),
}


def quarter_of(day: date) -> date:
    """The first day of `day`'s calendar quarter."""
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def quarter_words(first: date) -> str:
    return f"Q{(first.month - 1) // 3 + 1} {first.year}"


def years_ago(today: date, years: int) -> date:
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February
        return today.replace(year=today.year - years, day=28)


@dataclass(frozen=True)
class Reading:
    """One reading as the rules need it (programs.models.DoseReading)."""

    period_end: date
    doses: dict  # Quantity → Decimal or None


def _percent(dose: Decimal, limit: Decimal | None) -> int | None:
    if not limit:
        return None
    return int((dose * 100 / limit).to_integral_value(rounding=ROUND_DOWN))


@dataclass
class QuantityStatus:
    quantity: str
    label: str
    last_12_months: Decimal
    annual_limit: Decimal
    this_quarter: Decimal
    level_1: Decimal
    level_2: Decimal
    last_5_years: Decimal | None = None
    five_year_limit: Decimal | None = None
    one_year_limit: Decimal | None = None
    level: int | None = None  # the highest Level reached now (this quarter, the year)

    @property
    def percent_of_annual(self) -> int | None:
        return _percent(self.last_12_months, self.annual_limit)


@dataclass
class DoseStatus:
    limits: Limits
    quantities: list[QuantityStatus] = field(default_factory=list)
    readings: int = 0

    @property
    def level(self) -> int | None:
        levels = [q.level for q in self.quantities if q.level]
        return max(levels) if levels else None


def quarter_totals(readings: list[Reading]) -> dict:
    """{(quarter's first day, quantity): total mSv}."""
    totals: dict = defaultdict(lambda: Decimal(0))
    for reading in readings:
        for quantity, dose in reading.doses.items():
            if dose is not None:
                totals[quarter_of(reading.period_end), quantity] += Decimal(dose)
    return dict(totals)


def crossings(readings: list[Reading], limits: Limits) -> set[tuple[date, str, int, Decimal]]:
    """Every (quarter, quantity, investigation level, the quarter's dose) crossed: a
    quarter's total at or over the level."""
    found = set()
    for (quarter, quantity), total in quarter_totals(readings).items():
        reached = limits.quarter_level(quantity, total) or 0
        for level in (Level.INVESTIGATION_1, Level.INVESTIGATION_2):
            if reached >= level:
                found.add((quarter, quantity, int(level), total))
    return found


def limit_crossings(
    readings: list[Reading], limits: Limits, today: date
) -> set[tuple[date, str, int, Decimal]]:
    """The dose limits exceeded now, as (today's quarter, quantity, Level.LIMIT, dose):
    the last 12 months over the annual limit (for effective dose under ICRP: over the
    one-year maximum, or the five-year total over its limit)."""
    status = dose_status(readings, limits, today)
    quarter = quarter_of(today)
    return {
        (quarter, q.quantity, int(Level.LIMIT), q.last_12_months)
        for q in status.quantities
        if q.level == Level.LIMIT
    }


def dose_status(readings: list[Reading], limits: Limits, today: date) -> DoseStatus:
    """Rolling 12-month and 5-year totals per quantity, this quarter's total against the
    investigation levels, and the highest level each has reached."""
    year_ago = years_ago(today, 1)
    five_ago = years_ago(today, 5)
    this_quarter = quarter_of(today)
    status = DoseStatus(limits=limits, readings=len(readings))
    for quantity, label in Quantity.choices:
        year = five = quarter = Decimal(0)
        for reading in readings:
            dose = reading.doses.get(quantity)
            if dose is None or reading.period_end > today:
                continue
            if reading.period_end > year_ago:
                year += Decimal(dose)
            if reading.period_end > five_ago:
                five += Decimal(dose)
            if quarter_of(reading.period_end) == this_quarter:
                quarter += Decimal(dose)
        annual = limits.annual[quantity]
        effective = quantity == Quantity.WHOLE_BODY
        row = QuantityStatus(
            quantity=quantity,
            label=label,
            last_12_months=year,
            annual_limit=annual,
            this_quarter=quarter,
            level_1=limits.quarterly_level(quantity, Level.INVESTIGATION_1),
            level_2=limits.quarterly_level(quantity, Level.INVESTIGATION_2),
        )
        if effective:
            row.last_5_years = five
            row.five_year_limit = limits.effective_five_years
            row.one_year_limit = limits.effective_one_year
        over = (
            (year > limits.effective_one_year)
            or (limits.effective_five_years is not None and five > limits.effective_five_years)
            if effective and limits.effective_five_years is not None
            else year > annual
        )
        row.level = Level.LIMIT if over else limits.quarter_level(quantity, quarter)
        status.quantities.append(row)
    return status


def since_last_quarter(today: date) -> date:
    """The first day of the quarter before today's: a crossing since then is current."""
    return quarter_of(quarter_of(today) - timedelta(days=1))


def limits_of(program) -> Limits:
    """The program's limits: its preset's, with each value the program set instead."""
    preset = PRESETS[program.dose_preset]
    annual = dict(preset.annual)
    for quantity, value in (
        (Quantity.WHOLE_BODY, program.limit_whole_body_msv),
        (Quantity.LENS, program.limit_lens_msv),
        (Quantity.EXTREMITY, program.limit_extremity_msv),
    ):
        if value is not None:
            annual[quantity] = value
    return Limits(
        preset=preset.preset,
        annual=annual,
        effective_one_year=(
            program.limit_one_year_msv
            if program.limit_one_year_msv is not None
            else preset.effective_one_year
        ),
        effective_five_years=(
            program.limit_five_years_msv
            if program.limit_five_years_msv is not None
            else preset.effective_five_years
        ),
        level_1_pct=program.investigation_level_1_pct,
        level_2_pct=program.investigation_level_2_pct,
    )
