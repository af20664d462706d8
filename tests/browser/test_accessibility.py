"""Accessibility (issue "Production readiness", item 6).

axe-core, run in Chromium on every main page at a phone width (390 px) and a desktop
width (1280 px), finds no violation of impact "serious" or "critical"; and the entry
form can be filled and submitted with the keyboard alone, with a visible focus ring.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from curriculum.models import ObservedAssessment, Requirement
from procedures.models import Entry, Injectate, ProcedureType
from tests.browser.conftest import sign_in
from tests.factories import PASSWORD, EntryFactory

pytestmark = pytest.mark.browser

WIDTHS = (390, 1280)
BLOCKING = {"serious", "critical"}


@pytest.fixture
def tab(chromium, live_server):
    """A page whose window is resized between axe runs (390 px wide to start)."""
    context = chromium.new_context(
        viewport={"width": 390, "height": 844}, base_url=live_server.url, locale="en-US"
    )
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def axe_problems(tab) -> list[str]:
    """One line per serious or critical axe violation on the page as it is now, at each
    width: rule id, impact, the elements' selectors and axe's own summary."""
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    problems = []
    for width in WIDTHS:
        tab.set_viewport_size({"width": width, "height": 900})
        results = axe.run(tab)
        for violation in results.response["violations"]:
            nodes = [n for n in violation["nodes"] if n.get("impact") in BLOCKING]
            if violation["impact"] not in BLOCKING and not nodes:
                continue
            targets = "; ".join(
                " ".join(map(str, node["target"])) for node in nodes or violation["nodes"]
            )
            problems.append(
                f"{tab.url} @ {width}px: {violation['id']} ({violation['impact']}) "
                f"on [{targets}]: {violation['help']}"
            )
    return problems


def assert_accessible(tab):
    """No serious or critical violation at either width, with everything a user can
    unfold unfolded: the phone menu, the Progress stages, every <details>."""
    tab.wait_for_load_state("load")
    tab.evaluate(
        """() => {
          document.querySelectorAll("details").forEach((d) => { d.open = true; });
          document.querySelectorAll(".collapse").forEach((c) => c.classList.add("show"));
        }"""
    )
    problems = axe_problems(tab)
    assert not problems, "axe found serious/critical violations:\n" + "\n".join(problems)


def some_entries(alice, bob):
    """A draft, two submitted, a signed-off and a returned entry of alice's."""
    now = timezone.now()
    EntryFactory(trainee=alice, supervisor=bob)
    for days in (2, 1):
        EntryFactory(
            trainee=alice,
            supervisor=bob,
            status=Entry.Status.SUBMITTED,
            submitted_at=now - timedelta(days=days),
            performed_on=timezone.localdate() - timedelta(days=days),
        )
    EntryFactory(
        trainee=alice,
        supervisor=bob,
        status=Entry.Status.SIGNED_OFF,
        autonomy=4,
        submitted_at=now - timedelta(days=3),
        side="left",
        levels="L5–S1",
    )
    EntryFactory(
        trainee=alice,
        supervisor=bob,
        status=Entry.Status.RETURNED,
        submitted_at=now - timedelta(days=4),
    )


# --- axe on every main page -----------------------------------------------------------


def test_axe_runs_and_reports_what_it_finds(tab):
    """The check itself works: a page with known faults fails it, naming them."""
    tab.set_content(
        '<html><body><main><input type="text">'
        '<p style="color:#bbb;background:#fff">faint</p></main></body></html>'
    )
    problems = "\n".join(axe_problems(tab))
    assert "label (critical) on [input]" in problems
    assert "color-contrast (serious) on [p]" in problems


def test_sign_in_page(transactional_db, tab):
    tab.goto("/accounts/login/")
    assert_accessible(tab)


def phone_screenshot(tab, name: str) -> None:
    """A screenshot of a page of Home or E-mail settings as axe starts on it (390 px), in
    test-artifacts/, to look at."""
    from tests.browser.conftest import screenshot

    screenshot(tab, name)


def home_items(alice, bob):
    """What Home lists for alice and bob: a returned entry with its comment, an old draft,
    an entry waiting on bob for three weeks and one for six."""
    from procedures.services import entry_return

    now = timezone.now()
    entry = EntryFactory(
        trainee=alice, supervisor=bob, status=Entry.Status.SUBMITTED, submitted_at=now
    )
    entry_return(
        entry_id=entry.pk, supervisor=bob, comment="Which level was it? The notes say L5–S1."
    )
    draft = EntryFactory(trainee=alice, supervisor=bob, levels="L3–L4")
    Entry.objects.filter(pk=draft.pk).update(created_at=now - timedelta(days=12))
    for days in (21, 45):
        EntryFactory(
            trainee=alice,
            supervisor=bob,
            status=Entry.Status.SUBMITTED,
            submitted_at=now - timedelta(days=days),
            performed_on=timezone.localdate() - timedelta(days=days),
        )


def test_home_for_a_trainee_with_things_to_do(transactional_db, tab, alice, bob):
    home_items(alice, bob)
    sign_in(tab, "alice", PASSWORD)  # signing in lands on Home
    assert tab.get_by_role("heading", name="Returned to you to fix").is_visible()
    assert tab.get_by_text("Which level was it? The notes say L5–S1.").is_visible()
    assert tab.get_by_role("heading", name="Next requirement to work on").is_visible()
    phone_screenshot(tab, "home-trainee-390")
    assert_accessible(tab)


def test_home_for_a_supervisor(transactional_db, tab, alice, bob):
    home_items(alice, bob)
    sign_in(tab, "bob", PASSWORD)
    assert tab.get_by_role("link", name="Sign-off queue: 2 entries waiting").is_visible()
    assert tab.get_by_text("1 entry has waited more than 30 days").is_visible()
    phone_screenshot(tab, "home-supervisor-390")
    assert_accessible(tab)


def test_home_for_a_director(transactional_db, tab, alice, bob, charlie, diana):
    home_items(alice, bob)
    sign_in(tab, "diana", PASSWORD)
    assert tab.get_by_text("1 sign-off waiting more than 30 days").is_visible()
    phone_screenshot(tab, "home-director-390")
    assert_accessible(tab)


def test_email_settings(transactional_db, tab, alice):
    sign_in(tab, "alice", PASSWORD)
    tab.get_by_role("button", name="Toggle navigation").click()
    link = tab.get_by_role("link", name="E-mail settings")
    tab.locator("#nav-main.collapse.show").wait_for()  # the menu done unfolding
    phone_screenshot(tab, "nav-menu-390")
    link.click()
    tab.get_by_label("One daily digest of the entries waiting for me").check()
    tab.get_by_label("No weekly digest").check()
    tab.get_by_role("button", name="Save").click()
    tab.wait_for_load_state()
    assert tab.get_by_text("E-mail settings saved.").is_visible()
    phone_screenshot(tab, "email-settings-390")
    assert_accessible(tab)


def test_logbook(transactional_db, tab, alice, bob):
    some_entries(alice, bob)
    sign_in(tab, "alice", PASSWORD)
    tab.goto("/entries/")
    assert tab.get_by_role("row").filter(has_text="Returned").count() == 1
    assert_accessible(tab)


def test_log_a_procedure(transactional_db, tab, alice, bob):
    sign_in(tab, "alice", PASSWORD)
    tab.goto("/entries/new/")
    assert_accessible(tab)


def test_log_a_procedure_with_errors(transactional_db, tab, alice, bob):
    sign_in(tab, "alice", PASSWORD)
    tab.goto("/entries/new/")
    tab.get_by_role("combobox", name="Procedure").select_option(
        label="Lumbar transforaminal epidural"
    )
    tab.get_by_label("Levels", exact=True).fill("C5–C6")
    tab.get_by_label("Notes").fill("MRN 12345678 tolerated well")
    tab.get_by_role("button", name="Submit for sign-off").click()
    tab.wait_for_load_state()
    assert tab.get_by_text("Please correct the fields marked below").is_visible()
    assert_accessible(tab)


def test_sign_off_queue(transactional_db, tab, alice, bob):
    some_entries(alice, bob)
    sign_in(tab, "bob", PASSWORD)
    tab.goto("/entries/sign-off/")
    assert tab.locator("main li.list-group-item").count() == 2
    assert_accessible(tab)


def test_entry_page_with_sign_off_and_return_forms(transactional_db, tab, alice, bob):
    entry = EntryFactory(
        trainee=alice, supervisor=bob, status=Entry.Status.SUBMITTED, submitted_at=timezone.now()
    )
    sign_in(tab, "bob", PASSWORD)
    tab.goto(f"/entries/{entry.pk}/")
    assert tab.get_by_role("button", name="Return to trainee").is_visible()
    assert_accessible(tab)


def test_progress(transactional_db, tab, alice, bob):
    some_entries(alice, bob)
    sign_in(tab, "alice", PASSWORD)
    tab.goto("/progress/")
    assert_accessible(tab)


def some_dops(alice, bob) -> Entry:
    """A submitted lumbar medial branch block of alice's with a DOPS on it, and a DOPS on
    no entry, rated too low for its requirement."""
    mbb = ProcedureType.objects.get(slug="lumbar-mbb")
    entry = EntryFactory(
        trainee=alice,
        supervisor=bob,
        procedure=mbb,
        status=Entry.Status.SUBMITTED,
        submitted_at=timezone.now(),
    )
    for linked, rating in ((entry, 4), (None, 2)):
        ObservedAssessment.objects.create(
            trainee=alice,
            assessor=bob,
            entry=linked,
            procedure=mbb,
            guidance="fluoroscopy",
            rating=rating,
            comments="Steady needle; check the lateral view.",
            observed_on=timezone.localdate(),
            requirement=Requirement.objects.get(key="lumbar-mbb-dops"),
        )
    return entry


def test_progress_with_dops(transactional_db, tab, alice, bob):
    some_dops(alice, bob)
    sign_in(tab, "alice", PASSWORD)
    tab.goto("/progress/")
    assert tab.locator(".dops-item").count() == 2
    assert_accessible(tab)


def test_entry_page_with_dops_and_record_a_dops(transactional_db, tab, alice, bob):
    entry = some_dops(alice, bob)
    sign_in(tab, "bob", PASSWORD)
    tab.goto(f"/entries/{entry.pk}/")
    assert tab.get_by_role("link", name="Record a DOPS").is_visible()
    assert tab.locator(".dops-item").count() == 1
    assert_accessible(tab)


def test_dops_form_prefilled_from_an_entry(transactional_db, tab, alice, bob):
    entry = some_dops(alice, bob)
    sign_in(tab, "bob", PASSWORD)
    tab.goto(f"/entries/{entry.pk}/")
    tab.get_by_role("link", name="Record a DOPS").click()
    tab.wait_for_load_state()
    assert tab.locator("#dops-counts-for").inner_text().startswith("This DOPS will count for")
    assert_accessible(tab)


def test_dops_form_with_errors(transactional_db, tab, alice, bob):
    sign_in(tab, "bob", PASSWORD)
    tab.goto(f"/trainees/{alice.enrollments.get().pk}/assessments/new/")
    tab.get_by_label("Comments").fill("MRN 12345678 tolerated well")
    tab.get_by_role("button", name="Record assessment").click()
    tab.wait_for_load_state()
    assert tab.locator(".invalid-feedback").count() >= 2
    assert_accessible(tab)


def test_portfolio_with_dops(transactional_db, tab, alice, bob):
    some_dops(alice, bob)
    sign_in(tab, "alice", PASSWORD)
    tab.goto("/progress/portfolio/")
    assert tab.locator(".dops-item").count() == 2
    assert_accessible(tab)


def test_cohort(transactional_db, tab, alice, bob, charlie, diana):
    some_entries(alice, bob)
    sign_in(tab, "diana", PASSWORD)
    tab.goto("/cohort/")
    assert_accessible(tab)


def test_cohort_sorted_by_overall(transactional_db, tab, alice, bob, charlie, diana):
    some_entries(alice, bob)
    sign_in(tab, "diana", PASSWORD)
    tab.goto("/cohort/")
    tab.get_by_role("link", name="Overall sort ascending").click()
    tab.get_by_role("link", name="Overall sort descending").wait_for()
    assert tab.locator('th[aria-sort="ascending"]').inner_text().startswith("Overall")
    assert_accessible(tab)


def test_portfolio(transactional_db, tab, alice, bob):
    some_entries(alice, bob)
    sign_in(tab, "alice", PASSWORD)
    tab.goto("/progress/portfolio/")
    assert_accessible(tab)


def test_no_logbook_page(transactional_db, tab, admin):
    """Someone with no role at all starts on a page that says why they have no Logbook."""
    admin.set_password(PASSWORD)
    admin.save()
    sign_in(tab, admin.username, PASSWORD)
    assert tab.get_by_role("heading", name="No Logbook").is_visible()
    assert_accessible(tab)


# --- the entry form with the keyboard alone ------------------------------------------

FOCUSED = """() => {
  const e = document.activeElement;
  const style = getComputedStyle(e);
  const label = e.labels && e.labels.length ? e.labels[0].innerText.trim() : "";
  return {
    id: e.id,
    name: label || e.getAttribute("aria-label") || e.innerText.trim() || e.id,
    value: e.tagName === "SELECT" ? (e.selectedOptions[0] || {}).text : e.value,
    checked: !!e.checked,
    ring: (style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0)
          || style.boxShadow !== "none",
  };
}"""


def focused(tab) -> dict:
    return tab.evaluate(FOCUSED)


def label_ring(tab) -> bool:
    """Whether the focused button of a row of buttons shows a focus ring: the input is
    hidden behind its label (Bootstrap's .btn-check), which shows it."""
    return tab.evaluate(
        """() => {
          const label = document.querySelector(`label[for="${document.activeElement.id}"]`);
          const style = getComputedStyle(label);
          return style.boxShadow !== "none"
            || (style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0);
        }"""
    )


def tab_to(tab, name: str, visited: list, limit: int = 12) -> dict:
    """Press Tab until the element called `name` (its id, label or text) has the focus."""
    for _ in range(limit):
        tab.keyboard.press("Tab")
        now = focused(tab)
        visited.append(now["id"] or now["name"])
        if name in (now["id"], now["name"]):
            return now
    raise AssertionError(f"{name!r} not reached with Tab; focus went through {visited}")


def test_entry_form_can_be_completed_with_the_keyboard_alone(transactional_db, tab, alice, bob):
    sign_in(tab, "alice", PASSWORD)
    tab.goto("/entries/new/")
    keys = tab.keyboard
    visited: list[str] = []
    performed_on = timezone.localdate() - timedelta(days=1)

    tab_to(tab, "id_performed_on", visited, limit=20)
    keys.type(performed_on.strftime("%m%d%Y"))
    tab_to(tab, "id_procedure", visited, limit=4)
    keys.type("Lumbar tr")
    now = focused(tab)
    assert now["value"] == "Lumbar transforaminal epidural"
    assert now["ring"], "the focused Procedure select shows no focus indicator"

    # The rows of buttons are radio groups: Tab reaches the first, the arrows choose.
    tab_to(tab, "Fluoroscopy", visited, limit=3)
    keys.press("Space")
    assert focused(tab)["checked"]
    assert label_ring(tab), "the focused Guidance button shows no focus indicator"
    tab_to(tab, "Left", visited, limit=1)
    keys.press("ArrowRight")
    assert focused(tab)["name"] == "Right" and focused(tab)["checked"]
    # Levels: typed, or chosen with the level buttons (Tab to one, Space presses it).
    tab_to(tab, "id_levels", visited, limit=1)
    chip = tab_to(tab, "L4–L5", visited, limit=6)
    assert chip["ring"], "the focused level button shows no focus indicator"
    keys.press("Space")
    assert tab.get_by_label("Levels", exact=True).input_value() == "L4–L5"
    tab_to(tab, "Subpedicular (safe triangle)", visited, limit=3)
    keys.press("Space")
    tab_to(tab, "Diagnostic", visited, limit=1)
    keys.press("ArrowRight")
    assert focused(tab)["name"] == "Therapeutic" and focused(tab)["checked"]
    # Pain relief is for diagnostic blocks only: hidden, and skipped by Tab.
    tab_to(tab, "Observed", visited, limit=1)
    keys.press("ArrowRight")
    keys.press("ArrowRight")
    assert focused(tab)["name"] == "Performed with supervisor present"
    tab_to(tab, "id_supervisor", visited, limit=1)
    keys.type("B")
    assert focused(tab)["value"] == "Bob Baker"

    tab_to(tab, "Corticosteroid, non-particulate", visited)
    assert label_ring(tab), "the focused injectate button shows no focus indicator"
    keys.press("Space")
    assert focused(tab)["checked"]
    tab_to(tab, "id_volume_ml", visited)
    keys.type("3")
    # Under fluoroscopy the dose fields are offered...
    tab_to(tab, "id_fluoro_time_s", visited)
    keys.type("42.5")
    tab_to(tab, "id_dap", visited, limit=1)
    keys.type("380")
    # ...with the reference air kerma and who drove the C-arm (a row of buttons: arrows).
    tab_to(tab, "id_air_kerma", visited, limit=1)
    keys.type("3.1")
    tab_to(tab, "id_dsa_runs", visited, limit=1)
    tab_to(tab, "Me", visited, limit=1)
    keys.press("ArrowRight")
    keys.press("ArrowRight")
    assert focused(tab)["name"] == "A radiographer" and focused(tab)["checked"]
    submit = tab_to(tab, "Submit for sign-off", visited)
    assert submit["ring"], "the focused Submit button shows no focus indicator"
    # ...and the CT and diagnostic-only fields never took the focus.
    assert "id_dlp" not in visited
    assert "id_pain_relief_pct" not in visited
    with tab.expect_navigation():
        keys.press("Enter")

    assert tab.get_by_text("Submitted for sign-off.").is_visible()
    entry = Entry.objects.get(trainee=alice)
    assert entry.status == Entry.Status.SUBMITTED
    assert entry.performed_on == performed_on
    assert entry.procedure.name == "Lumbar transforaminal epidural"
    assert (entry.guidance, entry.side, entry.levels) == ("fluoroscopy", "right", "L4–L5")
    assert (entry.approach, entry.volume_ml) == ("subpedicular", 3)
    assert entry.purpose == Entry.Purpose.THERAPEUTIC
    assert entry.role == Entry.Role.PERFORMED_PRESENT
    assert entry.supervisor == bob
    assert str(entry.fluoro_time_s) == "42.5" and entry.dap == 380
    assert str(entry.air_kerma) == "3.10" and entry.carm_operator == "radiographer"
    assert entry.dlp is None and entry.pain_relief_pct is None
    assert list(entry.injectates.all()) == [
        Injectate.objects.get(name="Corticosteroid, non-particulate")
    ]
