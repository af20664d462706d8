"""The catalogue, the curriculum and the people keep their history (issue "One door", point 3).

Each attack tries a second door (the admin's delete page, its "delete selected" action, an
inline, the shell, raw SQL) and finds the record unchanged or the change refused with a
clear message; what is refused is retired instead, and Progress and Cohort are right on the
next view.
"""

import importlib

import pytest
from django.contrib.admin.models import LogEntry
from django.db import IntegrityError, connection, transaction
from django.db.models import ProtectedError
from django.urls import reverse

from accounts.models import User
from curriculum.loader import DEFAULT_PATH, LoaderError, load_curriculum
from curriculum.models import Requirement, Stage
from curriculum.progress import progress_for
from procedures.models import Entry, Injectate, ProcedureType
from programs.models import Enrollment, Program
from tests.factories import EntryFactory, UserFactory

SIGNED_OFF = Entry.Status.SIGNED_OFF


@pytest.fixture
def staff(admin, client):
    client.force_login(admin)
    return client


@pytest.fixture
def tfesi(db):
    return ProcedureType.objects.get(slug="lumbar-tfesi")


def refused(call, match="."):
    """`call()` raises ProtectedError. The guard raises inside the deletion's transaction,
    so here (inside the test's transaction) a savepoint takes the rollback."""
    with pytest.raises(ProtectedError, match=match):
        with transaction.atomic():
            call()


def signed(trainee, supervisor, injectates=(), **fields):
    """A signed-off entry; its injectates are given before signing (a database guard)."""
    entry = EntryFactory(
        trainee=trainee, supervisor=supervisor, status=Entry.Status.SUBMITTED, **fields
    )
    entry.injectates.set(injectates)
    Entry.objects.filter(pk=entry.pk).update(status=SIGNED_OFF, autonomy=4)
    entry.refresh_from_db()
    return entry


def delete_url(obj):
    opts = obj._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_delete", args=[obj.pk])


def changelist_url(model):
    opts = model._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")


def requirement_of(program, key) -> Requirement:
    return Requirement.objects.get(stage__program=program, key=key)


def progress_row(trainee, program, key):
    enrollment = Enrollment.objects.get(trainee=trainee, program=program)
    progress = progress_for([enrollment])[enrollment.pk]
    for stage in progress.stages:
        for row in stage.requirements:
            if row.requirement.key == key:
                return row
    return None


# --- Catalogue: the admin's delete page, its bulk action, the shell, raw SQL ---------------


def test_admin_refuses_to_delete_a_procedure_type_that_entries_use(staff, alice, bob, tfesi):
    EntryFactory(trainee=alice, supervisor=bob, procedure=tfesi)
    page = staff.get(delete_url(tfesi))
    assert page.status_code == 200
    text = page.content.decode()
    assert "is kept: log entries (1), curriculum requirements (" in text
    assert "untick “Active”" in text
    response = staff.post(delete_url(tfesi), {"post": "yes"})
    assert response.status_code == 200  # the same refusal, nothing deleted
    assert ProcedureType.objects.filter(pk=tfesi.pk).exists()
    assert Entry.objects.filter(procedure=tfesi).count() == 1


def test_the_delete_page_of_a_much_used_type_does_not_load_its_entries(
    staff, alice, bob, tfesi, django_assert_max_num_queries
):
    """The refusal is a few counts, not Django's list of every protected row."""
    EntryFactory.create_batch(3, trainee=alice, supervisor=bob, procedure=tfesi)
    with django_assert_max_num_queries(12) as few:
        assert staff.get(delete_url(tfesi)).status_code == 200
    EntryFactory.create_batch(60, trainee=alice, supervisor=bob, procedure=tfesi)
    with django_assert_max_num_queries(len(few)) as many:
        page = staff.get(delete_url(tfesi))
    assert "is kept: log entries (63)" in page.content.decode()
    assert len(many) == len(few)
    # Counted, never loaded: Django's collector would select the entries themselves.
    reads = [q["sql"] for q in many.captured_queries if 'FROM "procedures_entry"' in q["sql"]]
    assert reads and all(sql.startswith("SELECT COUNT(*)") for sql in reads), reads


def test_admin_bulk_delete_of_a_used_injectate_is_refused(staff, alice, bob):
    prp = Injectate.objects.get(slug="prp")
    entry = signed(alice, bob, injectates=[prp])
    response = staff.post(
        changelist_url(Injectate),
        {"action": "delete_selected", "_selected_action": [prp.pk], "post": "yes"},
    )
    assert response.status_code == 200
    assert "is kept: log entries (1)" in response.content.decode()
    assert Injectate.objects.filter(pk=prp.pk).exists()
    assert list(entry.injectates.all()) == [prp]


def test_an_unused_catalogue_row_may_still_be_deleted(staff):
    spare = Injectate.objects.create(slug="spare", name="Spare", category="other")
    response = staff.post(delete_url(spare), {"post": "yes"})
    assert response.status_code == 302
    assert not Injectate.objects.filter(pk=spare.pk).exists()


def test_shell_delete_of_a_used_injectate_raises_and_changes_nothing(alice, bob):
    prp = Injectate.objects.get(slug="prp")
    entry = signed(alice, bob, injectates=[prp])
    refused(prp.delete, match="untick “Active”")
    refused(Injectate.objects.filter(slug="prp").delete)
    assert list(entry.injectates.all()) == [prp]


def test_shell_delete_of_a_type_only_a_requirement_lists_is_refused(program):
    """No entry uses it, but a requirement does: deleting it would change what counts."""
    cervical = ProcedureType.objects.get(slug="cervical-tfesi")
    assert not Entry.objects.filter(procedure=cervical).exists()
    requirement = Requirement.objects.filter(procedure_types=cervical).first()
    before = set(requirement.procedure_types.values_list("pk", flat=True))
    refused(cervical.delete, match="curriculum requirements")
    assert set(requirement.procedure_types.values_list("pk", flat=True)) == before


@pytest.mark.parametrize(
    "sql",
    [
        "DELETE FROM procedures_injectate WHERE slug = 'prp'",
        "DELETE FROM procedures_proceduretype WHERE slug = 'lumbar-tfesi'",
    ],
)
def test_a_raw_sql_delete_is_refused_by_the_foreign_keys(alice, bob, tfesi, sql):
    signed(alice, bob, procedure=tfesi, injectates=[Injectate.objects.get(slug="prp")])
    with pytest.raises(IntegrityError):
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(sql)
            connection.check_constraints()  # deferred foreign keys, checked now
    assert ProcedureType.objects.filter(pk=tfesi.pk).exists()
    assert Injectate.objects.filter(slug="prp").exists()


# --- Retired, not deleted: gone from new choices, kept on old entries and in counts -------


def test_a_retired_type_stays_on_its_entries_and_in_the_counts(staff, alice, bob, program, tfesi):
    for _ in range(2):
        signed(alice, bob, procedure=tfesi)
    assert progress_row(alice, program, "lumbar-tfesi").done == 2
    form = staff.get(reverse("admin:procedures_proceduretype_change", args=[tfesi.pk]))
    data = {k: v for k, v in form.context["adminform"].form.initial.items() if v is not None}
    data.update(modalities=tfesi.modalities, sides=tfesi.sides)
    data.pop("active", None)  # unticked
    response = staff.post(reverse("admin:procedures_proceduretype_change", args=[tfesi.pk]), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    tfesi.refresh_from_db()
    assert not tfesi.active
    assert progress_row(alice, program, "lumbar-tfesi").done == 2
    client_page = staff.get(reverse("admin:procedures_proceduretype_history", args=[tfesi.pk]))
    assert client_page.status_code == 200
    last = tfesi.history.first()
    assert (last.active, last.history_user.username) == (False, "admin")

    staff.force_login(alice)
    new = staff.get(reverse("procedures:entry_create"))
    assert tfesi not in new.context["form"].fields["procedure"].queryset
    entry = Entry.objects.filter(trainee=alice).first()
    assert entry.procedure == tfesi  # kept on the entry


def test_a_draft_whose_type_was_retired_can_still_be_edited(client, alice, bob, tfesi):
    draft = EntryFactory(trainee=alice, supervisor=bob, procedure=tfesi, status="draft")
    ProcedureType.objects.filter(pk=tfesi.pk).update(active=False)
    client.force_login(alice)
    page = client.get(reverse("procedures:entry_edit", args=[draft.pk]))
    assert tfesi in page.context["form"].fields["procedure"].queryset


# --- Stages and requirements --------------------------------------------------------------


def test_admin_refuses_to_delete_a_stage_of_a_program_with_trainees(staff, alice, program):
    stage = program.stages.get(key="foundations")
    page = staff.get(delete_url(stage))
    assert "is kept: trainees enrolled in its program (1)" in page.content.decode()
    staff.post(delete_url(stage), {"post": "yes"})
    assert Stage.objects.filter(pk=stage.pk).exists()
    assert stage.requirements.count() > 0


def test_shell_delete_of_a_requirement_or_a_program_with_trainees_is_refused(alice, program):
    requirement = requirement_of(program, "lumbar-tfesi")
    refused(requirement.delete)
    with pytest.raises(ProtectedError):  # its enrollments (PROTECT), before any deletion
        program.delete()
    assert Requirement.objects.filter(pk=requirement.pk).exists()


def test_inlines_offer_no_delete_box(staff, alice, program):
    stage = program.stages.get(key="foundations")
    page = staff.get(reverse("admin:curriculum_stage_change", args=[stage.pk]))
    assert page.status_code == 200
    assert "-DELETE" not in page.content.decode()
    page = staff.get(reverse("admin:programs_program_change", args=[program.pk]))
    assert "-DELETE" not in page.content.decode()


def test_a_stage_of_a_program_without_trainees_may_be_deleted(db):
    program = Program.objects.create(slug="empty", name="Empty")
    stage = Stage.objects.create(program=program, key="s", order=1, name="S")
    Requirement.objects.create(stage=stage, key="r", name="R", min_count=1, any_procedure=True)
    stage.delete()
    assert not Requirement.objects.filter(key="r", stage__program=program).exists()


def test_a_retired_requirement_no_longer_counts_on_the_next_views(
    staff, alice, bob, diana, program
):
    requirement = requirement_of(program, "lumbar-tfesi")
    assert progress_row(alice, program, "lumbar-tfesi") is not None
    Requirement.objects.filter(pk=requirement.pk).update(active=False)
    assert progress_row(alice, program, "lumbar-tfesi") is None
    staff.force_login(alice)
    page = staff.get(reverse("curriculum:my_progress")).content.decode()
    # The stages, before the competencies (one of which has the requirement's name).
    assert requirement.name not in page.split('id="competencies"')[0]
    staff.force_login(diana)
    cohort = staff.get(reverse("curriculum:cohort"))
    assert cohort.status_code == 200


def test_a_retired_stage_no_longer_counts_on_progress_or_cohort(client, alice, diana, program):
    client.force_login(diana)
    before = client.get(reverse("curriculum:cohort")).context
    assert len(before["stages"]) == len(before["rows"][0]["cells"]) == 5
    stage = program.stages.get(key="foundations")
    Stage.objects.filter(pk=stage.pk).update(active=False)
    enrollment = Enrollment.objects.get(trainee=alice, program=program)
    progress = progress_for([enrollment])[enrollment.pk]
    assert stage.pk not in [s.stage.pk for s in progress.stages]
    after = client.get(reverse("curriculum:cohort")).context
    assert stage not in after["stages"]
    assert len(after["stages"]) == len(after["rows"][0]["cells"]) == 4


def test_the_loader_retires_what_the_file_dropped_and_brings_it_back(alice, program, tmp_path):
    text = DEFAULT_PATH.read_text(encoding="utf-8")
    start = text.index('[[programs.stages.requirements]]\nkey = "msk-ultrasound-exams"')
    end = text.index("[[programs.stages.requirements]]", start + 10)
    dropped = tmp_path / "dropped.toml"
    dropped.write_text(text[:start] + text[end:], encoding="utf-8")
    stats = load_curriculum(dropped)
    assert stats["requirements retired"] == 1
    requirement = requirement_of(program, "msk-ultrasound-exams")
    assert requirement.active is False
    assert progress_row(alice, program, "msk-ultrasound-exams") is None
    load_curriculum()
    requirement.refresh_from_db()
    assert requirement.active is True
    assert progress_row(alice, program, "msk-ultrasound-exams") is not None


# --- "Any procedure" is a choice, never what an empty list turns into ----------------------


def test_an_empty_list_counts_nothing_and_any_procedure_counts_all(alice, bob, program, tfesi):
    prp = Injectate.objects.get(slug="prp")
    signed(alice, bob, procedure=tfesi, injectates=[prp], guidance="fluoroscopy")
    requirement = requirement_of(program, "prp-image-guided")
    assert requirement.any_procedure is True
    assert progress_row(alice, program, "prp-image-guided").done == 1
    Requirement.objects.filter(pk=requirement.pk).update(any_procedure=False)
    assert progress_row(alice, program, "prp-image-guided").done == 0


def test_the_admin_refuses_an_empty_list_without_any_procedure(staff, program):
    requirement = requirement_of(program, "lumbar-tfesi")
    url = reverse("admin:curriculum_requirement_change", args=[requirement.pk])
    form = staff.get(url).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None}
    data["procedure_types"] = []
    data["injectates"] = []
    response = staff.post(url, data)
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "tick “Any procedure”" in str(errors["procedure_types"])
    assert requirement.procedure_types.count() == 1
    data["procedure_types"] = [ProcedureType.objects.get(slug="lumbar-tfesi").pk]
    data["any_procedure"] = "on"
    response = staff.post(url, data)
    assert "“Any procedure” counts every type" in str(
        response.context["adminform"].form.errors["any_procedure"]
    )


def test_the_loader_refuses_a_requirement_with_no_types_and_no_any(tmp_path, program):
    text = DEFAULT_PATH.read_text(encoding="utf-8")
    i = text.index('key = "prp-image-guided"')
    j = text.index("any_procedure = true\n", i)
    bad = tmp_path / "bad.toml"
    bad.write_text(text[:j] + text[j + len("any_procedure = true\n") :], encoding="utf-8")
    with pytest.raises(LoaderError, match="any_procedure = true"):
        load_curriculum(bad)


def test_history_records_a_requirement_list_change(program):
    requirement = requirement_of(program, "lumbar-tfesi")
    before = requirement.history.count()
    requirement.procedure_types.add(ProcedureType.objects.get(slug="cervical-tfesi"))
    assert requirement.history.count() == before + 1
    latest = requirement.history.first()
    assert latest.procedure_types.count() == 2


# --- People: deactivated, never deleted ----------------------------------------------------


def test_admin_refuses_to_delete_a_user_with_records(staff, alice, bob):
    signed(alice, bob)
    page = staff.get(delete_url(bob))
    text = page.content.decode()
    assert "Deactivate the account instead" in text
    assert "entries (as supervisor) (1)" in text
    staff.post(delete_url(bob), {"post": "yes"})
    assert User.objects.filter(pk=bob.pk).exists()


@pytest.mark.parametrize("who", ["trainee", "supervisor", "director", "admin_editor"])
def test_shell_delete_of_a_user_with_records_is_refused(alice, bob, diana, admin, who):
    signed(alice, bob)
    LogEntry.objects.create(user=admin, content_type_id=1, object_repr="x", action_flag=2)
    user = {"trainee": alice, "supervisor": bob, "director": diana, "admin_editor": admin}[who]
    # A trainee's or supervisor's entries refuse by foreign key (PROTECT) before anything is
    # deleted; a director's program role or an editor's admin log would have been
    # cascaded or blanked: the guard refuses those, saying what to do instead.
    refused(
        user.delete,
        match="protected foreign keys" if who in ("trainee", "supervisor") else "Deactivate",
    )
    assert User.objects.filter(pk=user.pk).exists()


def test_a_user_without_records_may_be_deleted(staff):
    stray = UserFactory(username="typo-account")
    response = staff.post(delete_url(stray), {"post": "yes"})
    assert response.status_code == 302
    assert not User.objects.filter(pk=stray.pk).exists()


# --- The database keeps its triggers through every migration ------------------------------


def installed_triggers() -> set[str]:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
        else:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        return {row[0] for row in cursor.fetchall()}


def test_every_trigger_survives_the_migrations(db):
    """Adding a column on SQLite rebuilds a table and drops its triggers: each migration
    that does so installs them again. All of them are there at the end."""
    expected = set()
    for module in (
        "procedures.migrations.0005_record_triggers",
        "curriculum.migrations.0005_curriculum_triggers",
        "procedures.migrations.0011_monthly_counts",
    ):
        expected |= {t.name for t in importlib.import_module(module).TRIGGERS}
    assert expected <= installed_triggers()
