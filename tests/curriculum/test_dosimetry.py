"""Personal dosimetry (issue 12, point 3): both limit presets, rolling 12-month and 5-year
windows, the investigation levels, one e-mail per crossing, the reading form, the banner."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from curriculum.dosimetry import record_reading
from programs.dosimetry import (
    PRESETS,
    Level,
    Preset,
    Quantity,
    Reading,
    crossings,
    dose_status,
    limits_of,
    quarter_of,
)
from programs.models import DoseAlert, DoseReading

D = Decimal
WB, LENS, EXT = Quantity.WHOLE_BODY, Quantity.LENS, Quantity.EXTREMITY
TODAY = date(2026, 12, 7)
ICRP, NRC = PRESETS[Preset.ICRP], PRESETS[Preset.NRC]


def reading(end: date, whole_body=None, lens=None, extremity=None) -> Reading:
    return Reading(period_end=end, doses={WB: whole_body, LENS: lens, EXT: extremity})


def status_of(readings, limits, quantity=WB):
    return next(
        q for q in dose_status(readings, limits, TODAY).quantities if q.quantity == quantity
    )


def test_the_icrp_eu_preset():
    assert ICRP.annual == {WB: D(20), LENS: D(20), EXT: D(500)}
    assert (ICRP.effective_one_year, ICRP.effective_five_years) == (D(50), D(100))


def test_the_us_nrc_preset():
    assert NRC.annual == {WB: D(50), LENS: D(150), EXT: D(500)}
    assert (NRC.effective_one_year, NRC.effective_five_years) == (D(50), None)


@pytest.mark.parametrize(
    "limits, quantity, level_1, level_2",
    [
        (ICRP, WB, "0.500", "1.500"),  # 20 / 4 × 10%, × 30%
        (ICRP, LENS, "0.500", "1.500"),
        (ICRP, EXT, "12.500", "37.500"),
        (NRC, WB, "1.250", "3.750"),  # NUREG-1556 vol. 9: 125 and 375 mrem a quarter
        (NRC, LENS, "3.750", "11.250"),
        (NRC, EXT, "12.500", "37.500"),
    ],
)
def test_investigation_levels_are_10_and_30_percent_of_the_quarterly_share(
    limits, quantity, level_1, level_2
):
    assert limits.quarterly_level(quantity, Level.INVESTIGATION_1) == D(level_1)
    assert limits.quarterly_level(quantity, Level.INVESTIGATION_2) == D(level_2)


def test_a_program_sets_its_own_values_over_the_preset(program):
    program.dose_preset = Preset.NRC
    program.limit_lens_msv = D(50)
    program.investigation_level_1_pct = 20
    limits = limits_of(program)
    assert limits.annual[LENS] == D(50) and limits.annual[WB] == D(50)
    assert limits.quarterly_level(LENS, Level.INVESTIGATION_1) == D("2.500")


def test_the_12_month_window_is_rolling():
    year_ago = date(2025, 12, 7)
    outside = [reading(year_ago, whole_body=D(60))]  # ended a year ago today: out
    inside = [reading(year_ago + timedelta(days=1), whole_body=D(60))]
    assert status_of(outside, NRC).last_12_months == 0
    assert status_of(inside, NRC).last_12_months == D(60)
    assert status_of(inside, NRC).level == Level.LIMIT  # over 50 in a year
    assert status_of(outside, NRC).level is None


def test_icrp_allows_20_a_year_on_average_but_never_50_in_one():
    thirty = [reading(date(2026, 6, 30), whole_body=D(30))]
    assert status_of(thirty, ICRP).level is None  # above 20 this year: within the average
    assert status_of(thirty, ICRP).percent_of_annual == 150
    fifty_one = [reading(date(2026, 6, 30), whole_body=D(51))]
    assert status_of(fifty_one, ICRP).level == Level.LIMIT


def test_icrp_counts_five_rolling_years():
    years = [reading(date(2022 + i, 6, 30), whole_body=D("20.25")) for i in range(5)]
    status = status_of(years, ICRP)
    assert status.last_5_years == D("101.25") and status.level == Level.LIMIT
    assert status_of(years, NRC).level is None  # no five-year limit; 20.25 this year
    older = [reading(date(2021, 12, 7), whole_body=D(90))] + years[1:]  # 5 years ago: out
    assert status_of(older, ICRP).last_5_years == D("81.00")


def test_the_lens_limit_is_its_own():
    lens = [reading(date(2026, 10, 1), lens=D(21))]
    assert status_of(lens, ICRP, LENS).level == Level.LIMIT
    assert status_of(lens, NRC, LENS).level == Level.INVESTIGATION_2  # 21 ≥ 11.25 this quarter


@pytest.mark.parametrize(
    "dose, level",
    [
        ("0.49", None),
        ("0.5", Level.INVESTIGATION_1),
        ("1.49", Level.INVESTIGATION_1),
        ("1.5", Level.INVESTIGATION_2),
    ],
)
def test_this_quarters_dose_against_the_investigation_levels(dose, level):
    assert status_of([reading(date(2026, 11, 30), whole_body=D(dose))], ICRP).level == level


def test_a_quarter_sums_its_readings_and_another_quarter_is_apart():
    readings = [
        reading(date(2026, 10, 31), whole_body=D("0.3")),
        reading(date(2026, 11, 30), whole_body=D("0.3")),
        reading(date(2026, 9, 30), whole_body=D("0.4")),
    ]
    assert status_of(readings, ICRP).this_quarter == D("0.6")
    found = crossings(readings, ICRP)
    assert found == {(date(2026, 10, 1), WB, 1, D("0.6"))}


def test_quarter_of():
    assert quarter_of(date(2026, 12, 7)) == date(2026, 10, 1)
    assert quarter_of(date(2026, 3, 31)) == date(2026, 1, 1)


# --- recording, alerts and mail -----------------------------------------------------------


def record(person, by, days_ago_end: int, **doses):
    end = timezone.localdate() - timedelta(days=days_ago_end)
    return record_reading(
        person=person,
        by=by,
        period_start=end - timedelta(days=6),
        period_end=end,
        whole_body=doses.get("whole_body"),
        lens=doses.get("lens"),
        extremity=doses.get("extremity"),
    )


@pytest.fixture
def diana(diana):
    """The director, with an address to be mailed at."""
    diana.email = "diana@example.org"
    diana.save(update_fields=["email"])
    return diana


def test_one_email_to_the_director_per_crossing(
    alice, diana, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        record(alice, alice, 0, whole_body=D("0.2"))
    assert not mailoutbox and not DoseAlert.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        record(alice, alice, 0, whole_body=D("0.35"))  # 0.55 this quarter: level I
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == [diana.email]
    assert "investigation level i" in mailoutbox[0].subject.lower()
    assert "/radiation/" in mailoutbox[0].body
    with django_capture_on_commit_callbacks(execute=True):
        record(alice, diana, 0, whole_body=D("0.1"))  # 0.65: still level I, no new crossing
    assert len(mailoutbox) == 1
    with django_capture_on_commit_callbacks(execute=True):
        record(alice, alice, 0, whole_body=D("1"))  # 1.65: level II
    assert len(mailoutbox) == 2 and "level ii" in mailoutbox[1].subject.lower()
    assert DoseAlert.objects.filter(person=alice).count() == 2


def test_jumping_two_levels_at_once_is_one_email_naming_the_higher(
    alice, diana, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        record(alice, alice, 0, whole_body=D("2"))
    assert len(mailoutbox) == 1 and "level ii" in mailoutbox[0].subject.lower()
    assert set(DoseAlert.objects.values_list("level", flat=True)) == {1, 2}


def test_a_backlog_crossing_is_stored_not_mailed(
    alice, diana, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        record(alice, alice, 400, whole_body=D("2"))
    assert not mailoutbox
    assert DoseAlert.objects.filter(person=alice).count() == 2


def test_a_limit_crossing_is_mailed(alice, diana, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        record(alice, alice, 0, lens=D("25"))
    assert any("dose limit" in m.subject.lower() for m in mailoutbox)


# --- the form and the page --------------------------------------------------------------------

NEW = reverse("curriculum:my_dose_reading")


def body(**fields):
    end = timezone.localdate() - timedelta(days=1)
    data = {
        "period_start": (end - timedelta(days=29)).isoformat(),
        "period_end": end.isoformat(),
        "whole_body": "0.12",
    }
    return {**data, **fields}


def test_a_trainee_records_a_reading(client, alice):
    client.force_login(alice)
    response = client.post(NEW, body())
    assert response.status_code == 302
    reading = DoseReading.objects.get(person=alice)
    assert reading.whole_body == D("0.120") and reading.recorded_by == alice
    page = client.get(response["Location"]).content.decode()
    assert "Reading recorded." in page and "Personal dosimetry" in page


@pytest.mark.parametrize(
    "fields, message",
    [
        (
            {"period_end": "2026-01-01", "period_start": "2026-02-01"},
            "The wear period must end on or after the day it began.",
        ),
        (
            {"period_end": (date.today() + timedelta(days=3)).isoformat()},
            "A wear period cannot end (or begin) in the future.",
        ),
        ({"whole_body": ""}, "Enter at least one dose: whole body, eye lens or extremity."),
        (
            {"whole_body": "1000.5"},
            "Whole body, Hp(10) must be a number of mSv from 0 to 1,000, with at most 3 decimal places.",
        ),
        (
            {"lens": "-1"},
            "Eye lens, Hp(3) must be a number of mSv from 0 to 1,000, with at most 3 decimal places.",
        ),
        (
            {"extremity": "a lot"},
            "Extremity, Hp(0.07) must be a number of mSv from 0 to 1,000, with at most 3 decimal places.",
        ),
        ({"period_start": ""}, "Enter the date the wear period began."),
    ],
)
def test_bad_readings_are_refused_with_a_clear_message(client, alice, fields, message):
    client.force_login(alice)
    response = client.post(NEW, body(**fields))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not DoseReading.objects.exists()


def test_an_overlapping_period_of_the_same_dosimeter_is_refused(client, alice):
    client.force_login(alice)
    client.post(NEW, body())
    response = client.post(NEW, body(whole_body="0.5"))
    assert "is already recorded for" in response.content.decode()
    assert DoseReading.objects.count() == 1
    ring = client.post(NEW, body(whole_body="", extremity="2.5"))  # another dosimeter
    assert ring.status_code == 302


def test_the_trainee_sees_a_banner_once_a_level_is_crossed(client, alice, diana):
    client.force_login(alice)
    page = client.get(reverse("curriculum:my_radiation")).content.decode()
    assert 'id="dose-banner"' not in page
    record(alice, alice, 0, whole_body=D("0.6"))
    page = client.get(reverse("curriculum:my_radiation")).content.decode()
    assert 'id="dose-banner"' in page and "investigation level" in page


def test_the_director_records_a_reading_for_a_trainee(client, alice, diana):
    from programs.models import Enrollment

    enrollment = Enrollment.objects.get(trainee=alice)
    client.force_login(diana)
    url = reverse("curriculum:trainee_dose_reading", args=[enrollment.pk])
    assert client.post(url, body()).status_code == 302
    assert DoseReading.objects.get().recorded_by == diana


def test_home_shows_the_trainee_the_banner_too(client, alice, diana):
    client.force_login(alice)
    assert 'id="dose-banner"' not in client.get(reverse("home")).content.decode()
    record(alice, alice, 0, whole_body=D("1.6"))
    page = client.get(reverse("home")).content.decode()
    assert 'id="dose-banner"' in page and "(level II)" in page
