"""Comparative block series at 390 px (issue 11, point 1).

A trainee logs two lumbar medial branch blocks through the entry form, records each one's
pain diary (lidocaine first, bupivacaine second, with the longer relief), and finds the
second proposed as the second block of a series with the first: the series reads
"Concordant positive". Her supervisor signs both off from the queue. An ablation resting
on that series carries no teaching flag in his queue; one resting on a single block does,
and the program director counts it in Cohort's "Ablation flags".
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from procedures.models import BlockResponse, Entry
from tests.browser.conftest import fill_entry, screenshot, sign_in
from tests.browser.test_accessibility import assert_accessible
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser

MBB = "Lumbar medial branch block"
RFA = "Lumbar medial branch radiofrequency ablation"
DIARY_LABELS = ("30 min", "1 h", "2 h", "4 h", "6 h", "8 h", "24 h")


@pytest.fixture
def another_phone(chromium, live_server):
    """Another person's phone (390 × 844, like `phone`): `another_phone(username)` gives
    a tab signed in as them. Closed at the end of the test, whatever happened."""
    contexts = []

    def open_phone(username: str):
        context = chromium.new_context(
            viewport={"width": 390, "height": 844},
            base_url=live_server.url,
            reduced_motion="reduce",
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        tab = context.new_page()
        sign_in(tab, username, PASSWORD)
        return tab

    yield open_phone
    for context in contexts:
        context.close()


def entry_of(tab) -> Entry:
    """The entry whose page the tab shows (/entries/<pk>/)."""
    return Entry.objects.get(pk=int(tab.url.rstrip("/").split("/")[-1]))


def log_and_submit(
    tab, *, procedure: str, performed_on, purpose: str, side="Right", rests_on="", shot=""
):
    """Log an entry through the form, as the trainee does, and submit it (a screenshot
    `shot` of the filled form first, if named). Returns whether the form showed "Rests on
    diagnostic block", and the entry."""
    tab.goto("/entries/new/")
    tab.get_by_label("Date performed").fill(performed_on.isoformat())
    fill_entry(tab, procedure=procedure, side=side, levels="L4, L5", purpose=purpose)
    select = tab.get_by_role("combobox", name="Rests on diagnostic block")
    if rests_on:
        select.select_option(label=rests_on)
    shown = select.is_visible()
    if shot:
        select.scroll_into_view_if_needed()
        screenshot(tab, shot)
    with tab.expect_navigation():
        tab.get_by_role("button", name="Submit for sign-off").click()
    assert tab.get_by_text("Submitted for sign-off.").is_visible()
    return shown, entry_of(tab)


def fill_block_response(tab, *, before: int, diary: list[int], agent: str) -> None:
    """The block form, filled in as the diary comes back: the scale, the pain before, the
    scores after (in the order of DIARY_LABELS), the local anaesthetic."""
    tab.get_by_role("group", name="Pain scale").get_by_text("NRS 0–10", exact=True).click()
    tab.get_by_label("Pain before the block").fill(str(before))
    for label, score in zip(DIARY_LABELS, diary, strict=False):
        tab.get_by_label(f"Pain at {label}", exact=True).fill(str(score))
    tab.get_by_role("group", name="Local anaesthetic").get_by_text(agent, exact=True).click()
    tab.get_by_label("Local anaesthetic volume (ml)").fill("0.5")


def selected(select) -> str:
    return select.evaluate("s => s.selectedOptions[0].text")


def sign_off_in_queue(tab, entry: Entry) -> None:
    """Bob signs one entry off from his queue: a rating, the password when it is asked."""
    tab.goto("/entries/sign-off/")
    row = tab.locator(f"#entry-{entry.pk}")
    row.get_by_text("In the room", exact=True).click()
    password = row.get_by_label("Your password")
    if password.count():
        password.fill(PASSWORD)
    with tab.expect_navigation():
        row.get_by_role("button", name="Sign off", exact=True).click()
    assert tab.get_by_text(f"Signed off: {MBB}").is_visible()


def cohort_cell(tab, trainee: str, column: str):
    """`trainee`'s cell in Cohort's column headed `column`."""
    table = tab.locator("main table").filter(has=tab.get_by_role("columnheader", name=column))
    headings = [h.strip() for h in table.locator("thead th").all_inner_texts()]
    index = headings.index(column)
    row = table.locator("tbody tr").filter(has_text=trainee)
    return row.locator("th, td").nth(index)


def test_a_concordant_series_clears_an_ablation_and_a_single_block_flags_one(
    transactional_db, phone, another_phone, alice, bob, diana
):
    today = timezone.localdate()
    first_day, second_day = today - timedelta(days=14), today - timedelta(days=7)
    sign_in(phone, "alice", PASSWORD)

    # 1. The first block: logged, submitted, its diary recorded (lidocaine: 30 min of relief).
    shown, first = log_and_submit(
        phone, procedure=MBB, performed_on=first_day, purpose="Diagnostic"
    )
    assert not shown, "an injection is offered 'Rests on diagnostic block'"
    assert (first.performed_on, first.purpose) == (first_day, Entry.Purpose.DIAGNOSTIC)
    phone.get_by_role("link", name="Record the block response").click()
    phone.wait_for_load_state()
    assert phone.get_by_role("heading", name="Block response").is_visible()
    follows = phone.get_by_role("combobox", name="Second block of a series with")
    assert selected(follows) == "Not a second block"  # nothing earlier to pair it with
    fill_block_response(phone, before=8, diary=[1, 1, 6, 8], agent="Lidocaine")
    with phone.expect_navigation():
        phone.get_by_role("button", name="Save block response").click()
    assert phone.get_by_text("Block response saved.").is_visible()
    block = phone.locator("#block")
    text = block.inner_text()
    assert "Peak relief 88%" in text, f"the entry page does not show the saved response: {text}"
    assert "reached from 30 min to 1 h after the block" in text
    assert block.get_by_role("link", name="Update the diary").is_visible()

    # 2. The second block, same side and levels a week later: bupivacaine, 3.5 h of relief.
    shown, second = log_and_submit(
        phone, procedure=MBB, performed_on=second_day, purpose="Diagnostic"
    )
    assert not shown
    assert (second.side, second.levels) == (first.side, first.levels)
    # The page proposes the series before the diary is in.
    assert "looks like the second block of a series" in phone.locator("#block").inner_text()
    phone.get_by_role("link", name="Record the block response").click()
    phone.wait_for_load_state()
    # Precept proposes the first block, preselected, and says why.
    follows = phone.get_by_role("combobox", name="Second block of a series with")
    assert selected(follows) == f"{first.site} · {first_day:%d %b %Y} · {MBB}"
    proposal = phone.locator("#series-proposal")
    assert proposal.inner_text() == (
        f"Proposed: the {MBB} of {first_day.day} {first_day:%b %Y} at the same levels and side."
    )
    fill_block_response(phone, before=8, diary=[1, 1, 1, 1, 2, 6, 8], agent="Bupivacaine")
    screenshot(phone, "block-response-390")
    assert_accessible(phone)  # axe at 390 and 1280 px, then back to the phone
    phone.set_viewport_size({"width": 390, "height": 844})
    with phone.expect_navigation():
        phone.get_by_role("button", name="Save block response").click()
    assert phone.get_by_text("Block response saved.").is_visible()

    response = BlockResponse.objects.get(entry=second)
    assert response.follows_id == first.pk
    assert response.diary == [[30, 1], [60, 1], [120, 1], [240, 1], [360, 2], [480, 6], [1440, 8]]
    assert (response.before, response.agent.name) == (8, "Bupivacaine")
    block = phone.locator("#block")
    text = block.inner_text()
    assert "Peak relief 88%" in text and "reached from 30 min to 4 h after the block" in text
    assert "Block series: second block, after" in text
    assert block.get_by_text("Concordant positive").is_visible()
    block.scroll_into_view_if_needed()
    screenshot(phone, "block-series-390")

    # The first block's page knows its partner too.
    phone.goto(first.get_absolute_url())
    assert "Block series: first block" in phone.locator("#block").inner_text()
    assert phone.locator("#block").get_by_text("Concordant positive").is_visible()

    # 3. The supervisor signs off both blocks from his queue.
    queue = another_phone("bob")
    sign_off_in_queue(queue, first)
    sign_off_in_queue(queue, second)
    for entry in (first, second):
        entry.refresh_from_db()
        assert entry.status == Entry.Status.SIGNED_OFF

    # 4. An ablation resting on the second block of the concordant series: no flag.
    resting = f"{second.site} · {second_day:%d %b %Y} · {MBB}"
    shown, ablation = log_and_submit(
        phone,
        procedure=RFA,
        performed_on=today,
        purpose="Therapeutic",
        rests_on=resting,
        shot="ablation-rests-on-390",
    )
    assert shown, "an ablation is not offered 'Rests on diagnostic block'"
    assert ablation.rests_on_id == second.pk
    section = phone.locator("#ablation")
    assert "a comparative series, concordant positive at 80%" in section.inner_text()
    assert section.get_by_text("Teaching flag").count() == 0

    queue.goto("/entries/sign-off/")
    row = queue.locator(f"#entry-{ablation.pk}")
    assert RFA in row.inner_text()
    assert row.locator(".queue-flag").count() == 0
    assert "Teaching flag" not in row.inner_text()

    # 5. A third block, on the other side, with no series; an ablation resting on it alone.
    _, single = log_and_submit(
        phone,
        procedure=MBB,
        performed_on=today - timedelta(days=3),
        purpose="Diagnostic",
        side="Left",
    )
    assert "looks like the second block" not in phone.locator("#block").inner_text()
    resting = f"{single.site} · {single.performed_on:%d %b %Y} · {MBB}"
    _, flagged = log_and_submit(
        phone,
        procedure=RFA,
        performed_on=today,
        purpose="Therapeutic",
        side="Left",
        rests_on=resting,
    )
    assert flagged.rests_on_id == single.pk
    assert "Teaching flag: After a single diagnostic block" in (
        phone.locator("#ablation").inner_text()
    )

    queue.goto("/entries/sign-off/")
    row = queue.locator(f"#entry-{flagged.pk}")
    flag = row.locator(".queue-flag")
    assert flag.inner_text() == "Teaching flag After a single diagnostic block"
    assert flag.is_visible()
    assert queue.locator(f"#entry-{ablation.pk} .queue-flag").count() == 0
    row.scroll_into_view_if_needed()
    screenshot(queue, "queue-ablation-flag-390")

    # 6. The director: one flagged ablation for Alice in Cohort.
    cohort = another_phone("diana")
    cohort.goto("/cohort/")
    assert cohort.get_by_role("columnheader", name="Ablation flags").count() == 1
    flags = cohort_cell(cohort, "Alice Adams", "Ablation flags")
    assert flags.inner_text() == "1"
    # On a phone the column is the table's last, past every stage: scrolled to, it shows.
    flags.scroll_into_view_if_needed()
    assert flags.is_visible()
    screenshot(cohort, "cohort-ablation-flags-390")
