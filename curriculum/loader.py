"""Load the catalogue and curriculum from a TOML data file, idempotently.

Every row is keyed by a stable slug or key. A row is written only when a value in the
file differs from the database, so a second run changes nothing (not even `updated_at`).
Rows that the file no longer lists (stages, requirements, procedure types, injectates) are
retired (marked inactive), never deleted: entries, signatures and history point at them;
listed again, they come back. A requirement with no procedure types must say
`any_procedure = true`: an empty list never silently means "any".
"""

import tomllib
from collections import Counter
from decimal import Decimal
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import models, transaction

from procedures.models import (
    Approach,
    Entry,
    Injectate,
    Modality,
    ProcedureType,
    Side,
    StressStructure,
    default_failure_complications,
)
from programs.models import BlockThreshold, Program

from .entrustment import LevelRule
from .models import Competency, CompetencyPolicy, Requirement, Stage

DEFAULT_PATH = Path(__file__).resolve().parent / "data" / "default_curriculum.toml"


class LoaderError(ValueError):
    """The data file is not valid; the message says where."""


def _check_choices(values, choices, where: str) -> list:
    valid = {c.value for c in choices}
    bad = [v for v in values if v not in valid]
    if bad:
        raise LoaderError(f"{where}: unknown value(s) {bad}; expected some of {sorted(valid)}")
    return list(values)


def _sync(model: type[models.Model], lookup: dict, values: dict, stats: Counter):
    """Create or update one row, writing only what differs. Returns the instance."""
    obj = model.objects.filter(**lookup).first()
    if obj is None:
        stats[f"{model._meta.model_name} created"] += 1
        return model.objects.create(**lookup, **values)
    changed = [field for field, value in values.items() if getattr(obj, field) != value]
    if changed:
        for field in changed:
            setattr(obj, field, values[field])
        obj.save(update_fields=[*changed, "updated_at"])
        stats[f"{model._meta.model_name} updated"] += 1
    return obj


def _sync_m2m(owner, manager, wanted: list, stats: Counter, label: str) -> None:
    if {o.pk for o in manager.all()} != {o.pk for o in wanted}:
        manager.set(wanted)
        stats[f"{label} updated"] += 1


@transaction.atomic
def load_curriculum(path: Path = DEFAULT_PATH) -> Counter:
    """Load `path` into the database. Returns counts of what was created, updated, deleted.

    Raises LoaderError (and writes nothing) when the file is invalid.
    """
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise LoaderError(f"{path}: {exc}") from exc
    stats: Counter = Counter()

    types = {}
    for row in data.get("procedure_types", []):
        slug = row["slug"]
        where = f"procedure type {slug}"
        values = {
            "name": row["name"],
            "category": _check_choices([row["category"]], ProcedureType.Category, where)[0],
            "region": _check_choices([row["region"]], ProcedureType.Region, where)[0],
            "modalities": _check_choices(row["modalities"], Modality, where),
            "sides": _check_choices(row["sides"], Side, where),
            "needs_levels": bool(row.get("needs_levels", False)),
            "levels_as": _check_choices(
                [row.get("levels_as", "segments")], ProcedureType.LevelsAs, where
            )[0],
            "approaches": _check_choices(row.get("approaches", []), Approach, where),
            "kind": _check_choices([row.get("kind", "injection")], ProcedureType.Kind, where)[0],
            "safety_bundle": bool(row.get("safety_bundle", False)),
            "needs_stress_exam": bool(row.get("needs_stress_exam", False)),
            **_failure(row.get("failure", {}), where),
            "active": True,
        }
        types[slug] = _sync(ProcedureType, {"slug": slug}, values, stats)
    stats["procedure types retired"] += (
        ProcedureType.objects.exclude(slug__in=types).filter(active=True).update(active=False)
    )

    injectates = {}
    for row in data.get("injectates", []):
        slug = row["slug"]
        values = {
            "name": row["name"],
            "category": _check_choices([row["category"]], Injectate.Category, slug)[0],
            "particulate": bool(row.get("particulate", False)),
            "active": True,
        }
        injectates[slug] = _sync(Injectate, {"slug": slug}, values, stats)
    stats["injectates retired"] += (
        Injectate.objects.exclude(slug__in=injectates).filter(active=True).update(active=False)
    )

    structures = []
    for row in data.get("stress_structures", []):
        slug = row["slug"]
        values = {
            "name": row["name"],
            "joint": _check_choices([row["joint"]], ProcedureType.Region, slug)[0],
            "threshold_mm": Decimal(str(row["threshold_mm"])),
            "source": row.get("source", ""),
            "active": True,
        }
        structures.append(_sync(StressStructure, {"slug": slug}, values, stats).slug)
    stats["stress structures retired"] += (
        StressStructure.objects.exclude(slug__in=structures)
        .filter(active=True)
        .update(active=False)
    )

    for prow in data.get("programs", []):
        program = _sync(
            Program,
            {"slug": prow["slug"]},
            {
                "name": prow["name"],
                "description": prow.get("description", ""),
                "block_threshold": _check_choices(
                    [prow.get("block_threshold", BlockThreshold.MEDICARE)],
                    BlockThreshold,
                    prow["slug"],
                )[0],
            },
            stats,
        )
        _load_stages(program, prow.get("stages", []), types, injectates, stats)
        _load_policy(program, prow.get("competence", {}), stats)
        _load_competencies(program, prow.get("competencies", []), types, stats)
    return stats


def _failure(row: dict, where: str) -> dict:
    """A procedure type's failure definition for learning curves (`failure = {...}`):
    `complications` that count (default: all but none) and `rating_at_most` (default 2)."""
    if not isinstance(row, dict):
        raise LoaderError(
            f"{where}: failure must be a table, as failure = {{ rating_at_most = 2 }}"
        )
    complications = row.get("complications")
    if complications is None:
        complications = default_failure_complications()
    rating = row.get("rating_at_most", 2)
    if not isinstance(rating, int) or not 0 <= rating <= 4:
        raise LoaderError(f"{where}: failure.rating_at_most must be 0 to 4")
    return {
        "failure_complications": _check_choices(
            complications, Entry.Complication, f"{where}: failure.complications"
        ),
        "failure_rating": rating,
    }


def _load_policy(program, row: dict, stats) -> None:
    """The program's competency policy (`[programs.competence]`); what the file leaves
    out takes the defaults, so editing the file and loading it again is the whole story."""
    where = f"program {program.slug}: competence"
    if not isinstance(row, dict):
        raise LoaderError(f"{where} must be a table")
    defaults = CompetencyPolicy()
    values = {}
    for name in POLICY_FIELDS:
        value = row.get(name, getattr(defaults, name))
        if name.startswith("cusum_"):
            value = Decimal(str(value))
        values[name] = value
    rules = row.get("levels")
    if rules is not None:
        try:
            values["level_rules"] = [LevelRule(**r).as_dict() for r in rules]
        except TypeError as exc:
            raise LoaderError(f"{where}: levels: {exc}") from exc
    else:
        values["level_rules"] = defaults.level_rules
    unknown = set(row) - set(POLICY_FIELDS) - {"levels"}
    if unknown:
        raise LoaderError(f"{where}: unknown setting(s) {sorted(unknown)}")
    policy = CompetencyPolicy(program=program, **values)
    try:
        policy.full_clean(exclude=["program"])
    except ValidationError as exc:
        problems = [
            f"{field}: {message}" if field != "__all__" else message
            for field, messages in exc.message_dict.items()
            for message in messages
        ]
        raise LoaderError(f"{where}: {'; '.join(problems)}") from exc
    _sync(CompetencyPolicy, {"program": program}, values, stats)


POLICY_FIELDS = (
    "lapse_days",
    "cusum_p0",
    "cusum_p1",
    "cusum_alpha",
    "cusum_beta",
    "evidence_observations",
    "evidence_assessors",
    "evidence_recent",
    "evidence_recent_days",
    "evidence_narratives",
)


def _load_competencies(program, rows, types, stats) -> None:
    """The program's competencies (`[[programs.competencies]]`): a name, one modality and
    the procedure types; retired (never deleted) when the file no longer lists them."""
    _retire_missing(
        rows,
        program.competencies,
        ("competency", "competencies"),
        f"program {program.slug}",
        stats,
    )
    for order, row in enumerate(rows, start=1):
        where = f"competency {row['key']}"
        wanted = _named_types(row, types, where)
        if not wanted:
            raise LoaderError(f"{where}: list its procedure_types")
        modality = _check_choices([row.get("modality", "")], Modality, where)[0]
        refused = [t.slug for t in wanted if modality not in t.modalities]
        if refused:
            raise LoaderError(f"{where}: {refused} are never done under {modality}")
        values = {
            "order": order,
            "name": row["name"],
            "modality": modality,
            "lapse_days": row.get("lapse_days"),
            "active": True,
        }
        competency = _sync(Competency, {"program": program, "key": row["key"]}, values, stats)
        _sync_m2m(competency, competency.procedure_types, wanted, stats, "competency types")


def _load_stages(program, rows, types, injectates, stats) -> None:
    keys = [row["key"] for row in rows]
    if len(set(keys)) != len(keys):
        raise LoaderError(f"program {program.slug}: a stage key is repeated")
    # A stage gone from the file is retired, never deleted: trainees' records and the
    # curriculum's history refer to it (accounts.retention).
    stats["stages retired"] += (
        program.stages.exclude(key__in=keys).filter(active=True).update(active=False)
    )
    # Move stages whose position changes out of the way first: among active stages,
    # (program, order) is unique.
    wanted_order = {key: i for i, key in enumerate(keys, start=1)}
    for stage in program.stages.filter(key__in=keys):
        if stage.order != wanted_order[stage.key]:
            stage.order += 1000
            stage.save(update_fields=["order"])

    for order, row in enumerate(rows, start=1):
        stage = _sync(
            Stage,
            {"program": program, "key": row["key"]},
            {
                "order": order,
                "name": row["name"],
                "description": row.get("description", ""),
                "active": True,
            },
            stats,
        )
        _load_requirements(stage, row.get("requirements", []), types, injectates, stats)


def _retire_missing(rows, listed, what: tuple[str, str], where: str, stats) -> None:
    """Refuse a repeated key; retire (never delete) the rows of `listed` the file no
    longer names. `what`: the row's name, singular and plural."""
    keys = [row["key"] for row in rows]
    if len(set(keys)) != len(keys):
        raise LoaderError(f"{where}: a {what[0]} key is repeated")
    stats[f"{what[1]} retired"] += (
        listed.exclude(key__in=keys).filter(active=True).update(active=False)
    )


def _named_types(row, types, where: str) -> list:
    """The procedure types a row lists by slug."""
    wanted = []
    for slug in row.get("procedure_types", []):
        if slug not in types:
            raise LoaderError(f"{where}: unknown procedure type {slug!r}")
        wanted.append(types[slug])
    return wanted


def _load_requirements(stage, rows, types, injectates, stats) -> None:
    _retire_missing(
        rows, stage.requirements, ("requirement", "requirements"), f"stage {stage.key}", stats
    )
    for order, row in enumerate(rows, start=1):
        where = f"requirement {stage.key}/{row['key']}"
        wanted_types = _named_types(row, types, where)
        for category in _check_choices(
            row.get("procedure_categories", []), ProcedureType.Category, where
        ):
            wanted_types += [t for t in types.values() if t.category == category]
        any_procedure = row.get("any_procedure", False)
        if not isinstance(any_procedure, bool):
            raise LoaderError(f"{where}: any_procedure must be true or false")
        if any_procedure and wanted_types:
            raise LoaderError(
                f"{where}: any_procedure = true, and procedure types listed: choose one"
            )
        if not any_procedure and not wanted_types:
            raise LoaderError(
                f"{where}: no procedure types; list procedure_types or procedure_categories, "
                "or say any_procedure = true"
            )
        wanted_injectates = []
        for slug in row.get("injectates", []):
            if slug not in injectates:
                raise LoaderError(f"{where}: unknown injectate {slug!r}")
            wanted_injectates.append(injectates[slug])
        values = {
            "order": order,
            "name": row["name"],
            "kind": _check_choices([row.get("kind", "entries")], Requirement.Kind, where)[0],
            "modalities": _check_choices(row.get("modalities", []), Modality, where),
            "min_count": int(row["min_count"]),
            "min_role": _check_choices(
                [row.get("min_role", Entry.Role.PERFORMED_PRESENT)], Entry.Role, where
            )[0],
            "min_autonomy": row.get("min_autonomy"),
            "recency_days": row.get("recency_days"),
            "any_procedure": any_procedure,
            "active": True,
        }
        requirement = _sync(Requirement, {"stage": stage, "key": row["key"]}, values, stats)
        _sync_m2m(
            requirement, requirement.procedure_types, wanted_types, stats, "requirement types"
        )
        _sync_m2m(
            requirement, requirement.injectates, wanted_injectates, stats, "requirement injectates"
        )
