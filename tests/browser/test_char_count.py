"""The notes and comment boxes count as one types and say when there is too much
(static/js/char_count.js); the server still refuses it (tests/procedures/test_text_limits.py)."""

import pytest
from django.utils import timezone

from procedures.models import Entry
from tests.browser.conftest import sign_in
from tests.factories import PASSWORD, EntryFactory

pytestmark = pytest.mark.browser


def test_the_notes_count_characters_as_the_server_does(transactional_db, phone, alice):
    sign_in(phone, "alice", PASSWORD)
    phone.goto("/entries/new/")
    notes = phone.get_by_label("Notes")
    counter = phone.locator("#id_notes_count")
    assert counter.inner_text() == "0 / 2000 characters"
    notes.fill("Uneventful.\nGood spread.")
    # A line break is sent as CR LF: two characters, as the server counts it.
    assert counter.inner_text() == "25 / 2000 characters"
    assert "text-danger" not in (counter.get_attribute("class") or "")
    notes.fill("a" * 2003)
    assert counter.inner_text() == "2003 / 2000 characters: 3 too many"
    assert "text-danger" in counter.get_attribute("class")
    assert notes.input_value() == "a" * 2003  # nothing cut short
    assert "id_notes_count" in notes.get_attribute("aria-describedby")


def test_the_return_comment_counts_too(transactional_db, phone, alice, bob):
    entry = EntryFactory(
        trainee=alice, supervisor=bob, status=Entry.Status.SUBMITTED, submitted_at=timezone.now()
    )
    sign_in(phone, "bob", PASSWORD)
    phone.goto(f"/entries/{entry.pk}/")
    phone.locator("#return_comment").fill("Which level?")
    assert phone.locator("#return_comment_count").inner_text() == "12 / 2000 characters"
