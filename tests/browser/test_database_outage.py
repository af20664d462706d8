"""The database goes away while a trainee fills the entry form: a plain 503, the typed
form comes back with the browser's Back button, and sending it again saves it."""

from unittest import mock

import pytest
from django.db import OperationalError
from django.db.backends.base.base import BaseDatabaseWrapper

from procedures.models import Entry
from tests.browser.conftest import fill_entry, sign_in
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser


def _refuse(*args, **kwargs):
    raise OperationalError("could not connect to server: Connection refused")


def test_an_outage_loses_nothing_the_trainee_typed(transactional_db, phone, alice, bob):
    sign_in(phone, "alice", PASSWORD)
    phone.goto("/entries/new/")
    fill_entry(phone)
    phone.get_by_label("Notes").fill("Typed during an outage")

    # Every query fails as a dropped server makes it fail, in every thread.
    with mock.patch.object(BaseDatabaseWrapper, "_cursor", _refuse):
        response = phone.expect_response(lambda r: r.request.method == "POST")
        with response as info:
            phone.get_by_role("button", name="Submit for sign-off").click()
        assert info.value.status == 503
        assert phone.get_by_text("Precept is briefly unavailable").is_visible()
    assert not Entry.objects.exists()

    # Back (the form is requested again): what was typed is put back.
    phone.go_back()
    assert phone.get_by_text("What you typed before is back in the form").is_visible()
    assert phone.get_by_label("Levels", exact=True).input_value() == "L4-L5"
    assert phone.get_by_label("Notes").input_value() == "Typed during an outage"
    assert phone.get_by_role("combobox", name="Supervisor").input_value() == str(bob.pk)
    assert phone.get_by_label("Fluoroscopy time (s)").is_visible()  # fields follow the procedure
    phone.get_by_role("button", name="Submit for sign-off").click()
    assert phone.get_by_text("Submitted for sign-off.").is_visible()
    # The entry page clears the kept draft from a script of its own; as a person does, let
    # the page finish loading before opening a new form (going on at once raced it in CI).
    phone.wait_for_load_state("load")
    entry = Entry.objects.get()
    assert (entry.notes, entry.levels, entry.status) == (
        "Typed during an outage",
        "L4–L5",
        Entry.Status.SUBMITTED,
    )

    # Once saved, a new form starts empty.
    phone.goto("/entries/new/")
    assert phone.get_by_label("Levels", exact=True).input_value() == ""
    assert phone.get_by_text("What you typed before is back in the form").is_hidden()
