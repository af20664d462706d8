"""Entrustment in a browser (issue 13): a supervisor's sign-offs raise a trainee's level
for one competency; the director sees it on the committee view and records a decision;
the trainee sees the level and the decision on Progress. Screenshots at 390 and 1280 px,
axe on the new pages."""

from datetime import timedelta

import pytest
from django.utils import timezone

from curriculum.models import EntrustmentDecision
from procedures.models import Entry, ProcedureType
from tests.browser.conftest import ARTIFACTS, screenshot, sign_in
from tests.browser.test_accessibility import assert_accessible
from tests.factories import PASSWORD, EntryFactory, waiting_entries

pytestmark = pytest.mark.browser

COMPETENCY = "Lumbar transforaminal epidurals (Fluoroscopy)"


def nine_cases(alice, bob, dave):
    """Nine signed-off lumbar transforaminal epidurals under fluoroscopy, the last four
    rated 4 by two supervisors, with a sign-off comment: one more rated 4 makes ten, the
    latest five rated 4 or more from two supervisors: indirect supervision."""
    tfesi = ProcedureType.objects.get(slug="lumbar-tfesi")
    today = timezone.localdate()
    Entry.objects.bulk_create(
        EntryFactory.build(
            trainee=alice,
            supervisor=bob if i % 2 else dave,
            procedure=tfesi,
            guidance="fluoroscopy",
            status=Entry.Status.SIGNED_OFF,
            submitted_at=timezone.now(),
            performed_on=today - timedelta(days=60 - i * 5),
            autonomy=4 if i >= 5 else 3,
            self_rating=4,
        )
        for i in range(9)
    )


def new_tab(chromium, live_server, width):
    context = chromium.new_context(
        viewport={"width": width, "height": 900}, base_url=live_server.url, reduced_motion="reduce"
    )
    context.set_default_timeout(10_000)
    return context, context.new_page()


def test_sign_offs_raise_a_level_the_director_decides_and_the_trainee_sees_it(
    transactional_db, chromium, live_server, alice, bob, dave, diana
):
    nine_cases(alice, bob, dave)
    waiting_entries(alice, bob, 1, days_ago=1)  # a lumbar transforaminal, fluoroscopy

    # The supervisor's queue shows the trainee's level in the entry's competency.
    context, tab = new_tab(chromium, live_server, 390)
    sign_in(tab, "bob", PASSWORD)
    tab.goto("/entries/sign-off/")
    row = tab.locator("main li.queue-item").nth(0)
    assert f"{COMPETENCY}: Direct supervision" in row.inner_text()
    screenshot(tab, "queue-entrustment-390")
    row.get_by_text("In the room", exact=True).click()
    row.get_by_label("Your password").fill(PASSWORD)
    with tab.expect_navigation():
        row.get_by_role("button", name="Sign off", exact=True).click()
    assert tab.get_by_text("Nothing is waiting for your sign-off.").is_visible()
    context.close()

    # The director sees the raised level on the committee view and records a decision.
    for width in (1280, 390):
        context, tab = new_tab(chromium, live_server, width)
        sign_in(tab, "diana", PASSWORD)
        tab.goto("/cohort/committee/")
        assert tab.get_by_role("heading", name="Committee").is_visible()
        alice_row = tab.get_by_role("row").filter(has_text="Alice Adams")
        cell = alice_row.get_by_role("link", name="Indirect", exact=False).first
        assert "Lumbar transforaminal epidurals" in cell.get_attribute("title")
        screenshot(tab, f"committee-{width}")
        assert_accessible(tab)
        if width == 1280:
            cell.click()
            tab.wait_for_load_state()
            assert tab.get_by_text("Indirect supervision").first.is_visible()
            tab.get_by_label("Indirect supervision").check()
            tab.get_by_label("Rationale").fill(
                "Ten cases with two supervisors, the latest five rated 4: agreed in committee."
            )
            tab.get_by_label("Your password").fill(PASSWORD)
            screenshot(tab, "decision-form-1280")
            assert_accessible(tab)
            with tab.expect_navigation():
                tab.get_by_role("button", name="Sign the decision").click()
            assert tab.get_by_text("Decision signed").is_visible()
            decided = tab.get_by_role("row").filter(has_text="Alice Adams")
            assert "Indirect ★" in decided.inner_text()
            screenshot(tab, "committee-decided-1280")
        context.close()
    decision = EntrustmentDecision.objects.get()
    assert decision.trainee == alice and decision.level == 2 and decision.verified

    # The trainee sees the level and the decision on Progress.
    for width in (390, 1280):
        context, tab = new_tab(chromium, live_server, width)
        sign_in(tab, "alice", PASSWORD)
        tab.goto("/progress/")
        grid = tab.get_by_role("list", name="Competency grid")
        line = grid.get_by_role("listitem").filter(has_text="Lumbar transforaminal epidurals")
        assert "Indirect supervision" in line.inner_text()
        decisions = tab.locator("ul.decisions")
        assert "Indirect supervision" in decisions.inner_text()
        assert "Signature verified" in decisions.inner_text()
        line.get_by_role("link", name="Learning curve").click()
        tab.wait_for_load_state()
        assert tab.get_by_role("img", name="Learning curve (CUSUM)", exact=False).count() == 1
        screenshot(tab, f"progress-competence-{width}")
        tab.locator("section[aria-labelledby=competencies]").screenshot(
            path=str(ARTIFACTS / f"progress-competence-section-{width}.png")
        )
        assert_accessible(tab)
        context.close()
