"""The Radiation page in a browser (issue 12, point 2): at 390 and 1280 px, with its charts
and their tables, a flagged procedure, the learning curve and CT work; axe at both widths;
a trainee logs a case's radiation through the form and sees it counted."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from curriculum.dosimetry import record_reading
from procedures.models import Entry, ProcedureType
from tests.browser.conftest import choose, fill_entry, screenshot, sign_in
from tests.browser.test_accessibility import assert_accessible
from tests.factories import PASSWORD, EntryFactory

pytestmark = pytest.mark.browser


def history(alice, bob, charlie, dave):
    """A year of alice's cases: a learning curve under fluoroscopy, slower than the
    program on cervical transforaminals, and some CT-guided cases; charlie's cases make
    the program's medians."""
    today = timezone.localdate()
    tfesi = ProcedureType.objects.get(slug="lumbar-tfesi")
    cervical = ProcedureType.objects.get(slug="cervical-tfesi")
    rows = []
    for i in range(60):
        seconds = Decimal(max(20, 95 - i * 1.5)).quantize(Decimal("0.1"))
        rows.append(
            EntryFactory.build(
                trainee=alice,
                supervisor=bob,
                procedure=tfesi,
                status=Entry.Status.SIGNED_OFF,
                submitted_at=timezone.now(),
                performed_on=today - timedelta(days=360 - i * 6),
                fluoro_time_s=seconds,
                dap=seconds * 12,
                air_kerma=(seconds / 20).quantize(Decimal("0.01")),
            )
        )
    for i in range(6):
        rows.append(
            EntryFactory.build(
                trainee=alice,
                supervisor=bob,
                procedure=cervical,
                levels="C5–C6",
                status=Entry.Status.SIGNED_OFF,
                submitted_at=timezone.now(),
                performed_on=today - timedelta(days=20 + i * 9),
                fluoro_time_s=Decimal("95"),
                dap=Decimal("900"),
            )
        )
    for i in range(4):
        rows.append(
            EntryFactory.build(
                trainee=alice,
                supervisor=bob,
                status=Entry.Status.SIGNED_OFF,
                submitted_at=timezone.now(),
                performed_on=today - timedelta(days=40 + i * 30),
                guidance="ct",
                fluoro_time_s=None,
                dap=None,
                dlp=Decimal("380"),
                ctdi_vol=Decimal("11.5"),
                ct_scans=3,
            )
        )
    for i in range(30):
        for procedure, levels, seconds in ((tfesi, "L4–L5", 30), (cervical, "C5–C6", 35)):
            rows.append(
                EntryFactory.build(
                    trainee=charlie,
                    supervisor=dave,
                    procedure=procedure,
                    levels=levels,
                    status=Entry.Status.SIGNED_OFF,
                    submitted_at=timezone.now(),
                    performed_on=today - timedelta(days=i * 5 + 1),
                    fluoro_time_s=Decimal(seconds),
                    dap=Decimal(seconds * 11),
                )
            )
    Entry.objects.bulk_create(rows)
    # Monthly badge readings, the latest over investigation level I (ICRP: 0.5 mSv a
    # quarter), and a ring.
    for months_ago in range(6, 0, -1):
        # The latest ends today: in this quarter, whichever month the test runs in.
        end = today - timedelta(days=28 * (months_ago - 1))
        record_reading(
            person=alice,
            by=alice,
            period_start=end - timedelta(days=27),
            period_end=end,
            whole_body=Decimal("0.12") if months_ago > 1 else Decimal("0.55"),
            lens=Decimal("0.08"),
            extremity=Decimal("1.9") if months_ago == 1 else None,
        )


def test_the_radiation_page_at_both_widths(
    transactional_db, chromium, live_server, alice, bob, charlie, dave, diana
):
    history(alice, bob, charlie, dave)
    for width in (390, 1280):
        context = chromium.new_context(
            viewport={"width": width, "height": 900},
            base_url=live_server.url,
            reduced_motion="reduce",
        )
        tab = context.new_page()
        sign_in(tab, "alice", PASSWORD)
        menu = tab.get_by_role("button", name="Toggle navigation")
        if menu.is_visible():  # the phone's collapsed menu
            menu.click()
        tab.get_by_role("navigation", name="Main").get_by_role(
            "link", name="Radiation", exact=True
        ).click()
        tab.wait_for_load_state()
        assert tab.get_by_role("heading", name="Radiation", exact=True).is_visible()
        warning = tab.get_by_role("status").filter(has_text="over twice").inner_text()
        assert "Cervical transforaminal epidural" in warning
        # Each chart has its numbers in a table.
        for name in ("Fluoroscopy time per month", "Dose-area product per month"):
            assert tab.get_by_role("img", name=name, exact=False).count() == 1
        tab.get_by_text("The numbers, month by month").click()
        table = tab.get_by_role("table").filter(has_text="Every case but drafts, per month")
        assert table.get_by_role("row").count() == 13  # the header and twelve months
        curve = tab.get_by_role("table").filter(has_text="Every tenth case")
        assert curve.get_by_role("row").count() >= 6
        ct = tab.get_by_role("table").filter(has_text="Estimated patient effective dose = k")
        assert "22.80" in ct.inner_text()  # 4 × 380 mGy·cm × 0.015
        assert "crossed an investigation level" in tab.locator("#dose-banner").inner_text()
        dosimetry = tab.get_by_role("table").filter(has_text="against the investigation levels")
        assert "Level I" in dosimetry.inner_text()
        screenshot(tab, f"radiation-{width}")
        assert_accessible(tab)
        context.close()

    # The director's Cohort: alice's radiation beside her progress.
    context = chromium.new_context(
        viewport={"width": 1280, "height": 900}, base_url=live_server.url, reduced_motion="reduce"
    )
    tab = context.new_page()
    sign_in(tab, "diana", PASSWORD)
    tab.goto("/cohort/")
    row = tab.get_by_role("row").filter(has_text="Alice Adams").inner_text()
    assert "1 over 2×" in row and "Investigation level I" in row
    screenshot(tab, "cohort-radiation-1280")
    context.close()


def test_a_case_logged_with_its_radiation_is_counted(transactional_db, phone, alice, bob):
    sign_in(phone, "alice", PASSWORD)
    phone.goto("/entries/new/")
    fill_entry(phone)
    phone.get_by_label("Fluoroscopy time (s)").fill("42.5")
    phone.get_by_label("Reference air kerma (mGy)").fill("3.1")
    choose(phone, "Who operated the C-arm", "A radiographer")
    screenshot(phone, "entry-radiation-390")
    with phone.expect_navigation():
        phone.get_by_role("button", name="Submit for sign-off").click()
    entry = Entry.objects.get(trainee=alice)
    assert (entry.fluoro_time_s, entry.air_kerma, entry.carm_operator) == (
        Decimal("42.5"),
        Decimal("3.10"),
        "radiographer",
    )
    phone.goto("/radiation/")
    phone.get_by_text("The numbers, month by month").click()
    month = phone.get_by_role("table").filter(has_text="Every case but drafts, per month")
    assert "0.7" in month.get_by_role("row").last.inner_text()  # 42.5 s is 0.7 min
