"""A sign-off moves the trainee's Progress bar by one; Progress and Cohort on two widths."""

import pytest
from django.utils import timezone

from procedures.models import Entry
from tests.browser.conftest import screenshot, sign_in
from tests.factories import PASSWORD, EntryFactory

pytestmark = pytest.mark.browser


def tfesi_counts(tab) -> str:
    """The "counted / required" text of the lumbar TFESI bar (stage 3, opened first)."""
    tab.get_by_role("button", name="3. Fluoroscopic spine: epidurals and ablation").click()
    bar = tab.locator("#stages .mb-3").filter(has_text="Lumbar transforaminal epidurals")
    bar.wait_for()
    return bar.locator(".text-nowrap").inner_text()


def test_a_sign_off_moves_the_progress_bar_by_one(
    transactional_db, chromium, live_server, alice, bob, diana
):
    for _ in range(2):
        EntryFactory(
            trainee=alice,
            supervisor=bob,
            status=Entry.Status.SIGNED_OFF,
            autonomy=4,
            submitted_at=timezone.now(),
        )
    waiting = EntryFactory(
        trainee=alice, supervisor=bob, status=Entry.Status.SUBMITTED, submitted_at=timezone.now()
    )

    def context(width):
        return chromium.new_context(
            viewport={"width": width, "height": 900}, base_url=live_server.url
        )

    trainee = context(390)
    tab = trainee.new_page()
    sign_in(tab, "alice", PASSWORD)
    tab.goto("/progress/")
    assert tfesi_counts(tab) == "2 / 20 (+1 pending)"

    supervisor = context(390)
    bob_tab = supervisor.new_page()
    sign_in(bob_tab, "bob", PASSWORD)
    bob_tab.goto(f"/entries/{waiting.pk}/")
    bob_tab.get_by_label("5 – “I did not need to be there”").check()
    bob_tab.get_by_label("Your password").fill(PASSWORD)
    bob_tab.get_by_role("button", name="Sign off", exact=True).click()
    assert bob_tab.get_by_text("Signed off: Lumbar transforaminal epidural").is_visible()
    supervisor.close()

    tab.reload()
    assert tfesi_counts(tab) == "3 / 20"
    tab.goto("/progress/")
    screenshot(tab, "progress-390")
    trainee.close()

    wide = context(1280)
    tab = wide.new_page()
    sign_in(tab, "alice", PASSWORD)
    tab.goto("/progress/")
    screenshot(tab, "progress-1280")
    wide.close()

    for width in (390, 1280):
        director = context(width)
        tab = director.new_page()
        sign_in(tab, "diana", PASSWORD)
        tab.goto("/cohort/")
        row = tab.get_by_role("row").filter(has_text="Alice Adams")
        assert row.is_visible()
        # Issue 10: the Overall column is on screen at phone width too, not scrolled away.
        overall = tab.get_by_role("columnheader", name="Overall").bounding_box()
        assert overall["x"] + overall["width"] <= width
        screenshot(tab, f"cohort-{width}")
        director.close()
