"""A trainee signs in on a phone and logs a procedure through the real form."""

import pytest

from procedures.models import Entry
from tests.browser.conftest import fill_entry, screenshot, sign_in
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser


def test_trainee_logs_a_transforaminal_epidural_as_draft_then_submits(
    transactional_db, phone, alice, bob
):
    sign_in(phone, "alice", PASSWORD)
    phone.get_by_role("button", name="Toggle navigation").click()
    phone.get_by_role("navigation", name="Main").get_by_role("link", name="Log a procedure").click()
    fill_entry(phone, levels="l4-l5")
    phone.get_by_label("Fluoroscopy time (s)").fill("42.5")
    phone.get_by_label("Dose-area product (mGy·cm²)").fill("380")
    # Not a CT case: the dose-length product field is not offered.
    assert phone.get_by_label("Dose-length product (mGy·cm)").is_hidden()
    screenshot(phone, "entry-form-390")

    phone.get_by_role("button", name="Save draft").click()
    phone.wait_for_load_state()
    assert phone.get_by_text("Saved as draft.").is_visible()
    entry = Entry.objects.get(trainee=alice)
    assert entry.status == Entry.Status.DRAFT
    assert entry.levels == "L4–L5"
    assert entry.side == "right"

    phone.get_by_role("button", name="Submit for sign-off").click()
    phone.wait_for_load_state()
    assert phone.get_by_text("Submitted for sign-off.").is_visible()
    entry.refresh_from_db()
    assert entry.status == Entry.Status.SUBMITTED
    assert entry.supervisor == bob

    phone.goto("/entries/")
    row = phone.get_by_role("row").filter(has_text="Lumbar transforaminal epidural")
    assert row.get_by_text("Submitted").is_visible()
    assert row.get_by_text("Right L4–L5").is_visible()
    screenshot(phone, "logbook-390")


def test_bad_input_is_refused_on_the_field_and_kept(transactional_db, phone, alice, bob):
    sign_in(phone, "alice", PASSWORD)
    phone.goto("/entries/new/")
    fill_entry(phone, side="Left", levels="C5–C6", role="Assisted", supervisor=None)
    phone.get_by_label("Notes").fill("MRN 12345678 tolerated well")
    phone.get_by_role("button", name="Save draft").click()
    phone.wait_for_load_state()
    assert phone.get_by_text("C5 is outside this procedure’s region").is_visible()
    assert phone.get_by_text("Precept never stores patient identifiers").is_visible()
    assert phone.get_by_label("Levels", exact=True).input_value() == "C5–C6"
    assert phone.get_by_label("Notes").input_value() == "MRN 12345678 tolerated well"
    assert not Entry.objects.exists()
    screenshot(phone, "entry-form-errors-390")


@pytest.mark.parametrize(
    ("procedure", "written", "stored"),
    [
        ("Lumbar transforaminal epidural", "L4-5", "L4–L5"),
        ("Lumbar transforaminal epidural", "L4/5 and L5/S1", "L4–L5, L5–S1"),
        ("Cervical transforaminal epidural", "C5-6", "C5–C6"),
    ],
)
def test_levels_typed_in_shorthand_are_kept_canonically(
    transactional_db, phone, alice, bob, procedure, written, stored
):
    """Issue 10: levels as clinicians write them, on a 390 px phone."""
    sign_in(phone, "alice", PASSWORD)
    phone.goto("/entries/new/")
    fill_entry(phone, procedure=procedure, levels=written)
    phone.get_by_role("button", name="Save draft").click()
    phone.wait_for_load_state()
    assert phone.get_by_text("Saved as draft.").is_visible()
    assert Entry.objects.get(trainee=alice).levels == stored
    assert phone.get_by_text(stored).first.is_visible()
