"""Sign-off from the queue on a phone (issue 10, point 2).

Each queue row has its own O-SCORE buttons and Sign off: one entry is signed in at most
three taps (a rating, the password when it is due, Sign off), and in two once the password
has been typed. "Select all" and a "Sign off selected" panel that stays on screen while
entries are selected; all of it works with the keyboard alone.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from procedures.models import Entry, Signature
from tests.browser.conftest import screenshot, sign_in
from tests.factories import PASSWORD, waiting_entries

pytestmark = pytest.mark.browser

IN_THE_ROOM = "4 – “I needed to be in the room just in case”"
NOT_NEEDED = "5 – “I did not need to be there”"


class Taps:
    """Clicks and taps on the page, counted; typing is not a tap."""

    def __init__(self):
        self.count = 0

    def tap(self, locator):
        self.count += 1
        locator.click()


def rows(tab):
    return tab.locator("main li.queue-item")


def test_one_entry_is_signed_from_the_queue_in_three_taps_then_two(
    transactional_db, phone, alice, bob
):
    first, second = waiting_entries(alice, bob, 2, days_ago=2)
    sign_in(phone, "bob", PASSWORD)
    phone.goto("/entries/sign-off/")
    screenshot(phone, "queue-inline-390")

    # The first signing of the session asks for the password: rating, password, Sign off.
    taps = Taps()
    row = rows(phone).nth(0)
    assert first.procedure.name in row.inner_text()
    taps.tap(row.get_by_text("In the room", exact=True))
    taps.tap(row.get_by_label("Your password"))
    phone.keyboard.type(PASSWORD)
    with phone.expect_navigation():
        taps.tap(row.get_by_role("button", name="Sign off", exact=True))
    assert taps.count == 3
    assert phone.get_by_text(f"Signed off: {first.procedure.name}").is_visible()
    first.refresh_from_db()
    assert first.status == Entry.Status.SIGNED_OFF
    assert first.autonomy == 4

    # The password is not due again yet: rating, Sign off.
    taps = Taps()
    row = rows(phone).nth(0)
    assert row.get_by_label("Your password").count() == 0
    taps.tap(row.get_by_text("Not needed", exact=True))
    with phone.expect_navigation():
        taps.tap(row.get_by_role("button", name="Sign off", exact=True))
    assert taps.count == 2
    second.refresh_from_db()
    assert (second.status, second.autonomy) == (Entry.Status.SIGNED_OFF, 5)
    assert Signature.objects.count() == 2
    assert phone.get_by_text("Nothing is waiting for your sign-off.").is_visible()


def test_a_wrong_password_keeps_the_rating_and_the_comment_in_the_row(
    transactional_db, phone, alice, bob
):
    entries = waiting_entries(alice, bob, 2, days_ago=2)
    sign_in(phone, "bob", PASSWORD)
    phone.goto("/entries/sign-off/")
    row = rows(phone).nth(1)
    row.get_by_text("In the room", exact=True).click()
    row.get_by_text("Add a comment").click()
    row.get_by_label("Comment (optional)").fill("Steady hands.")
    row.get_by_label("Your password").fill("not-" + PASSWORD)
    row.get_by_role("button", name="Sign off", exact=True).click()

    row = phone.locator(f"#entry-{entries[1].pk}")
    assert row.get_by_text("that is not your password").is_visible()
    assert row.get_by_label(IN_THE_ROOM).is_checked()
    assert row.get_by_label("Comment (optional)").input_value() == "Steady hands."
    assert Signature.objects.count() == 0


def test_return_from_the_queue_with_a_comment(transactional_db, phone, alice, bob):
    (entry,) = waiting_entries(alice, bob, 1, days_ago=2)
    sign_in(phone, "bob", PASSWORD)
    phone.goto("/entries/sign-off/")
    row = rows(phone).nth(0)
    row.get_by_text("Return to trainee…").click()
    row.get_by_label("What needs correcting").fill("Add the injectates, please.")
    row.get_by_role("button", name="Return to trainee").click()
    assert phone.get_by_text("Returned to Alice Adams with your comment.").is_visible()
    entry.refresh_from_db()
    assert entry.status == Entry.Status.RETURNED


def test_select_all_keeps_the_panel_in_reach_and_signs_them_all(
    transactional_db, phone, alice, bob
):
    waiting_entries(alice, bob, 6)
    sign_in(phone, "bob", PASSWORD)
    phone.goto("/entries/sign-off/")
    panel = phone.locator("#bulk-signoff")
    count = phone.locator("#selected-count")
    assert count.inner_text() == "None selected"
    # Nothing selected: the panel sits below the list, out of sight on a phone.
    assert panel.bounding_box()["y"] > 844

    phone.get_by_label("Select all on this page").check()
    assert count.inner_text() == "6 of 6 selected"
    # Selected: the panel is stuck to the bottom of the screen, its button in reach.
    button = phone.get_by_role("button", name="Sign off selected")
    box = button.bounding_box()
    assert 0 < box["y"] and box["y"] + box["height"] <= 844
    screenshot(phone, "queue-selected-390")

    rows(phone).nth(0).get_by_role("checkbox").uncheck()
    assert count.inner_text() == "5 of 6 selected"
    assert phone.get_by_label("Select all on this page").evaluate("box => box.indeterminate")

    panel.get_by_text("Not needed", exact=True).click()
    assert panel.get_by_label(NOT_NEEDED).is_checked()
    panel.get_by_label("Your password").fill(PASSWORD)
    with phone.expect_navigation():
        button.click()
    assert phone.get_by_text("Signed off 5 entries.").is_visible()
    assert Entry.objects.filter(status=Entry.Status.SIGNED_OFF, autonomy=5).count() == 5
    assert Entry.objects.filter(status=Entry.Status.SUBMITTED).count() == 1


def test_sign_off_from_the_queue_with_the_keyboard_alone(transactional_db, phone, alice, bob):
    (entry,) = waiting_entries(alice, bob, 1, days_ago=2)
    sign_in(phone, "bob", PASSWORD)
    phone.goto("/entries/sign-off/")
    phone.locator(f"#select-{entry.pk}").focus()
    keys = phone.keyboard
    keys.press("Tab")  # the procedure's link
    keys.press("Tab")  # the first rating button: a radio group, chosen with the arrows
    assert phone.evaluate("document.activeElement.id") == f"e{entry.pk}-r1"
    keys.press("ArrowRight")
    keys.press("ArrowRight")
    keys.press("ArrowRight")
    assert phone.evaluate("document.activeElement.id") == f"e{entry.pk}-r4"
    ring = phone.locator(f"label[for=e{entry.pk}-r4]").evaluate(
        "label => getComputedStyle(label).boxShadow"
    )
    assert ring != "none", "the focused rating button shows no focus indicator"
    keys.press("Tab")  # "Add a comment"
    keys.press("Tab")  # the password
    assert phone.evaluate("document.activeElement.id") == f"e{entry.pk}-password"
    keys.type(PASSWORD)
    keys.press("Tab")
    assert phone.evaluate("document.activeElement.textContent") == "Sign off"
    with phone.expect_navigation():
        keys.press("Enter")
    entry.refresh_from_db()
    assert (entry.status, entry.autonomy) == (Entry.Status.SIGNED_OFF, 4)
    assert entry.submitted_at < timezone.now() - timedelta(days=1)
