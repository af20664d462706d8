"""Logging at the point of care, counted in taps on a 390 px phone (issue 10, point 1).

A new right L4–L5 lumbar transforaminal epidural under fluoroscopy is logged in at most 14
taps plus typing the procedure's name and the two doses; the same procedure again, from
the recent list, in at most 8 (the form fills in what the last one had). Typing is not a
tap; tapping into a field to type is.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from procedures.models import Entry, Injectate, ProcedureType
from tests.browser.conftest import screenshot, sign_in
from tests.factories import PASSWORD, EntryFactory

pytestmark = pytest.mark.browser

TFESI = "Lumbar transforaminal epidural"
INJECTATES = ["Corticosteroid, non-particulate", "Lidocaine", "Contrast"]


class Taps:
    def __init__(self, tab):
        self.tab = tab
        self.count = 0

    def tap(self, locator):
        self.count += 1
        locator.click()

    def button(self, group: str, label: str):
        """A button in one of the form's rows of buttons, tapped on its label."""
        self.tap(self.tab.get_by_role("group", name=group).get_by_text(label, exact=True))

    def type_into(self, locator, text: str):
        self.tap(locator)
        self.tab.keyboard.type(text)


def injectate_names(entry) -> list[str]:
    return sorted(entry.injectates.values_list("name", flat=True))


def test_a_new_tfesi_in_at_most_14_taps(transactional_db, phone, alice, bob):
    sign_in(phone, "alice", PASSWORD)
    phone.goto("/entries/new/")
    taps = Taps(phone)

    # The procedure, found by typing part of its name (an abbreviation works too).
    taps.type_into(phone.get_by_label("Find a procedure"), "lumbar tfesi")
    found = phone.get_by_role("group", name="Procedures found").get_by_role("button")
    assert found.all_inner_texts() == [TFESI]
    taps.tap(found)
    assert (
        phone.get_by_role("combobox", name="Procedure").evaluate(
            "select => select.selectedOptions[0].text"
        )
        == TFESI
    )

    taps.button("Guidance", "Fluoroscopy")
    taps.button("Side", "Right")
    taps.tap(phone.get_by_role("button", name="L4–L5", exact=True))
    assert phone.get_by_label("Levels", exact=True).input_value() == "L4–L5"
    taps.button("Purpose", "Therapeutic")
    for name in INJECTATES:
        taps.button("Injectates", name)
    taps.button("Your role", "Performed with supervisor present")
    # The supervisor: bob is alice's only one, so he is already chosen.
    assert phone.get_by_role("combobox", name="Supervisor").input_value() == str(bob.pk)
    taps.type_into(phone.get_by_label("Fluoroscopy time (s)"), "32.5")
    taps.type_into(phone.get_by_label("Dose-area product (mGy·cm²)"), "410")
    # The transforaminal safety checks, all done, in one tap (issue 11, point 2).
    taps.tap(phone.get_by_role("button", name="All done", exact=False))
    assert phone.get_by_role("group", name="Contrast pattern").get_by_label("Epidural").is_checked()
    screenshot(phone, "entry-form-tfesi-390")
    with phone.expect_navigation():
        taps.tap(phone.get_by_role("button", name="Submit for sign-off"))

    assert phone.get_by_text("Submitted for sign-off.").is_visible()
    assert taps.count <= 14, f"{taps.count} taps"
    entry = Entry.objects.get(trainee=alice)
    assert (entry.procedure.name, entry.guidance, entry.side, entry.levels) == (
        TFESI,
        "fluoroscopy",
        "right",
        "L4–L5",
    )
    assert entry.status == Entry.Status.SUBMITTED
    assert entry.supervisor == bob
    assert injectate_names(entry) == sorted(INJECTATES)
    assert (str(entry.fluoro_time_s), entry.dap) == ("32.5", 410)
    assert (entry.live_contrast, entry.dsa, entry.contrast_pattern, entry.images_retained) == (
        True,
        True,
        "epidural",
        True,
    )
    print(f"\nA new TFESI: {taps.count} taps plus typing")


def test_the_same_procedure_again_from_the_recent_list_in_at_most_8_taps(
    transactional_db, phone, alice, bob
):
    tfesi = ProcedureType.objects.get(name=TFESI)
    last = EntryFactory(
        trainee=alice,
        supervisor=bob,
        procedure=tfesi,
        guidance="ct",
        side="left",
        levels="L5–S1",
        approach="infraneural",
        purpose=Entry.Purpose.DIAGNOSTIC,
        role=Entry.Role.PERFORMED_AVAILABLE,
        fluoro_time_s=None,
        dap=None,
        dlp=300,
        performed_on=timezone.localdate() - timedelta(days=3),
    )
    last.injectates.set(Injectate.objects.filter(name__in=["Lidocaine", "Contrast"]))
    # A knee injection since: the recent list holds both, and the knee's own choices.
    EntryFactory(
        trainee=alice,
        supervisor=bob,
        procedure=ProcedureType.objects.get(slug="knee-joint"),
        guidance="ultrasound",
        side="right",
        levels="",
        fluoro_time_s=None,
        dap=None,
        performed_on=timezone.localdate() - timedelta(days=1),
    )
    sign_in(phone, "alice", PASSWORD)
    phone.goto("/entries/new/")
    recent = phone.get_by_role("group", name="Your recent and frequent procedures")
    assert TFESI in recent.all_inner_texts()[0]

    taps = Taps(phone)
    taps.tap(recent.get_by_role("button", name=TFESI))
    # Filled in from the last TFESI: CT, infraneural, diagnostic, the role, the injectates.
    guidance = phone.get_by_role("group", name="Guidance")
    assert guidance.get_by_role("radio", name="CT").is_checked()
    assert phone.get_by_role("radio", name="Infraneural (Kambin’s triangle)").is_checked()
    assert phone.get_by_role("radio", name="Diagnostic").is_checked()
    assert phone.get_by_role("radio", name="Performed with supervisor available").is_checked()
    assert (
        phone.get_by_role("group", name="Injectates")
        .get_by_role("checkbox", name="Lidocaine")
        .is_checked()
    )
    # ...never the side, the levels or the dose, which are this patient's.
    assert phone.get_by_label("Levels", exact=True).input_value() == ""
    assert not phone.get_by_role("radio", name="Left").is_checked()

    taps.button("Side", "Right")
    taps.tap(phone.get_by_role("button", name="L4–L5", exact=True))
    taps.tap(phone.get_by_role("button", name="L5–S1", exact=True))
    taps.type_into(phone.get_by_label("Dose-length product (mGy·cm)"), "250")
    with phone.expect_navigation():
        taps.tap(phone.get_by_role("button", name="Submit for sign-off"))
    assert phone.get_by_text("Submitted for sign-off.").is_visible()
    assert taps.count <= 8, f"{taps.count} taps"
    entry = Entry.objects.filter(trainee=alice).order_by("-id").first()
    assert (entry.guidance, entry.side, entry.levels, entry.approach) == (
        "ct",
        "right",
        "L4–L5, L5–S1",
        "infraneural",
    )
    assert entry.role == Entry.Role.PERFORMED_AVAILABLE
    assert injectate_names(entry) == ["Contrast", "Lidocaine"]
    assert entry.dlp == 250
    print(f"\nThe same procedure again: {taps.count} taps plus typing")


def test_choosing_another_procedure_takes_back_what_the_first_filled_in(
    transactional_db, phone, alice, bob
):
    """A shoulder case after a TFESI does not stay on fluoroscopy (the bug of issue 10)."""
    EntryFactory(
        trainee=alice,
        supervisor=bob,
        procedure=ProcedureType.objects.get(name=TFESI),
        guidance="fluoroscopy",
    )
    EntryFactory(
        trainee=alice,
        supervisor=bob,
        procedure=ProcedureType.objects.get(slug="glenohumeral-joint"),
        guidance="ultrasound",
        side="left",
        levels="",
        approach="posterior",
        fluoro_time_s=None,
        dap=None,
        performed_on=timezone.localdate() - timedelta(days=30),
    )
    sign_in(phone, "alice", PASSWORD)
    phone.goto("/entries/new/")
    recent = phone.get_by_role("group", name="Your recent and frequent procedures")
    recent.get_by_role("button", name=TFESI).click()
    assert phone.get_by_role("radio", name="Fluoroscopy").is_checked()
    recent.get_by_role("button", name="Glenohumeral joint injection").click()
    assert phone.get_by_role("radio", name="Ultrasound").is_checked()
    assert not phone.get_by_role("radio", name="Fluoroscopy").is_checked()
    assert phone.get_by_role("radio", name="Posterior").is_checked()
    # No levels for a shoulder: the field and its buttons are gone.
    assert not phone.get_by_label("Levels", exact=True).is_visible()
