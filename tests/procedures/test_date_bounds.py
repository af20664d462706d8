"""No date before 1 January 1990 (a typing slip: 0202 for 2022), on the entry and on an
observed assessment: the form says which field and what range, the model and the database
refuse it too, and the table rebuild that added the constraint on SQLite kept every trigger."""

import datetime
import importlib

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.urls import reverse

from curriculum.models import ObservedAssessment
from procedures.models import EARLIEST_DATE, Entry
from programs.models import Enrollment
from tests.curriculum.test_pages import dops_data
from tests.factories import EntryFactory
from tests.procedures.test_entry_validation import CREATE_URL, assert_refused, entry_data

DAY_BEFORE = EARLIEST_DATE - datetime.timedelta(days=1)


def test_the_earliest_date_is_1_january_1990():
    assert EARLIEST_DATE == datetime.date(1990, 1, 1)


# --- the forms ---------------------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["1989-12-31", "0202-03-04", "0001-01-01"])
def test_an_entry_dated_before_1990_is_refused_on_the_field(client, alice, bob, typed):
    client.force_login(alice)
    response = client.post(CREATE_URL, entry_data(bob, performed_on=typed))
    assert_refused(
        response,
        "performed_on",
        typed,
        "The date performed must be between 1 January 1990 and today.",
    )


def test_an_entry_dated_1_january_1990_is_accepted(client, alice, bob):
    client.force_login(alice)
    response = client.post(CREATE_URL, entry_data(bob, performed_on="1990-01-01"))
    assert response.status_code == 302
    assert Entry.objects.get().performed_on == EARLIEST_DATE


def test_the_entry_form_tells_the_browser_the_range(client, alice):
    client.force_login(alice)
    html = client.get(CREATE_URL).content.decode()
    assert 'min="1990-01-01"' in html


def _dops_url(alice):
    return reverse("curriculum:assessment_create", args=[Enrollment.objects.get(trainee=alice).pk])


@pytest.mark.parametrize("typed", ["1989-12-31", "0202-03-04"])
def test_an_assessment_observed_before_1990_is_refused_on_the_field(client, alice, bob, typed):
    client.force_login(bob)
    response = client.post(_dops_url(alice), dops_data(observed_on=typed))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors["observed_on"] == ["The date observed must be between 1 January 1990 and today."]
    assert response.context["form"].data["observed_on"] == typed
    assert typed in response.content.decode()
    assert not ObservedAssessment.objects.exists()


def test_the_assessment_form_tells_the_browser_the_range(client, alice, bob):
    client.force_login(bob)
    assert 'min="1990-01-01"' in client.get(_dops_url(alice)).content.decode()


# --- the model and the database ----------------------------------------------------------------


def test_full_clean_refuses_an_entry_before_1990(alice, bob):
    entry = EntryFactory.build(trainee=alice, supervisor=bob, performed_on=DAY_BEFORE)
    with pytest.raises(ValidationError, match="cannot be before 1 January 1990"):
        entry.full_clean()


def test_the_database_refuses_an_entry_before_1990(alice, bob):
    with pytest.raises(IntegrityError), transaction.atomic():
        EntryFactory(trainee=alice, supervisor=bob, performed_on=DAY_BEFORE)
    entry = EntryFactory(trainee=alice, supervisor=bob)
    with pytest.raises(IntegrityError), transaction.atomic():
        Entry.objects.filter(pk=entry.pk).update(performed_on=DAY_BEFORE)
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE procedures_entry SET performed_on = %s WHERE id = %s", [DAY_BEFORE, entry.pk]
        )
    assert Entry.objects.get(pk=entry.pk).performed_on != DAY_BEFORE


def test_the_database_refuses_an_assessment_before_1990(alice, bob):
    from procedures.models import ProcedureType

    fields = {
        "trainee": alice,
        "assessor": bob,
        "procedure": ProcedureType.objects.get(slug="lumbar-mbb"),
        "guidance": "fluoroscopy",
        "rating": 4,
    }
    with pytest.raises(ValidationError, match="cannot be before 1 January 1990"):
        ObservedAssessment(observed_on=DAY_BEFORE, **fields).full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        ObservedAssessment.objects.create(observed_on=DAY_BEFORE, **fields)
    assert not ObservedAssessment.objects.exists()
    ObservedAssessment.objects.create(observed_on=EARLIEST_DATE, **fields)


# --- the triggers survived the table rebuild ---------------------------------------------------


def _installed_triggers() -> set[str]:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        else:
            cursor.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
        return {row[0] for row in cursor.fetchall()}


@pytest.mark.parametrize(
    "migration",
    [
        "procedures.migrations.0005_record_triggers",
        "curriculum.migrations.0005_curriculum_triggers",
    ],
)
def test_every_trigger_is_installed_after_migrating(db, migration):
    expected = {trigger.name for trigger in importlib.import_module(migration).TRIGGERS}
    assert expected
    assert expected <= _installed_triggers()
