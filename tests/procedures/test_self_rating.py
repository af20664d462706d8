"""The trainee's own rating of a case (issue 13, point 3): on the same O-SCORE scale as the
supervisor's, optional, signed with the rest, shown and exported."""

import csv
import io

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from procedures.models import Entry
from procedures.services import LATER_CONTENT_FIELDS, content_hash
from tests.factories import EntryFactory, entry_post


def test_a_trainee_rates_their_own_case(client, alice, bob):
    client.force_login(alice)
    page = client.get(reverse("procedures:entry_create")).content.decode()
    assert "How much did you need your supervisor?" in page
    assert "4 – my supervisor needed to be in the room just in case" in page
    response = client.post(reverse("procedures:entry_create"), entry_post(bob, self_rating=4))
    assert response.status_code == 302
    entry = Entry.objects.get(trainee=alice)
    assert entry.self_rating == 4
    assert "Your own rating" in client.get(entry.get_absolute_url()).content.decode()
    rows = list(
        csv.DictReader(
            io.StringIO(
                client.get(reverse("curriculum:my_logbook_csv")).content.decode("utf-8-sig")
            )
        )
    )
    assert rows[0]["Own rating (O-SCORE)"] == "4"


def test_it_is_optional_and_only_1_to_5(client, alice, bob):
    client.force_login(alice)
    assert client.post(reverse("procedures:entry_create"), entry_post(bob)).status_code == 302
    response = client.post(reverse("procedures:entry_create"), entry_post(bob, self_rating=6))
    assert response.status_code == 200
    assert "Choose your own rating from 1 to 5, or leave it empty." in response.content.decode()
    assert Entry.objects.filter(trainee=alice).count() == 1
    with pytest.raises(IntegrityError), transaction.atomic():
        EntryFactory(trainee=alice, supervisor=bob, self_rating=0)


def test_it_is_signed_and_old_signatures_still_verify(alice, bob):
    entry = EntryFactory(trainee=alice, supervisor=bob)
    before = content_hash(entry, injectate_ids=[])
    entry.self_rating = 3
    assert content_hash(entry, injectate_ids=[]) != before
    entry.self_rating = None
    assert content_hash(entry, injectate_ids=[]) == before
    assert "self_rating" in LATER_CONTENT_FIELDS
