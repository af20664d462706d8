"""Logging a procedure with no network (issue 10, point 3), in Chromium with its service
worker: entries kept in the outbox, uploaded exactly once when the network returns, a
refused one back with its message; sign-out clears; nobody gets another's kept page."""

import pytest

from procedures.models import Entry
from tests.browser.conftest import fill_entry, screenshot, sign_in
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser

FORM_KEPT = """async () => {
  const cache = await caches.open("precept-pages");
  return !!(await cache.match("/entries/new/"));
}"""
FORM_KEPT_FOR = """async (user) => {
  const kept = await (await caches.open("precept-pages")).match("/entries/new/");
  return !!kept && (await kept.text()).includes(`data-user-id="${user}"`);
}"""
OUTBOX = "async () => (await PreceptOutbox.list(document.body.dataset.userId)).length"


def ready_for_offline(tab):
    """Signed in and on a page: wait until the worker controls it and keeps the form."""
    tab.wait_for_function("navigator.serviceWorker.controller !== null", timeout=10_000)
    tab.wait_for_function(FORM_KEPT, timeout=10_000)


def log_offline(tab, **choices):
    tab.goto("/entries/new/")
    fill_entry(tab, **choices)
    with tab.expect_navigation():
        tab.get_by_role("button", name="Submit for sign-off").click()
    assert "kept=1" in tab.url


def test_two_entries_logged_offline_arrive_once_and_a_refused_one_comes_back(
    transactional_db, phone, alice, bob
):
    sign_in(phone, "alice", PASSWORD)
    phone.goto("/entries/new/")
    ready_for_offline(phone)

    phone.context.set_offline(True)
    log_offline(phone, side="Right", levels="L4-5")
    waiting = phone.locator("#outbox-waiting")
    assert waiting.inner_text() == (
        "1 entry saved on this phone, to be uploaded when the network is there."
    )
    # The form is empty again, ready for the next case.
    assert phone.get_by_label("Levels", exact=True).input_value() == ""
    log_offline(phone, side="Left", levels="L5-S1")
    # A lumbar procedure at a cervical level: the server will refuse it.
    log_offline(phone, side="Right", levels="C5-6")
    assert waiting.inner_text().startswith("3 entries saved on this phone")
    screenshot(phone, "offline-outbox-390")

    # Reloaded with no network: the form and the outbox are still there, and each copy of
    # the kept form has a one-time key of its own (one key is one stored entry).
    key = phone.locator("input[name=form_key]").input_value()
    phone.reload()
    assert phone.get_by_role("button", name="Submit for sign-off").is_visible()
    assert phone.locator("input[name=form_key]").input_value() not in ("", key)
    assert phone.evaluate(OUTBOX) == 3
    assert Entry.objects.count() == 0

    phone.context.set_offline(False)
    phone.evaluate("PreceptOffline.upload()")
    phone.wait_for_function(
        "async () => (await PreceptOutbox.list(document.body.dataset.userId))"
        ".every((item) => item.refused)"
    )
    entries = Entry.objects.filter(trainee=alice).order_by("id")
    assert [(e.side, e.levels, e.status) for e in entries] == [
        ("right", "L4–L5", Entry.Status.SUBMITTED),
        ("left", "L5–S1", Entry.Status.SUBMITTED),
    ]
    # The refused one is back, with the server's message, and can be opened to correct.
    banner = phone.locator("#outbox")
    assert "An entry saved on this phone was not accepted" in banner.inner_text()
    assert "Levels: C5 is outside this procedure’s region (lumbar)." in banner.inner_text()
    screenshot(phone, "offline-refused-390")

    # Exactly once: the same entry sent again (its response lost, say) is not stored twice.
    phone.evaluate(
        """async () => {
          const [item] = await PreceptOutbox.list(document.body.dataset.userId);
          await PreceptOutbox.put({...item, key: "again", refused: null,
            fields: {...item.fields, levels: ["L4-5"]}});
          await PreceptOffline.upload();
          await PreceptOutbox.put({...item, key: "again", refused: null,
            fields: {...item.fields, levels: ["L4-5"]}});
          await PreceptOffline.upload();
        }"""
    )
    assert Entry.objects.filter(trainee=alice).count() == 3

    banner.get_by_role("link", name="Open it to correct").click()
    phone.get_by_role("alert").filter(has_text="C5 is outside").wait_for()
    assert phone.get_by_label("Levels", exact=True).input_value() == "C5-6"
    phone.get_by_label("Levels", exact=True).fill("L3-4")
    with phone.expect_navigation():
        phone.get_by_role("button", name="Submit for sign-off").click()
    assert phone.get_by_text("Submitted for sign-off.").is_visible()
    assert Entry.objects.filter(trainee=alice).count() == 4
    assert phone.evaluate(OUTBOX) == 0


def test_sign_out_warns_then_clears_the_outbox_and_the_kept_pages(
    transactional_db, phone, alice, bob
):
    sign_in(phone, "alice", PASSWORD)
    phone.goto("/entries/new/")
    ready_for_offline(phone)
    phone.context.set_offline(True)
    log_offline(phone, levels="C5-6")  # refused when uploaded: it stays in the outbox
    phone.context.set_offline(False)
    phone.goto("/entries/")
    phone.wait_for_function(
        "async () => (await PreceptOutbox.list(document.body.dataset.userId))[0].refused"
    )

    def sign_out():
        button = phone.get_by_role("button", name="Sign out")
        if not button.is_visible():
            phone.get_by_role("button", name="Toggle navigation").click()
        button.click()

    # Declined: still signed in, the entry still there.
    phone.once("dialog", lambda dialog: dialog.dismiss())
    sign_out()
    phone.wait_for_timeout(300)
    assert phone.evaluate(OUTBOX) == 1
    assert phone.locator("body[data-user-id]").count() == 1

    messages = []

    def accept(dialog):
        messages.append(dialog.message)
        dialog.accept()

    phone.once("dialog", accept)
    with phone.expect_navigation():
        sign_out()
    assert messages == [
        "1 entry on this phone could not be uploaded and will be deleted if you sign out now. "
        "Sign out anyway?"
    ]
    # Nothing of alice's is kept: no page (the sign-in page's own CSS and JS, public
    # files, may be cached again as it loads).
    assert "precept-pages" not in phone.evaluate("async () => await caches.keys()")
    left = phone.evaluate("async (user) => (await PreceptOutbox.list(user)).length", str(alice.pk))
    assert left == 0


def test_one_persons_kept_form_is_never_served_to_another(transactional_db, phone, alice, charlie):
    sign_in(phone, "alice", PASSWORD)
    phone.goto("/entries/new/")
    ready_for_offline(phone)
    # alice's session ends without signing out (it timed out); charlie signs in here.
    phone.context.clear_cookies()
    sign_in(phone, "charlie", PASSWORD)
    phone.goto("/entries/")
    # His first page tells the worker who is signed in: it drops alice's form and keeps his.
    phone.wait_for_function(FORM_KEPT_FOR, arg=str(charlie.pk), timeout=10_000)
    phone.context.set_offline(True)
    phone.goto("/entries/new/")
    assert phone.locator("body").get_attribute("data-user-id") == str(charlie.pk)
    assert "Alice" not in phone.content()


def test_other_pages_say_they_need_the_network(transactional_db, phone, alice):
    sign_in(phone, "alice", PASSWORD)
    phone.goto("/entries/new/")
    ready_for_offline(phone)
    phone.context.set_offline(True)
    phone.goto("/progress/")
    assert phone.get_by_role("heading", name="No network").is_visible()
    assert phone.get_by_role("link", name="Log a procedure").is_visible()


def test_the_worker_keeps_no_form_for_a_supervisor_and_asks_for_none(
    transactional_db, phone, alice, bob
):
    """Only trainees log: a supervisor's pages do not name the form, so the worker never
    asks for it on his account (which would leave him "Only trainees have a Logbook")."""
    sign_in(phone, "bob", PASSWORD)
    phone.goto("/entries/sign-off/")
    phone.wait_for_function("navigator.serviceWorker.controller !== null", timeout=10_000)
    asked = []
    phone.context.on("request", lambda r: asked.append(r.url) if "/entries/new/" in r.url else None)
    phone.goto("/entries/sign-off/")
    phone.wait_for_timeout(500)
    assert asked == []
    assert not phone.evaluate(FORM_KEPT)
    phone.goto("/entries/sign-off/")
    assert phone.get_by_text("Only trainees have a Logbook").count() == 0
