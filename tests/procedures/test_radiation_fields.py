"""Radiation per case on the entry form (issue 12, point 1): reference air kerma, who
drove the C-arm and subtraction runs under fluoroscopy; CTDIvol and scans under CT. Units
on the labels, plausible bounds on the server with messages that name the field."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from procedures.models import Entry
from procedures.services import LATER_CONTENT_FIELDS, content_hash
from tests.factories import EntryFactory, entry_post

NEW = reverse("procedures:entry_create")


@pytest.fixture
def logged_in(client, alice):
    client.force_login(alice)
    return client


def test_a_fluoroscopy_case_records_its_kerma_operator_and_runs(logged_in, alice, bob):
    response = logged_in.post(
        NEW, entry_post(bob, air_kerma="3.25", dsa_runs=2, carm_operator="radiographer")
    )
    assert response.status_code == 302
    entry = Entry.objects.get(trainee=alice)
    assert (entry.air_kerma, entry.dsa_runs, entry.carm_operator) == (
        Decimal("3.25"),
        2,
        "radiographer",
    )
    page = logged_in.get(entry.get_absolute_url()).content.decode()
    assert "Reference air kerma (mGy)" in page and "3.25" in page
    assert "C-arm operated by" in page and "Radiographer" in page


def test_a_ct_case_records_its_ctdi_and_scans(logged_in, alice, bob):
    response = logged_in.post(
        NEW, entry_post(bob, guidance="ct", dlp="380.5", ctdi_vol="12.40", ct_scans=4)
    )
    assert response.status_code == 302
    entry = Entry.objects.get(trainee=alice)
    assert (entry.ctdi_vol, entry.ct_scans) == (Decimal("12.40"), 4)


def test_the_form_labels_carry_their_units(logged_in):
    page = logged_in.get(NEW).content.decode()
    for label in (
        "Reference air kerma (mGy)",
        "CTDIvol (mGy)",
        "Dose-area product (mGy·cm²)",
        "Dose-length product (mGy·cm)",
        "Fluoroscopy time (s)",
    ):
        assert label in page


@pytest.mark.parametrize(
    "field, value, message",
    [
        (
            "air_kerma",
            "10000.01",
            "Reference air kerma must be a number with at most 2 decimal places from 0 to 10,000 mGy.",
        ),
        (
            "air_kerma",
            "-1",
            "Reference air kerma must be a number with at most 2 decimal places from 0 to 10,000 mGy.",
        ),
        (
            "air_kerma",
            "lots",
            "Reference air kerma must be a number with at most 2 decimal places from 0 to 10,000 mGy.",
        ),
        ("dsa_runs", "31", "Digital subtraction runs must be a whole number from 0 to 30 runs."),
        ("dsa_runs", "2.5", "Digital subtraction runs must be a whole number from 0 to 30 runs."),
    ],
)
def test_out_of_bounds_figures_are_refused_naming_the_field(
    logged_in, alice, bob, field, value, message
):
    data = entry_post(bob, **{field: value}, notes="Kept as typed.")
    response = logged_in.post(NEW, data)
    assert response.status_code == 200
    page = response.content.decode()
    assert message in page
    assert "Kept as typed." in page  # nothing typed is lost
    assert not Entry.objects.filter(trainee=alice).exists()


@pytest.mark.parametrize(
    "field, value, guidance, message",
    [
        (
            "ctdi_vol",
            "201",
            "ct",
            "CTDIvol must be a number with at most 2 decimal places from 0 to 200 mGy.",
        ),
        ("ct_scans", "51", "ct", "CT scans must be a whole number from 0 to 50 scans."),
        ("ctdi_vol", "10", "fluoroscopy", "Only for CT-guided procedures."),
        ("air_kerma", "3", "ct", "Only for procedures under fluoroscopy."),
        ("carm_operator", "trainee", "ct", "Only for procedures under fluoroscopy."),
    ],
)
def test_ct_figures_are_bounded_and_each_measure_belongs_to_its_guidance(
    logged_in, alice, bob, field, value, guidance, message
):
    response = logged_in.post(NEW, entry_post(bob, guidance=guidance, **{field: value}))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Entry.objects.filter(trainee=alice).exists()


def test_the_database_holds_the_same_bounds(alice, bob):
    for fields in (
        {"air_kerma": Decimal("10000.01")},
        {"dsa_runs": 31},
        {"guidance": "ct", "fluoro_time_s": None, "dap": None, "ctdi_vol": Decimal("200.01")},
        {"guidance": "ct", "fluoro_time_s": None, "dap": None, "carm_operator": "trainee"},
        {"ct_scans": 2},  # CT scans under fluoroscopy
    ):
        with pytest.raises(IntegrityError), transaction.atomic():
            EntryFactory(trainee=alice, supervisor=bob, **fields)


def test_the_signature_covers_the_new_figures_and_old_signatures_still_verify(alice, bob):
    entry = EntryFactory(trainee=alice, supervisor=bob)
    before = content_hash(entry, injectate_ids=[])
    entry.air_kerma = Decimal("2.00")
    assert content_hash(entry, injectate_ids=[]) != before
    entry.air_kerma = None
    assert content_hash(entry, injectate_ids=[]) == before  # empty: as before the field
    assert {"air_kerma", "carm_operator", "dsa_runs", "ctdi_vol", "ct_scans"} <= set(
        LATER_CONTENT_FIELDS
    )
