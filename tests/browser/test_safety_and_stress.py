"""The safety bundle and stress ultrasound at 390 px (issue 11, points 2 and 3): a red flag
the supervisor must acknowledge before signing, and an examination's computed finding."""

import pytest

from procedures.models import Entry, Signature
from tests.browser.conftest import choose, fill_entry, screenshot, sign_in
from tests.browser.test_accessibility import assert_accessible
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser


def test_a_red_flag_is_acknowledged_before_the_signature(
    transactional_db, phone, chromium, live_server, alice, bob
):
    sign_in(phone, "alice", PASSWORD)
    phone.goto("/entries/new/")
    fill_entry(phone, procedure="Cervical transforaminal epidural", levels="C5-6")
    choose(phone, "Injectates", "Corticosteroid, particulate")
    phone.get_by_role("button", name="All done", exact=False).click()
    with phone.expect_navigation():
        phone.get_by_role("button", name="Submit for sign-off").click()
    entry = Entry.objects.get(trainee=alice)
    assert (entry.live_contrast, entry.dsa, entry.images_retained) == (True, True, True)

    context = chromium.new_context(
        viewport={"width": 390, "height": 844}, base_url=live_server.url, reduced_motion="reduce"
    )
    tab = context.new_page()
    sign_in(tab, "bob", PASSWORD)
    tab.goto("/entries/sign-off/")
    row = tab.locator(f"#entry-{entry.pk}")
    assert "Red flag" in row.inner_text()
    assert "Particulate steroid in a cervical transforaminal injection" in row.inner_text()
    screenshot(tab, "safety-red-flag-queue-390")

    tab.goto(entry.get_absolute_url())
    assert "Red flag:" in tab.locator("#safety").inner_text()
    assert_accessible(tab)
    tab.get_by_text("4 – “I needed to be in the room just in case”").click()
    if tab.get_by_label("Your password").count():
        tab.get_by_label("Your password").fill(PASSWORD)
    tab.get_by_role("button", name="Sign off", exact=True).click()
    tab.wait_for_load_state()
    assert "Nothing was signed: this entry has a red flag" in tab.content()
    assert not Signature.objects.exists()
    screenshot(tab, "safety-acknowledge-390")

    tab.get_by_label("I acknowledge the red flag").check()
    tab.get_by_text("4 – “I needed to be in the room just in case”").click()
    if tab.get_by_label("Your password").count():
        tab.get_by_label("Your password").fill(PASSWORD)
    with tab.expect_navigation():
        tab.get_by_role("button", name="Sign off", exact=True).click()
    assert Signature.objects.get().meaning.endswith(
        "red flag acknowledged: particulate steroid in a cervical transforaminal injection"
    )
    context.close()


def test_a_stress_examination_reads_lax_from_its_measurements(transactional_db, phone, alice):
    sign_in(phone, "alice", PASSWORD)
    phone.goto("/entries/new/")
    phone.get_by_role("combobox", name="Procedure").select_option(
        label="Stress ultrasound instability examination"
    )
    choose(phone, "Side", "Right")
    choose(phone, "Purpose", "Diagnostic")
    choose(phone, "Your role", "Performed with supervisor present")
    structure = phone.get_by_role("combobox", name="Structure examined")
    assert structure.is_visible()
    structure.select_option(label="Shoulder: posterior translation")
    phone.get_by_label("Side examined, at rest (mm)").fill("4.5")
    phone.get_by_label("Side examined, under stress (mm)").fill("11")
    phone.get_by_label("Other side, at rest (mm)").fill("4.5")
    phone.get_by_label("Other side, under stress (mm)").fill("7")
    with phone.expect_navigation():
        phone.get_by_role("button", name="Submit for sign-off").click()

    section = phone.locator("#stress").inner_text()
    assert "Lax" in section and "Side-to-side difference 4.0 mm" in section
    screenshot(phone, "stress-exam-390")
    assert_accessible(phone)
