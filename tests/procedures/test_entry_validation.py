"""Input rules of the entry form (DESIGN §5), tried through the client as alice.

Every refused POST must re-render the form (200, never 500), put the message on the
field at fault, keep what alice typed, and save nothing.
"""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from procedures.identifiers import find_identifier
from procedures.levels import LevelError, parse_levels
from procedures.models import Entry, Injectate, ProcedureType
from tests.factories import EntryFactory

CREATE_URL = reverse("procedures:entry_create")


def entry_data(supervisor, procedure="lumbar-tfesi", **overrides) -> dict:
    """A valid POST of the entry form: a right L4–L5 lumbar transforaminal epidural under
    fluoroscopy, saved as a draft. `procedure` is a slug; other overrides replace fields."""
    data = {
        "performed_on": (timezone.localdate() - timedelta(days=1)).isoformat(),
        "procedure": ProcedureType.objects.get(slug=procedure).pk,
        "guidance": "fluoroscopy",
        "side": "right",
        "levels": "L4-L5",
        "purpose": "therapeutic",
        "injectates": [Injectate.objects.get(slug="lidocaine").pk],
        "role": "3",
        "supervisor": supervisor.pk if supervisor else "",
        "fluoro_time_s": "32.5",
        "dap": "410",
        "dlp": "",
        "complication": "none",
        "pain_relief_pct": "",
        "age_band": "50-59",
        "sex": "female",
        "notes": "Uneventful.",
        "action": "draft",
    }
    data.update(overrides)
    return data


def assert_refused(response, field, typed, message=None, *, count_before=0, in_html=True):
    """The form came back with an error on `field`, kept `typed`, and saved nothing."""
    assert response.status_code == 200
    form = response.context["form"]
    assert field in form.errors, f"no error on {field}; errors: {dict(form.errors)}"
    if message is not None:
        assert any(message in error for error in form.errors[field]), form.errors[field]
    assert form.data[field] == str(typed)
    if in_html:
        assert escape(str(typed)) in response.content.decode()
    assert "nothing was saved" in response.content.decode()
    assert Entry.objects.count() == count_before


@pytest.fixture
def logged_in(client, alice):
    client.force_login(alice)
    return client


# --- happy paths -----------------------------------------------------------------------------


def test_a_transforaminal_epidural_is_saved_as_draft_then_submitted(logged_in, alice, bob):
    response = logged_in.post(CREATE_URL, entry_data(bob))

    entry = Entry.objects.get()
    assert response.status_code == 302
    assert response.url == entry.get_absolute_url()
    assert entry.trainee == alice
    assert entry.supervisor == bob
    assert entry.status == Entry.Status.DRAFT
    assert entry.submitted_at is None
    assert entry.levels == "L4–L5"
    assert entry.site == "Right L4–L5"
    assert entry.fluoro_time_s == Decimal("32.5")
    assert [i.slug for i in entry.injectates.all()] == ["lidocaine"]

    response = logged_in.post(reverse("procedures:entry_submit", args=[entry.pk]))

    entry.refresh_from_db()
    assert response.status_code == 302
    assert entry.status == Entry.Status.SUBMITTED
    assert entry.submitted_at is not None


def test_submit_for_sign_off_from_the_new_entry_form_submits_at_once(logged_in, bob):
    response = logged_in.post(CREATE_URL, entry_data(bob, action="submit"))

    entry = Entry.objects.get()
    assert response.status_code == 302
    assert entry.status == Entry.Status.SUBMITTED
    assert entry.submitted_at is not None


def test_levels_are_normalised_with_an_en_dash(logged_in, bob):
    logged_in.post(CREATE_URL, entry_data(bob, levels="l4-l5, L5/S1"))

    assert Entry.objects.get().levels == "L4–L5, L5–S1"


def test_caudal_epidural_at_midline_without_levels_is_accepted(logged_in, bob):
    data = entry_data(bob, procedure="caudal-epidural", side="midline", levels="")
    response = logged_in.post(CREATE_URL, data)

    assert response.status_code == 302
    entry = Entry.objects.get()
    assert entry.procedure.slug == "caudal-epidural"
    assert entry.side == "midline"
    assert entry.levels == ""


def test_a_draft_may_be_saved_without_a_supervisor(logged_in):
    response = logged_in.post(CREATE_URL, entry_data(None))

    assert response.status_code == 302
    entry = Entry.objects.get()
    assert entry.supervisor is None
    assert entry.status == Entry.Status.DRAFT


def test_a_typed_pain_relief_is_not_taken_relief_is_computed_from_the_diary(logged_in, bob):
    # Issue 11: relief is computed from the block response's scores, never typed; the
    # column keeps what older entries had typed.
    data = entry_data(bob, procedure="lumbar-mbb", purpose="diagnostic", pain_relief_pct="80")
    response = logged_in.post(CREATE_URL, data)

    assert response.status_code == 302
    assert Entry.objects.get().pain_relief_pct is None
    page = logged_in.get(CREATE_URL).content.decode()
    assert "pain_relief_pct" not in page


def test_ct_guided_procedure_records_dose_length_product(logged_in, bob):
    data = entry_data(bob, guidance="ct", fluoro_time_s="", dap="", dlp="250.5")
    logged_in.post(CREATE_URL, data)

    entry = Entry.objects.get()
    assert entry.dlp == Decimal("250.5")
    assert entry.fluoro_time_s is None


# --- refused input, one rule at a time ---------------------------------------------------------


def test_date_in_the_future_is_refused(logged_in, bob):
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    response = logged_in.post(CREATE_URL, entry_data(bob, performed_on=tomorrow))

    assert_refused(response, "performed_on", tomorrow, "cannot be in the future")


@pytest.mark.parametrize(
    ("procedure", "levels", "message"),
    [
        ("lumbar-tfesi", "C5", "outside this procedure’s region"),
        ("lumbar-tfesi", "L4-L6", "L6 is not a vertebral level"),
        ("lumbar-tfesi", "L3-L5", "not a pair of adjacent levels"),
        ("lumbar-tfesi", "L5-L4", "not a pair of adjacent levels"),
        ("lumbar-tfesi", "X9", "is not a vertebral level"),
        ("lumbar-tfesi", "L4, L4", "listed twice"),
        ("cervical-tfesi", "L4-L5", "outside this procedure’s region"),
        ("thoracic-mbb", "C7-T1", "outside this procedure’s region"),
    ],
)
def test_levels_invalid_for_the_region_are_refused(logged_in, bob, procedure, levels, message):
    data = entry_data(bob, procedure=procedure, levels=levels)
    response = logged_in.post(CREATE_URL, data)

    assert_refused(response, "levels", levels, message)


def test_every_single_level_is_accepted_for_a_nerve_root_block(logged_in, bob):
    every_level = "C1,C2,C3,C4,C5,C6,C7,T1,T2,T3,T4,T5,T6,T7,T8,T9,T10,T11,T12,L1,L2,L3,L4,L5,S1"
    response = logged_in.post(CREATE_URL, entry_data(bob, procedure="snrb", levels=every_level))

    assert response.status_code == 302
    assert Entry.objects.get().levels == every_level.replace(",", ", ")


def test_levels_too_long_once_normalised_are_refused(logged_in, bob):
    singles = ["C1", "C2", "C3", "C4", "C5", "C6", "C7", "T1", "T2", "T3", "T4", "T5", "T6"]
    singles += ["T7", "T8", "T9", "T10", "T11", "T12", "L1", "L2", "L3", "L4", "L5", "S1"]
    segments = [f"{upper}-{lower}" for upper, lower in zip(singles, singles[1:], strict=False)]
    every_level = ",".join(singles + segments)
    data = entry_data(bob, procedure="snrb", levels=every_level)
    response = logged_in.post(CREATE_URL, data)

    assert_refused(response, "levels", every_level)


def test_levels_are_required_for_a_spine_procedure_that_needs_them(logged_in, bob):
    response = logged_in.post(CREATE_URL, entry_data(bob, levels=""))

    assert_refused(response, "levels", "", "Enter the vertebral level", in_html=False)


def test_levels_given_for_a_knee_injection_are_refused(logged_in, bob):
    data = entry_data(
        bob, procedure="knee-joint", guidance="ultrasound", fluoro_time_s="", dap="", levels="L4"
    )
    response = logged_in.post(CREATE_URL, data)

    assert_refused(response, "levels", "L4", "leave Levels empty")


def chosen_button(response, name: str) -> str | None:
    """The value of the radio button `name` checked on the page (the form's rows of
    buttons), or None."""
    found = re.findall(
        rf'<input type="radio"[^>]* name="{name}" value="([^"]*)"[^>]*\bchecked\b',
        response.content.decode(),
    )
    assert len(found) <= 1
    return found[0] if found else None


def test_caudal_epidural_must_be_midline(logged_in, bob):
    data = entry_data(bob, procedure="caudal-epidural", levels="", side="left")
    response = logged_in.post(CREATE_URL, data)

    assert_refused(response, "side", "left", "the side is midline", in_html=False)
    assert chosen_button(response, "side") == "left"


def test_knee_ligament_injection_under_fluoroscopy_is_refused(logged_in, bob):
    data = entry_data(
        bob,
        procedure="knee-ligament",
        side="left",
        levels="",
        dap="",
        guidance="fluoroscopy",
        fluoro_time_s="",
    )
    response = logged_in.post(CREATE_URL, data)

    assert_refused(response, "guidance", "fluoroscopy", "is done under Ultrasound", in_html=False)
    assert chosen_button(response, "guidance") == "fluoroscopy"


@pytest.mark.parametrize(("field", "value"), [("fluoro_time_s", "45"), ("dap", "300")])
def test_fluoroscopy_dose_is_refused_for_an_ultrasound_procedure(logged_in, bob, field, value):
    data = entry_data(bob, procedure="lumbar-mbb", guidance="ultrasound", fluoro_time_s="", dap="")
    data[field] = value
    response = logged_in.post(CREATE_URL, data)

    assert_refused(response, field, value, "Only for procedures under fluoroscopy")


def test_dose_length_product_is_refused_under_fluoroscopy(logged_in, bob):
    response = logged_in.post(CREATE_URL, entry_data(bob, dlp="120"))

    assert_refused(response, "dlp", "120", "Only for CT-guided procedures")


@pytest.mark.parametrize("value", ["3601", "-1", "-0.5"])
def test_fluoroscopy_time_outside_0_to_3600_seconds_is_refused(logged_in, bob, value):
    response = logged_in.post(CREATE_URL, entry_data(bob, fluoro_time_s=value))

    assert_refused(response, "fluoro_time_s", value, "between 0 and 3600 seconds")


def test_fluoroscopy_time_of_exactly_3600_seconds_is_accepted(logged_in, bob):
    response = logged_in.post(CREATE_URL, entry_data(bob, fluoro_time_s="3600"))

    assert response.status_code == 302
    assert Entry.objects.get().fluoro_time_s == 3600


def test_negative_dose_area_product_is_refused(logged_in, bob):
    response = logged_in.post(CREATE_URL, entry_data(bob, dap="-10"))

    assert_refused(response, "dap", "-10", "Dose-area product must be between 0")


def test_a_supervisor_who_does_not_supervise_this_trainee_is_refused(logged_in, bob, dave):
    response = logged_in.post(CREATE_URL, entry_data(dave, action="submit"))

    assert_refused(
        response, "supervisor", dave.pk, "Choose one of your own supervisors", in_html=False
    )


def test_the_trainee_cannot_choose_herself_as_supervisor(logged_in, alice):
    response = logged_in.post(CREATE_URL, entry_data(alice, action="submit"))

    assert_refused(response, "supervisor", alice.pk, "you cannot supervise yourself", in_html=False)


def test_submit_without_a_supervisor_is_refused(logged_in):
    response = logged_in.post(CREATE_URL, entry_data(None, action="submit"))

    assert_refused(response, "supervisor", "", "Choose the supervisor", in_html=False)


@pytest.mark.parametrize(
    ("notes", "what"),
    [
        ("MRN 1234567", "seven or more digits"),
        ("Hospital no. 123 4567", "seven or more digits"),
        ("DOB 12/03/1961", "a full date"),
        ("born 1961-03-12", "a full date"),
        ("DOB 12 March 1961", "a full date"),
        ("DOB March 12, 1961", "a full date"),
    ],
)
def test_notes_that_look_like_a_patient_identifier_are_refused(logged_in, bob, notes, what):
    response = logged_in.post(CREATE_URL, entry_data(bob, notes=notes))

    assert_refused(response, "notes", notes, what)
    assert "never stores patient identifiers" in response.context["form"].errors["notes"][0]


@pytest.mark.parametrize("notes", ["DOB 12-Mar-1961", "DOB 12Mar1961", "born 12th of March 1961"])
def test_notes_with_other_month_name_dates_are_refused(logged_in, bob, notes):
    response = logged_in.post(CREATE_URL, entry_data(bob, notes=notes))

    assert_refused(response, "notes", notes, "a full date")


@pytest.mark.parametrize(("field", "value"), [("guidance", "xray"), ("role", "9")])
def test_unknown_choice_values_are_refused(logged_in, bob, field, value):
    response = logged_in.post(CREATE_URL, entry_data(bob, **{field: value}))

    assert_refused(response, field, value, "Select a valid choice", in_html=False)


def test_several_errors_are_reported_together(logged_in, bob):
    data = entry_data(bob, levels="X9", dlp="120", notes="MRN 1234567")
    response = logged_in.post(CREATE_URL, data)

    assert response.status_code == 200
    assert {"levels", "dlp", "notes"} <= set(response.context["form"].errors)
    assert Entry.objects.count() == 0


def test_refused_edit_keeps_the_entry_unchanged(logged_in, alice, bob):
    entry = EntryFactory(trainee=alice, supervisor=bob)
    url = reverse("procedures:entry_edit", args=[entry.pk])

    response = logged_in.post(url, entry_data(bob, levels="L4-L6", notes="Changed"))

    assert_refused(response, "levels", "L4-L6", count_before=1)
    entry.refresh_from_db()
    assert entry.levels == "L4–L5"
    assert entry.notes == ""


def test_submitting_a_draft_without_supervisor_reopens_the_form(logged_in, alice):
    entry = EntryFactory(trainee=alice, supervisor=None)

    response = logged_in.post(reverse("procedures:entry_submit", args=[entry.pk]))

    assert response.status_code == 200
    assert "supervisor" in response.context["form"].errors
    entry.refresh_from_db()
    assert entry.status == Entry.Status.DRAFT
    assert entry.submitted_at is None


# --- the database's own guard rails ------------------------------------------------------------


@pytest.fixture
def unsaved_entry(alice, bob):
    return EntryFactory.build(trainee=alice, supervisor=bob)


def test_the_factory_entry_passes_full_clean(unsaved_entry):
    unsaved_entry.full_clean()


@pytest.mark.parametrize(
    ("changes", "constraint"),
    [
        ({"dlp": Decimal("100")}, "procedures_entry_dlp_only_ct"),
        ({"guidance": "ultrasound"}, "procedures_entry_fluoro_dose_only_fluoroscopy"),
        ({"fluoro_time_s": Decimal("3600.5")}, "procedures_entry_fluoro_time_bounds"),
        ({"pain_relief_pct": 50}, "procedures_entry_pain_relief_diagnostic_0_100"),
        (
            {"status": Entry.Status.SUBMITTED, "supervisor": None},
            "procedures_entry_submitted_has_supervisor",
        ),
    ],
)
def test_full_clean_enforces_the_check_constraints(unsaved_entry, changes, constraint):
    for name, value in changes.items():
        setattr(unsaved_entry, name, value)

    with pytest.raises(ValidationError, match=constraint):
        unsaved_entry.full_clean()


def test_full_clean_refuses_a_self_supervised_entry(unsaved_entry, alice):
    unsaved_entry.supervisor = alice

    with pytest.raises(ValidationError, match="procedures_entry_not_self_supervised"):
        unsaved_entry.full_clean()


def test_database_refuses_a_self_supervised_entry(alice):
    with pytest.raises(IntegrityError), transaction.atomic():
        EntryFactory(trainee=alice, supervisor=alice)
    assert Entry.objects.count() == 0


def test_database_refuses_dose_length_product_under_fluoroscopy(alice, bob):
    with pytest.raises(IntegrityError), transaction.atomic():
        EntryFactory(trainee=alice, supervisor=bob, dlp=Decimal("100"))
    assert Entry.objects.count() == 0


def test_database_refuses_a_submitted_entry_without_supervisor(alice):
    with pytest.raises(IntegrityError), transaction.atomic():
        EntryFactory(trainee=alice, supervisor=None, status=Entry.Status.SUBMITTED)
    assert Entry.objects.count() == 0


# --- parse_levels --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "region", "expected"),
    [
        ("L4", "lumbar", "L4"),
        ("L4-L5", "lumbar", "L4–L5"),
        ("L4–L5", "lumbar", "L4–L5"),
        ("L4—L5", "lumbar", "L4–L5"),
        ("l4/l5", "lumbar", "L4–L5"),
        (" L4 - L5 ", "lumbar", "L4–L5"),
        ("L5-S1", "lumbar", "L5–S1"),
        ("S1", "lumbar", "S1"),
        ("L3-L4; L4-L5, L5-S1", "lumbar", "L3–L4, L4–L5, L5–S1"),
        ("C7-T1", "cervical", "C7–T1"),
        ("C1-C2", "cervical", "C1–C2"),
        ("T12-L1", "thoracic", "T12–L1"),
        ("T9-T10", "thoracic", "T9–T10"),
        ("C5, T4, L2", "spine", "C5, T4, L2"),
    ],
)
def test_parse_levels_accepts_and_normalises(text, region, expected):
    assert parse_levels(text, region) == expected


@pytest.mark.parametrize(
    ("text", "region"),
    [
        ("", "lumbar"),
        (" , ", "lumbar"),
        # "L4 L5" is accepted since issue 10: a space may stand for the dash of a segment.
        ("L4 L5 S1", "lumbar"),
        ("L4-L6", "lumbar"),
        ("L3-L5", "lumbar"),
        ("L5-L4", "lumbar"),
        ("L0", "lumbar"),
        ("S2", "lumbar"),
        ("X9", "lumbar"),
        ("L04", "lumbar"),
        ("C5", "lumbar"),
        ("T12-L1", "lumbar"),
        ("C8", "cervical"),
        ("T1", "cervical"),
        ("T13", "thoracic"),
        ("L1", "thoracic"),
        ("L4, l4", "lumbar"),
        ("L4-L5, L4/L5", "lumbar"),
        ("L4", "knee"),
        ("L4", "sacral"),
        ("4-5", "lumbar"),
        ("L4-", "lumbar"),
    ],
)
def test_parse_levels_refuses(text, region):
    with pytest.raises(LevelError):
        parse_levels(text, region)


# --- find_identifier -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "MRN 1234567",
        "12345678",
        "123-4567",
        "123 4567",
        "DOB 12/03/1961",
        "12.03.1961",
        "12-03-61",
        "1961-03-12",
        "1961/3/12",
        "12 March 1961",
        "3rd Sept. 1961",
        "March 12, 1961",
        "mar 12 61",
    ],
)
def test_find_identifier_flags_record_numbers_and_full_dates(text):
    assert find_identifier(text) is not None


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Uneventful. L4–L5 right, 2 mL 0.5% bupivacaine.",
        "DAP 410.00, fluoro 32.5 s",
        "Pain 7/10 before, 2/10 after",
        "Seen 12/3 in clinic",
        "March 1961",
        "123456",
        "Age 55, BMI 31",
    ],
)
def test_find_identifier_lets_clinical_notes_through(text):
    assert find_identifier(text) is None


@pytest.mark.parametrize(
    ("procedure", "written", "stored"),
    [
        ("lumbar-tfesi", "L4-5", "L4–L5"),
        ("lumbar-tfesi", "L4/5", "L4–L5"),
        ("lumbar-tfesi", "L4–5", "L4–L5"),
        ("lumbar-tfesi", "l4 - 5", "L4–L5"),
        ("lumbar-tfesi", "L4 L5", "L4–L5"),
        ("lumbar-tfesi", "L5/S1", "L5–S1"),
        ("lumbar-tfesi", "L3-4 and L4-5", "L3–L4, L4–L5"),
        ("lumbar-tfesi", "L3-4, L4-5; L5-S1", "L3–L4, L4–L5, L5–S1"),
        ("lumbar-tfesi", "Ｌ４－５", "L4–L5"),  # full-width, from a phone keyboard
        ("lumbar-tfesi", "L4\u00a0\u2212\u00a05", "L4–L5"),  # non-breaking spaces, minus sign
        ("cervical-tfesi", "C5-6", "C5–C6"),
        ("thoracic-mbb", "T12-L1", "T12–L1"),
    ],
)
def test_levels_in_clinical_shorthand_are_stored_canonically(
    logged_in, bob, procedure, written, stored
):
    """Issue 10: the way clinicians write levels is accepted, and stored one way."""
    response = logged_in.post(CREATE_URL, entry_data(bob, procedure=procedure, levels=written))
    assert response.status_code == 302
    assert Entry.objects.get().levels == stored


@pytest.mark.parametrize(
    ("written", "message"),
    [
        ("L5-1", "L5–L1 is not a pair of adjacent levels"),  # S1 must be named
        ("L4-6", "L6 is not a vertebral level"),
        ("L4 L5 L6", "is not a vertebral level. Write levels like L4, L4–L5 or L4-5"),
        ("L4-5 and L4/5", "listed twice"),
    ],
)
def test_shorthand_that_names_no_real_segment_is_refused(logged_in, bob, written, message):
    response = logged_in.post(CREATE_URL, entry_data(bob, levels=written))
    assert_refused(response, "levels", written, message)
