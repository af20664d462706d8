"""The DOPS loop at 390 px (issue 10, point 5): a supervisor opens a trainee's entry,
records a DOPS from it, finds the form prefilled and the requirement it counts for named,
saves; the trainee sees the rating and the comments on Progress and on the entry."""

import pytest
from django.utils import timezone

from curriculum.models import ObservedAssessment
from procedures.models import Entry, ProcedureType
from tests.browser.conftest import ARTIFACTS, screenshot, sign_in
from tests.factories import PASSWORD, EntryFactory

pytestmark = pytest.mark.browser

MBB_DOPS = "DOPS on a lumbar medial branch block, rated 4 or higher"
RADIATION_DOPS = "Radiation-safety DOPS under fluoroscopy"


def phone_context(chromium, live_server):
    context = chromium.new_context(
        viewport={"width": 390, "height": 844}, base_url=live_server.url, locale="en-US"
    )
    context.set_default_timeout(10_000)
    return context


def test_a_dops_recorded_from_an_entry_reaches_the_trainee(
    transactional_db, chromium, live_server, alice, bob
):
    performed_on = timezone.localdate() - timezone.timedelta(days=2)
    entry = EntryFactory(
        trainee=alice,
        supervisor=bob,
        procedure=ProcedureType.objects.get(slug="lumbar-mbb"),
        performed_on=performed_on,
        status=Entry.Status.SUBMITTED,
        submitted_at=timezone.now(),
    )

    supervisor = phone_context(chromium, live_server)
    tab = supervisor.new_page()
    sign_in(tab, "bob", PASSWORD)
    tab.goto(f"/entries/{entry.pk}/")
    tab.get_by_role("link", name="Record a DOPS").scroll_into_view_if_needed()
    screenshot(tab, "entry-record-dops-390")
    tab.get_by_role("link", name="Record a DOPS").click()
    tab.wait_for_load_state()

    # Prefilled from the entry: date, procedure, guidance; and the requirement it counts for.
    assert tab.get_by_label("Date observed").input_value() == performed_on.isoformat()
    procedure = tab.get_by_label("Procedure")
    assert procedure.evaluate("s => s.selectedOptions[0].text") == "Lumbar medial branch block"
    guidance = tab.get_by_label("Guidance")
    assert guidance.evaluate("s => s.selectedOptions[0].text") == "Fluoroscopy"
    counts_for = tab.get_by_label("Counts for")
    # Only the requirements that ask for this procedure and guidance are offered.
    offered = counts_for.evaluate("s => Array.from(s.options).map(o => o.text)")
    assert offered == [f"{RADIATION_DOPS} (stage 1)", f"{MBB_DOPS} (stage 2)"]
    assert counts_for.evaluate("s => s.selectedOptions[0].text") == f"{MBB_DOPS} (stage 2)"
    status = tab.locator("#dops-counts-for")
    assert status.inner_text() == f"This DOPS will count for “{MBB_DOPS}” when rated 4 or higher."

    # A rating too low says so; a high enough one counts.
    tab.get_by_label("3 – “I had to prompt them from time to time”").check()
    assert "rated 3, it will not count" in status.inner_text()
    tab.get_by_label("4 – “I needed to be in the room just in case”").check()
    assert status.inner_text().endswith("when rated 4 or higher.")
    tab.get_by_label("Comments").fill("Steady needle; check the lateral view before contrast.")
    screenshot(tab, "dops-form-390")
    tab.get_by_role("button", name="Record assessment").click()
    tab.wait_for_load_state()
    assert tab.get_by_text(f"It counts for “{MBB_DOPS}”.").is_visible()
    supervisor.close()

    assessment = ObservedAssessment.objects.get()
    assert (assessment.entry_id, assessment.rating, assessment.requirement.name) == (
        entry.pk,
        4,
        MBB_DOPS,
    )

    trainee = phone_context(chromium, live_server)
    tab = trainee.new_page()
    sign_in(tab, "alice", PASSWORD)
    tab.goto("/progress/")
    section = tab.locator("section[aria-labelledby=progress-dops]")
    section.scroll_into_view_if_needed()
    text = section.inner_text()
    assert "Global rating 4/5: “I needed to be in the room just in case”" in text
    assert "Steady needle; check the lateral view before contrast." in text
    assert f"counts for {MBB_DOPS}" in text
    screenshot(tab, "progress-dops-390")
    section.screenshot(path=str(ARTIFACTS / "progress-dops-section-390.png"))
    section.get_by_role("link", name="the log entry").click()
    tab.wait_for_load_state()
    entry_section = tab.locator("section[aria-labelledby=entry-dops]")
    text = entry_section.inner_text()
    assert "Global rating 4/5: “I needed to be in the room just in case”" in text
    assert "Steady needle; check the lateral view before contrast." in text
    assert tab.get_by_role("link", name="Record a DOPS").count() == 0
    screenshot(tab, "entry-dops-390")
    tab.goto("/progress/portfolio/")
    portfolio = tab.locator("section[aria-labelledby=portfolio-dops]")
    assert "Steady needle; check the lateral view before contrast." in portfolio.inner_text()
    portfolio.screenshot(path=str(ARTIFACTS / "portfolio-dops-section-390.png"))
    trainee.close()


def test_when_no_requirement_matches_the_form_says_so(
    transactional_db, chromium, live_server, alice, bob
):
    context = phone_context(chromium, live_server)
    tab = context.new_page()
    sign_in(tab, "bob", PASSWORD)
    tab.goto(f"/trainees/{alice.enrollments.get().pk}/assessments/new/")
    status = tab.locator("#dops-counts-for")
    assert status.inner_text().startswith("Choose the procedure and guidance")
    tab.get_by_label("Procedure").select_option(label="Knee joint injection")
    tab.get_by_label("Guidance").select_option(label="Ultrasound")
    assert status.inner_text().startswith("No requirement of this program asks for a DOPS")
    counts_for = tab.get_by_label("Counts for")
    assert counts_for.evaluate("s => Array.from(s.options).map(o => o.text)") == [
        "None: no requirement asks for this DOPS"
    ]
    tab.get_by_label("Guidance").select_option(label="Fluoroscopy")
    assert counts_for.evaluate("s => s.selectedOptions[0].text") == f"{RADIATION_DOPS} (stage 1)"
    context.close()
