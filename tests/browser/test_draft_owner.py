"""A draft of the entry form kept in the tab belongs to whoever typed it: signing out
clears it, another person signing in on the same tab never sees it, and the same person
signing in again after their session ran out gets it back (static/js/drafts.js)."""

import pytest

from tests.browser.conftest import sign_in
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser

RESTORED = "What you typed before is back in the form"
DRAFT_KEYS = "() => Object.keys(sessionStorage).filter((k) => k.startsWith('precept-entry-draft:'))"


@pytest.fixture
def tab(chromium, live_server):
    context = chromium.new_context(
        viewport={"width": 1280, "height": 900}, base_url=live_server.url
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


def type_a_draft(tab, notes: str) -> None:
    tab.goto("/entries/new/")
    tab.get_by_role("combobox", name="Procedure").select_option(
        label="Lumbar transforaminal epidural"
    )
    tab.get_by_label("Notes").fill(notes)
    assert tab.evaluate(DRAFT_KEYS)


def test_signing_out_clears_the_draft(transactional_db, tab, alice, charlie):
    sign_in(tab, "alice", PASSWORD)
    type_a_draft(tab, "Alice's case, not saved")
    (key,) = tab.evaluate(DRAFT_KEYS)
    assert key == f"precept-entry-draft:{alice.pk}:/entries/new/"
    # Signing out first uploads what the phone kept offline (offline.js), then leaves.
    with tab.expect_navigation():
        tab.get_by_role("button", name="Sign out").click()
    assert tab.evaluate(DRAFT_KEYS) == []
    sign_in(tab, "charlie", PASSWORD)
    tab.goto("/entries/new/")
    assert tab.get_by_label("Notes").input_value() == ""
    assert tab.get_by_text(RESTORED).is_hidden()


def test_another_user_on_the_same_tab_never_sees_it(transactional_db, tab, alice, charlie):
    sign_in(tab, "alice", PASSWORD)
    type_a_draft(tab, "Alice's case, not saved")
    tab.context.clear_cookies()  # her session ends without signing out
    sign_in(tab, "charlie", PASSWORD)
    assert tab.evaluate(DRAFT_KEYS) == []  # cleared on the first page charlie sees
    tab.goto("/entries/new/")
    assert tab.get_by_label("Notes").input_value() == ""
    assert tab.get_by_text(RESTORED).is_hidden()


def test_the_same_user_signing_in_again_gets_it_back(transactional_db, tab, alice):
    sign_in(tab, "alice", PASSWORD)
    type_a_draft(tab, "Typed before the session ran out")
    tab.context.clear_cookies()
    tab.goto("/entries/new/")  # sent to the sign-in page: the draft is kept
    assert "/accounts/login/" in tab.url
    assert tab.evaluate(DRAFT_KEYS)
    sign_in(tab, "alice", PASSWORD)
    tab.goto("/entries/new/")
    assert tab.get_by_text(RESTORED).is_visible()
    assert tab.get_by_label("Notes").input_value() == "Typed before the session ran out"
