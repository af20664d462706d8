"""The curriculum loader: idempotent, updates on edit, refuses bad files."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from curriculum.loader import DEFAULT_PATH, load_curriculum
from curriculum.models import Competency, CompetencyPolicy, Requirement, Stage
from procedures.models import Injectate, ProcedureType
from programs.models import Program

pytestmark = pytest.mark.django_db


def snapshot() -> dict:
    """Every catalogue and curriculum row, with its timestamps and relations."""
    return {
        "types": list(ProcedureType.objects.order_by("pk").values()),
        "injectates": list(Injectate.objects.order_by("pk").values()),
        "programs": list(Program.objects.order_by("pk").values()),
        "stages": list(Stage.objects.order_by("pk").values()),
        "requirements": list(Requirement.objects.order_by("pk").values()),
        "requirement_types": list(
            Requirement.procedure_types.through.objects.order_by("pk").values()
        ),
        "requirement_injectates": list(
            Requirement.injectates.through.objects.order_by("pk").values()
        ),
        "competencies": list(Competency.objects.order_by("pk").values()),
        "competency_types": list(
            Competency.procedure_types.through.objects.order_by("pk").values()
        ),
        "policies": list(CompetencyPolicy.objects.order_by("pk").values()),
    }


def test_default_curriculum_has_the_five_stages_of_design(program):
    stages = list(program.stages.order_by("order").values_list("name", flat=True))
    assert stages == [
        "Foundations: safety, anatomy and ultrasound",
        "Fluoroscopic spine: diagnostic blocks",
        "Fluoroscopic spine: epidurals and ablation",
        "Ultrasound-guided interventional orthopedics",
        "Orthobiologics",
    ]
    tfesi = Requirement.objects.get(stage__program=program, key="lumbar-tfesi")
    assert tfesi.min_count == 20
    assert tfesi.modalities == ["fluoroscopy"]
    assert [t.slug for t in tfesi.procedure_types.all()] == ["lumbar-tfesi"]
    observed = Requirement.objects.get(key="spine-observed")
    assert observed.min_role == 1
    assert (
        observed.procedure_types.count() == ProcedureType.objects.filter(category="spine").count()
    )
    assert Requirement.objects.get(key="prp-image-guided").injectates.get().slug == "prp"
    assert Requirement.objects.get(key="bma-dops").kind == Requirement.Kind.ASSESSMENTS


def test_caudal_epidural_is_midline_only_and_needs_no_levels(program):
    caudal = ProcedureType.objects.get(slug="caudal-epidural")
    assert caudal.sides == ["midline"]
    assert not caudal.needs_levels


def test_loading_twice_changes_nothing(program):
    before = snapshot()
    stats = load_curriculum()
    assert sum(stats.values()) == 0
    assert snapshot() == before


def test_command_reports_no_changes_on_a_second_run(program):
    out = io.StringIO()
    call_command("load_curriculum", stdout=out)
    assert "no changes" in out.getvalue()


def test_an_edited_file_updates_the_program(program, tmp_path):
    text = DEFAULT_PATH.read_text(encoding="utf-8")
    edited = text.replace(
        'name = "Lumbar transforaminal epidurals"\nprocedure_types = ["lumbar-tfesi"]\n'
        'modalities = ["fluoroscopy"]\nmin_count = 20',
        'name = "Lumbar transforaminal epidurals"\nprocedure_types = ["lumbar-tfesi"]\n'
        'modalities = ["fluoroscopy", "ct"]\nmin_count = 25',
    )
    assert edited != text
    path = tmp_path / "edited.toml"
    path.write_text(edited, encoding="utf-8")
    tfesi = Requirement.objects.get(key="lumbar-tfesi")

    stats = load_curriculum(path)

    tfesi.refresh_from_db()
    assert tfesi.min_count == 25
    assert tfesi.modalities == ["fluoroscopy", "ct"]
    assert stats["requirement updated"] == 1
    assert sum(stats.values()) == 1


def test_reordering_and_retiring_stages_follows_the_file(program, tmp_path):
    """A stage dropped from the file is retired, never deleted: trainees' records and the
    curriculum's history refer to it (issue "One door", point 3)."""
    import tomllib

    data = tomllib.loads(DEFAULT_PATH.read_text(encoding="utf-8"))
    stages = data["programs"][0]["stages"]
    # Swap the last two stages and drop the third.
    stages[3], stages[4] = stages[4], stages[3]
    del stages[2]
    path = tmp_path / "reordered.toml"
    path.write_text(_to_toml(data), encoding="utf-8")

    load_curriculum(path)

    active = program.stages.filter(active=True).order_by("order")
    assert list(active.values_list("key", flat=True)) == [
        "foundations",
        "spine-diagnostic-blocks",
        "orthobiologics",
        "us-interventional-orthopedics",
    ]
    retired = program.stages.get(active=False)
    assert retired.key == "spine-epidurals-ablation"
    # Kept, with its requirements, as history; progress no longer counts it.
    assert Requirement.objects.filter(key="lumbar-rfa", stage=retired).exists()


def test_a_bad_file_is_refused_and_nothing_is_written(program, tmp_path):
    text = DEFAULT_PATH.read_text(encoding="utf-8").replace(
        'procedure_types = ["lumbar-tfesi"]\nmodalities = ["fluoroscopy"]\nmin_count = 20',
        'procedure_types = ["no-such-procedure"]\nmodalities = ["fluoroscopy"]\nmin_count = 99',
    )
    text = text.replace('name = "Lumbar interlaminar epidurals"', 'name = "Renamed"')
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    before = snapshot()
    with pytest.raises(CommandError, match="unknown procedure type 'no-such-procedure'"):
        call_command("load_curriculum", str(path), stdout=io.StringIO())
    assert snapshot() == before


def test_unknown_modality_is_refused(program, tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text(
        DEFAULT_PATH.read_text(encoding="utf-8").replace(
            'modalities = ["ultrasound", "landmark"]', 'modalities = ["xray"]', 1
        ),
        encoding="utf-8",
    )
    with pytest.raises(CommandError, match="unknown value"):
        call_command("load_curriculum", str(path), stdout=io.StringIO())


def _to_toml(data: dict) -> str:
    """A minimal TOML writer for the loader's own shape (tomllib only reads)."""

    def value(v):
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, int | float):
            return str(v)
        if isinstance(v, dict):
            return "{ " + ", ".join(f"{k} = {value(x)}" for k, x in v.items()) + " }"
        if isinstance(v, list):
            return "[" + ", ".join(value(x) for x in v) + "]"
        return '"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"'

    lines = []

    def table(prefix, row):
        lines.append(f"[[{prefix}]]")
        children = {
            k: v for k, v in row.items() if isinstance(v, list) and v and isinstance(v[0], dict)
        }
        for k, v in row.items():
            if k not in children:
                lines.append(f"{k} = {value(v)}")
        for k, rows in children.items():
            for child in rows:
                table(f"{prefix}.{k}", child)

    for key in ("procedure_types", "injectates", "programs"):
        for row in data[key]:
            table(key, row)
    return "\n".join(lines) + "\n"


# --- Competence (issue 13) ----------------------------------------------------------------------


def test_the_default_curriculum_defines_competencies_per_modality(program):
    keys = set(program.competencies.values_list("key", flat=True))
    assert {"lumbar-mbb-fluoroscopy", "lumbar-mbb-ultrasound"} <= keys
    fluoroscopy = program.competencies.get(key="lumbar-mbb-fluoroscopy")
    assert fluoroscopy.modality == "fluoroscopy"
    assert list(fluoroscopy.procedure_types.values_list("slug", flat=True)) == ["lumbar-mbb"]
    assert program.competencies.get(key="cervical-tfesi-fluoroscopy").lapse_days == 60
    policy = CompetencyPolicy.objects.get(program=program)
    assert (policy.lapse_days, float(policy.cusum_p0), float(policy.cusum_p1)) == (90, 0.1, 0.2)
    assert [r["level"] for r in policy.level_rules] == [1, 2, 3]


def test_failure_definitions_come_from_the_file(program):
    cervical = ProcedureType.objects.get(slug="cervical-tfesi")
    lumbar = ProcedureType.objects.get(slug="lumbar-tfesi")
    assert (cervical.failure_rating, lumbar.failure_rating) == (3, 2)
    assert "none" not in lumbar.failure_complications
    assert "dural_puncture" in lumbar.failure_complications


def _edited(tmp_path, old, new):
    text = DEFAULT_PATH.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "edited.toml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def test_a_competency_gone_from_the_file_is_retired(program, tmp_path):
    path = _edited(tmp_path, 'key = "knee-ultrasound"', 'key = "knee-ultrasound-new"')
    load_curriculum(path)
    assert not program.competencies.get(key="knee-ultrasound").active
    assert program.competencies.get(key="knee-ultrasound-new").active


@pytest.mark.parametrize(
    "old, new, message",
    [
        (
            'modality = "ultrasound"\nprocedure_types = ["lumbar-mbb"]',
            'modality = "ultrasound"\nprocedure_types = ["lumbar-rfa"]',
            "never done under ultrasound",
        ),
        ("cusum_p1 = 0.20", "cusum_p1 = 0.05", "0 < p0 < p1 < 1"),
        ("{ level = 2, min_cases = 10,", "{ level = 5, min_cases = 10,", "at most once"),
        ("lapse_days = 90", "lapse_days = 0", "lapse_days: Ensure this value is greater"),
        ("failure = { rating_at_most = 3 }", "failure = { rating_at_most = 7 }", "0 to 4"),
        ("evidence_narratives = 1", "evidence_narrative = 1", "unknown setting"),
    ],
)
def test_a_bad_competence_setting_is_refused_and_nothing_is_written(
    program, tmp_path, old, new, message
):
    path = _edited(tmp_path, old, new)
    before = snapshot()
    with pytest.raises(CommandError, match=message):
        call_command("load_curriculum", str(path), stdout=io.StringIO())
    assert snapshot() == before
