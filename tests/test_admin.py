"""Django admin: every model's list (with its filters and search) and add form render."""

from decimal import Decimal

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from curriculum.decisions import record_decision
from curriculum.dosimetry import record_reading
from curriculum.models import Competency
from procedures.models import SignatureCheck
from programs.models import Enrollment
from tests.factories import PASSWORD, EntryFactory


@pytest.fixture
def admin_client_with_data(client, admin, alice, bob, diana):
    entry = EntryFactory(trainee=alice)
    SignatureCheck.objects.create(entry=entry, revision=1, found_at=timezone.now())
    Group.objects.create(name="Coordinators")
    record_decision(  # a signed entrustment decision
        director=diana,
        enrollment=Enrollment.objects.select_related("program").get(trainee=alice),
        competency=Competency.objects.order_by("pk").first(),
        level=1,
        decided_on=timezone.localdate(),
        rationale="Seen in the admin.",
    )
    # A reading over an investigation level: a DoseReading and its DoseAlerts.
    record_reading(
        person=alice,
        by=alice,
        period_start=timezone.localdate(),
        period_end=timezone.localdate(),
        whole_body=Decimal("2"),
        lens=None,
        extremity=None,
    )
    DBTaskResult.objects.create(  # a queued email (procedures.mail)
        task_path="procedures.mail.send_email",
        args_kwargs={"args": [], "kwargs": {"subject": "Hi", "body": "", "to": "a@example.org"}},
        backend_name="default",
    )
    # A failed and a successful sign-in, so django-axes' logs have rows.
    client.post(reverse("login"), {"username": "bob", "password": "wrong"})
    client.post(reverse("login"), {"username": "alice", "password": PASSWORD})
    client.logout()
    client.force_login(admin)
    return client


@pytest.mark.parametrize(
    "model", list(admin.site._registry), ids=lambda m: f"{m._meta.app_label}.{m.__name__}"
)
def test_admin_changelist_search_and_add_render(admin_client_with_data, model):
    opts = model._meta
    changelist = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    assert admin_client_with_data.get(changelist).status_code == 200
    assert admin_client_with_data.get(changelist, {"q": "lumbar"}).status_code == 200
    add = reverse(f"admin:{opts.app_label}_{opts.model_name}_add")
    # django-axes' logs and the task queue are read-only in the admin, entries are logged by
    # their trainees only, signature findings are made by the checks, and dosimeter
    # readings and their alerts by curriculum.dosimetry, entrustment decisions signed by
    # the director's form (curriculum.decisions): no add page.
    read_only = opts.app_label in ("axes", "django_tasks_database") or model.__name__ in (
        "Entry",
        "SignatureCheck",
        "DoseReading",
        "DoseAlert",
        "EntrustmentDecision",
    )
    assert admin_client_with_data.get(add).status_code == (403 if read_only else 200)


def test_non_staff_cannot_open_the_admin(client, alice):
    client.force_login(alice)
    response = client.get(reverse("admin:procedures_entry_changelist"))
    assert response.status_code == 302
    assert "/admin/login/" in response.url


@pytest.mark.parametrize(
    "model", list(admin.site._registry), ids=lambda m: f"{m._meta.app_label}.{m.__name__}"
)
def test_admin_change_page_renders(admin_client_with_data, model):
    obj = model._default_manager.order_by("pk").first()
    assert obj is not None
    opts = model._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
    assert admin_client_with_data.get(url).status_code == 200


# --- The admin is no second door to the record ----------------------------------------------


def change_url(entry):
    return reverse("admin:procedures_entry_change", args=[entry.pk])


def admin_post(entry, **overrides) -> dict:
    data = {
        "performed_on": entry.performed_on.isoformat(),
        "procedure": entry.procedure_id,
        "guidance": entry.guidance,
        "side": entry.side,
        "levels": entry.levels,
        "purpose": entry.purpose,
        "role": entry.role,
        "supervisor": entry.supervisor_id or "",
        "fluoro_time_s": entry.fluoro_time_s or "",
        "dap": entry.dap or "",
        "complication": entry.complication,
        "notes": entry.notes,
        # What a hostile form would add: none of these are admin fields.
        "status": "signed_off",
        "autonomy": "5",
        "revision": "7",
    }
    data.update(overrides)
    return data


def test_admin_cannot_sign_off_or_edit_a_signed_off_entry(client, admin, alice, bob):
    from procedures import services
    from tests.procedures.test_signoff import state, submitted_entry

    entry = submitted_entry(alice, bob)
    services.entry_sign_off(entry_id=entry.pk, supervisor=bob, autonomy=4)
    entry.refresh_from_db()
    before = state(entry)
    client.force_login(admin)
    page = client.get(change_url(entry))
    assert page.status_code == 200  # a read-only view
    assert b'name="notes"' not in page.content
    response = client.post(change_url(entry), admin_post(entry, notes="Changed by staff."))
    assert response.status_code == 403
    assert state(entry) == before


def test_admin_status_fields_are_read_only_on_a_draft(client, admin, alice, bob):
    from procedures.models import Entry

    draft = EntryFactory(trainee=alice, supervisor=bob)
    client.force_login(admin)
    response = client.post(change_url(draft), admin_post(draft, notes="Tidied by staff."))
    assert response.status_code == 302, response.content.decode()[:2000]
    draft.refresh_from_db()
    assert (draft.status, draft.autonomy, draft.revision) == (Entry.Status.DRAFT, None, 1)
    assert draft.notes == "Tidied by staff."


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("notes", "MRN 4455123, born 02/02/1960", "patient identifiers"),
        ("performed_on", "2099-01-01", "cannot be in the future"),
        ("levels", "L9–L10", "not a vertebral level"),
    ],
)
def test_admin_edits_of_a_draft_follow_the_form_rules(
    client, admin, alice, bob, field, value, message
):
    from tests.procedures.test_signoff import state

    draft = EntryFactory(trainee=alice, supervisor=bob)
    before = state(draft)
    client.force_login(admin)
    response = client.post(change_url(draft), admin_post(draft, **{field: value}))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert state(draft) == before


def test_admin_cannot_add_an_entry(client, admin, alice, bob):
    from procedures.models import Entry

    client.force_login(admin)
    draft = EntryFactory.build(trainee=alice, supervisor=bob)
    response = client.post(
        reverse("admin:procedures_entry_add"), {**admin_post(draft), "trainee": alice.pk}
    )
    assert response.status_code == 403
    assert not Entry.objects.exists()


def test_a_stale_admin_edit_cannot_overwrite_an_entry_signed_off_meanwhile(
    client, admin, alice, bob, monkeypatch
):
    """The admin read a Draft and checked its permissions and form; before its save, the
    trainee submitted it and the supervisor signed it off (their transactions committed
    after the admin's read). Nothing of the admin's edit is written
    and the page says so (no 500)."""
    from procedures import services
    from procedures.admin import EntryAdmin
    from procedures.models import Entry, Signature

    draft = EntryFactory(trainee=alice, supervisor=bob)
    stale = Entry.objects.get(pk=draft.pk)  # the admin's read, before the others commit
    services.entry_submit(entry=Entry.objects.get(pk=draft.pk), by=alice)
    services.entry_sign_off(entry_id=draft.pk, supervisor=bob, autonomy=3)
    monkeypatch.setattr(EntryAdmin, "get_object", lambda self, request, object_id, f=None: stale)
    client.force_login(admin)
    response = client.post(change_url(draft), admin_post(draft, notes="Tidied by staff."))
    assert response.status_code == 302
    assert response["Location"] == change_url(draft)
    page = client.get(response["Location"])
    assert "Nothing was saved: this entry changed while you were editing it" in (
        page.content.decode()
    )
    # The sign-off made meanwhile stands, whole; the admin's edit left no trace.
    stored = Entry.objects.get(pk=draft.pk)
    assert (stored.status, stored.notes) == (Entry.Status.SIGNED_OFF, draft.notes)
    assert services.content_hash(stored) == Signature.objects.get(entry=stored).content_hash
    from django.contrib.admin.models import LogEntry

    assert not LogEntry.objects.filter(object_id=str(draft.pk)).exists()
