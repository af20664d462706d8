"""Free text has a limit: entry notes 2000 characters, sign-off, return and assessment
comments 2000. The form names the field and the limit and keeps what was typed; the model
and the database refuse more too; the page counts as one types (static/js/char_count.js).
"""

import re

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from curriculum.models import ObservedAssessment
from procedures import services
from procedures.models import MAX_COMMENT, MAX_NOTES, Entry, EntryEvent, ProcedureType, Signature
from programs.models import Enrollment
from tests.curriculum.test_pages import dops_data
from tests.factories import EntryFactory
from tests.procedures.test_entry_validation import CREATE_URL, assert_refused, entry_data
from tests.procedures.test_signoff import state, submitted_entry

# Ordinary words, so that the identifier filter has nothing to say.
WORDS = "Good views of the foramen. "


def text(n: int) -> str:
    """n characters of ordinary words, with no space at either end (the form strips)."""
    return (WORDS * (n // len(WORDS) + 1))[: n - 1] + "x"


def test_the_limits():
    assert (MAX_NOTES, MAX_COMMENT) == (2000, 2000)
    assert len(text(2001)) == 2001


# --- forms --------------------------------------------------------------------------------------


def test_notes_over_the_limit_are_refused_on_the_field_and_kept(client, alice, bob):
    client.force_login(alice)
    typed = text(MAX_NOTES + 1)
    response = client.post(CREATE_URL, entry_data(bob, notes=typed))
    assert_refused(response, "notes", typed, "Notes can be at most 2000 characters; this has 2001.")


def test_notes_of_exactly_the_limit_are_saved(client, alice, bob):
    client.force_login(alice)
    response = client.post(CREATE_URL, entry_data(bob, notes=text(MAX_NOTES)))
    assert response.status_code == 302
    assert len(Entry.objects.get().notes) == MAX_NOTES


def test_a_megabyte_of_notes_is_refused_not_a_500(client, alice, bob):
    client.force_login(alice)
    response = client.post(CREATE_URL, entry_data(bob, notes="a" * 1_000_000))
    assert response.status_code == 200
    assert "Notes can be at most 2000 characters; this has 1000000." in str(
        response.context["form"].errors["notes"]
    )
    assert not Entry.objects.exists()


def test_a_return_comment_over_the_limit_is_refused_and_kept(client, alice, bob):
    entry = submitted_entry(alice, bob)
    before = state(entry)
    client.force_login(bob)
    typed = text(MAX_COMMENT + 5)
    response = client.post(reverse("procedures:entry_return", args=[entry.pk]), {"comment": typed})
    assert response.status_code == 200
    errors = response.context["return_form"].errors["comment"]
    assert errors == ["What needs correcting can be at most 2000 characters; this has 2005."]
    assert typed in response.content.decode()
    assert state(entry) == before


def test_a_sign_off_comment_over_the_limit_is_refused_and_kept(client, alice, bob):
    entry = submitted_entry(alice, bob)
    before = state(entry)
    client.force_login(bob)
    typed = text(MAX_COMMENT + 1)
    response = client.post(
        reverse("procedures:entry_sign_off", args=[entry.pk]), {"autonomy": "4", "comment": typed}
    )
    assert response.status_code == 200
    errors = response.context["sign_off_form"].errors["comment"]
    assert errors == ["The comment can be at most 2000 characters; this has 2001."]
    assert typed in response.content.decode()
    assert state(entry) == before


def test_a_bulk_sign_off_with_a_comment_over_the_limit_signs_nothing(client, alice, bob):
    entry = submitted_entry(alice, bob)
    client.force_login(bob)
    response = client.post(
        reverse("procedures:signoff_bulk"),
        {"entries": [str(entry.pk)], "autonomy": "4", "comment": text(MAX_COMMENT + 1)},
        follow=True,
    )
    assert response.status_code == 200
    assert "The comment can be at most 2000 characters; this has 2001." in response.content.decode()
    assert not Signature.objects.exists()


def test_assessment_comments_over_the_limit_are_refused_and_kept(client, alice, bob):
    client.force_login(bob)
    url = reverse("curriculum:assessment_create", args=[Enrollment.objects.get(trainee=alice).pk])
    typed = text(MAX_COMMENT + 1)
    response = client.post(url, dops_data(comments=typed))
    assert response.status_code == 200
    assert response.context["form"].errors["comments"] == [
        "Comments can be at most 2000 characters; this has 2001."
    ]
    assert typed in response.content.decode()
    assert not ObservedAssessment.objects.exists()


# --- the pages count as one types ---------------------------------------------------------------


def textareas(html: str) -> list[str]:
    return re.findall(r"<textarea[^>]*>", html)


def test_the_textareas_carry_their_limit_and_the_counter_script(client, alice, bob):
    client.force_login(alice)
    html = client.get(CREATE_URL).content.decode()
    (notes,) = textareas(html)
    assert 'data-max-length="2000"' in notes
    assert "maxlength" not in notes  # the browser would cut a paste short without a word
    assert "js/char_count.js" in html
    entry = submitted_entry(alice, bob)
    client.force_login(bob)
    html = client.get(entry.get_absolute_url()).content.decode()
    comments = textareas(html)
    assert len(comments) == 2  # sign-off and return
    assert all('data-max-length="2000"' in t and "maxlength" not in t for t in comments)
    assert "js/char_count.js" in html


# --- model and database -------------------------------------------------------------------------


def test_full_clean_refuses_notes_over_the_limit(alice, bob):
    entry = EntryFactory.build(trainee=alice, supervisor=bob, notes=text(MAX_NOTES + 1))
    with pytest.raises(ValidationError, match="Notes can be at most 2000 characters"):
        entry.full_clean()


def test_the_database_refuses_notes_over_the_limit(alice, bob):
    with pytest.raises(IntegrityError), transaction.atomic():
        EntryFactory(trainee=alice, supervisor=bob, notes="n" * (MAX_NOTES + 1))
    entry = EntryFactory(trainee=alice, supervisor=bob)
    with pytest.raises(IntegrityError), transaction.atomic():
        Entry.objects.filter(pk=entry.pk).update(notes="n" * (MAX_NOTES + 1))
    # Counted in characters, not bytes: 2000 three-byte characters fit.
    Entry.objects.filter(pk=entry.pk).update(notes="–" * MAX_NOTES)
    assert Entry.objects.get(pk=entry.pk).notes == "–" * MAX_NOTES


def test_the_database_refuses_comments_over_the_limit(alice, bob):
    entry = submitted_entry(alice, bob)
    services.entry_sign_off(entry_id=entry.pk, supervisor=bob, autonomy=4, comment="Fine.")
    event = EntryEvent.objects.filter(entry=entry).last()
    with pytest.raises(IntegrityError), transaction.atomic():
        EntryEvent.objects.filter(pk=event.pk).update(comment="c" * (MAX_COMMENT + 1))
    signature = Signature.objects.get(entry=entry)
    with pytest.raises(IntegrityError), transaction.atomic():
        Signature.objects.create(
            entry=entry,
            revision=2,
            supervisor=bob,
            signer_name="Bob Baker",
            signed_at=timezone.now(),
            autonomy=4,
            comment="c" * (MAX_COMMENT + 1),
            content_hash=signature.content_hash,
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        ObservedAssessment.objects.create(
            trainee=alice,
            assessor=bob,
            observed_on=timezone.localdate(),
            procedure=ProcedureType.objects.get(slug="lumbar-mbb"),
            guidance="fluoroscopy",
            rating=4,
            comments="c" * (MAX_COMMENT + 1),
        )
    assert Signature.objects.count() == 1
    assert not ObservedAssessment.objects.exists()
