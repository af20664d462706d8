"""A supervisor signs off one entry and returns another from a phone; the trainee sees both."""

from datetime import timedelta

import pytest
from django.utils import timezone

from procedures.models import Entry, Signature
from tests.browser.conftest import screenshot, sign_in
from tests.factories import PASSWORD, EntryFactory

pytestmark = pytest.mark.browser


def test_supervisor_signs_off_one_and_returns_another_then_trainee_sees_both(
    transactional_db, chromium, live_server, alice, bob
):
    now = timezone.now()
    first = EntryFactory(
        trainee=alice,
        supervisor=bob,
        status=Entry.Status.SUBMITTED,
        submitted_at=now - timedelta(days=2),
        performed_on=timezone.localdate() - timedelta(days=2),
    )
    second = EntryFactory(
        trainee=alice,
        supervisor=bob,
        status=Entry.Status.SUBMITTED,
        submitted_at=now - timedelta(days=1),
        levels="L5–S1",
        side="left",
    )

    supervisor = chromium.new_context(
        viewport={"width": 390, "height": 844}, base_url=live_server.url
    )
    tab = supervisor.new_page()
    sign_in(tab, "bob", PASSWORD)
    tab.get_by_role("button", name="Toggle navigation").click()
    queue_link = tab.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Sign-off queue"
    )
    assert "2" in queue_link.inner_text()
    queue_link.click()
    screenshot(tab, "signoff-queue-390")

    # Oldest first: the Right L4–L5 entry, signed off with a rating.
    cards = tab.locator("main li.list-group-item")
    assert "Right L4–L5" in cards.nth(0).inner_text()
    assert "Left L5–S1" in cards.nth(1).inner_text()
    cards.nth(0).get_by_role("link", name="Lumbar transforaminal epidural").click()
    tab.get_by_label("4 – “I needed to be in the room just in case”").check()
    tab.get_by_label("Comment (optional)").fill("Good needle control.")
    # The first signing of the session asks for the password: the browser holds the form
    # back without it; a wrong one is refused by the server, the choice kept.
    tab.get_by_role("button", name="Sign off", exact=True).click()
    assert tab.get_by_label("Your password").evaluate("field => field.validity.valueMissing")
    assert Signature.objects.count() == 0
    tab.get_by_label("Your password").fill("not-" + PASSWORD)
    tab.get_by_role("button", name="Sign off", exact=True).click()
    assert tab.get_by_text("Enter your password to sign: that is not your password.").is_visible()
    assert tab.get_by_label("4 – “I needed to be in the room just in case”").is_checked()
    assert tab.get_by_label("Comment (optional)").input_value() == "Good needle control."
    assert Signature.objects.count() == 0
    tab.get_by_label("Your password").fill(PASSWORD)
    tab.get_by_role("button", name="Sign off", exact=True).click()
    assert tab.get_by_text("Signed off: Lumbar transforaminal epidural").is_visible()

    # The other one goes back with a comment.
    tab.get_by_role("link", name="Lumbar transforaminal epidural").click()
    assert tab.get_by_text("L5–S1").first.is_visible()
    tab.get_by_label("What needs correcting").fill("Add the injectates, please.")
    tab.get_by_role("button", name="Return to trainee").click()
    assert tab.get_by_text("Returned to Alice Adams").is_visible()
    assert tab.get_by_text("Nothing is waiting for your sign-off.").is_visible()
    supervisor.close()

    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == Entry.Status.SIGNED_OFF
    assert second.status == Entry.Status.RETURNED
    signature = Signature.objects.get(entry=first)
    assert signature.autonomy == 4

    trainee = chromium.new_context(viewport={"width": 390, "height": 844}, base_url=live_server.url)
    tab = trainee.new_page()
    sign_in(tab, "alice", PASSWORD)
    # Home lists the returned entry with the supervisor's comment; the Logbook both.
    returned = tab.get_by_role("list", name="Returned to you to fix").get_by_role("listitem")
    assert returned.count() == 1
    assert returned.get_by_text("Add the injectates, please.").is_visible()
    tab.get_by_role("navigation", name="Main").get_by_role(
        "button", name="Toggle navigation"
    ).click()
    tab.get_by_role("link", name="Logbook").click()
    assert (
        tab.get_by_role("row").filter(has_text="Right L4–L5").get_by_text("Signed off").is_visible()
    )
    assert tab.get_by_role("row").filter(has_text="Left L5–S1").get_by_text("Returned").is_visible()
    tab.get_by_role("row").filter(has_text="Right L4–L5").get_by_role("link").click()
    assert tab.get_by_text("Signed off by Bob Baker on").is_visible()
    assert tab.get_by_text("verified as performed by the trainee in the logged role").is_visible()
    screenshot(tab, "entry-signed-off-390")
    tab.go_back()
    tab.get_by_role("row").filter(has_text="Left L5–S1").get_by_role("link").click()
    assert tab.get_by_text("Add the injectates, please.").first.is_visible()
    screenshot(tab, "entry-returned-390")
    trainee.close()


def test_one_password_signs_off_the_selected_entries(
    transactional_db, chromium, live_server, alice, bob
):
    entries = [
        EntryFactory(
            trainee=alice,
            supervisor=bob,
            status=Entry.Status.SUBMITTED,
            submitted_at=timezone.now() - timedelta(hours=i),
        )
        for i in range(3)
    ]
    context = chromium.new_context(viewport={"width": 390, "height": 844}, base_url=live_server.url)
    tab = context.new_page()
    sign_in(tab, "bob", PASSWORD)
    tab.goto("/entries/sign-off/")
    # The "Sign off selected" panel: its rating buttons are tapped by their words.
    panel = tab.locator("#bulk-signoff")
    for entry in entries[:2]:
        tab.locator(f"#select-{entry.pk}").check()
    panel.get_by_text("In the room", exact=True).click()
    panel.get_by_label("Your password").fill("not-" + PASSWORD)
    tab.get_by_role("button", name="Sign off selected").click()

    # A wrong password: nothing signed, the ticks and the rating kept.
    assert tab.get_by_text("Enter your password to sign: that is not your password.").is_visible()
    assert tab.locator(f"#select-{entries[0].pk}").is_checked()
    assert not tab.locator(f"#select-{entries[2].pk}").is_checked()
    assert panel.get_by_label("4 – “I needed to be in the room just in case”").is_checked()
    assert Signature.objects.count() == 0
    panel.get_by_label("Your password").fill(PASSWORD)
    tab.get_by_role("button", name="Sign off selected").click()

    assert tab.get_by_text("Signed off 2 entries.").is_visible()
    # Within the window: the last one signs without the password.
    assert tab.get_by_label("Your password").count() == 0
    tab.locator(f"#select-{entries[2].pk}").check()
    panel.get_by_text("In the room", exact=True).click()
    tab.get_by_role("button", name="Sign off selected").click()
    assert tab.get_by_text("Signed off 1 entry.").is_visible()
    context.close()
    assert Signature.objects.filter(autonomy=4).count() == 3
