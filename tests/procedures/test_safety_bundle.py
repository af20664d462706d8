"""The transforaminal safety bundle (issue 11, point 2): rules on hand-built cases, the
entry form, the supervisor's acknowledgement of a red flag, and compliance per trainee."""

import pytest
from django.urls import reverse
from django.utils import timezone

from procedures import services
from procedures.models import Entry, Injectate, ProcedureType, Signature
from procedures.safety import (
    Injected,
    SafetyFlag,
    bundle_complete,
    bundle_compliance,
    flags_for,
    safety_flags,
)
from procedures.services import RedFlagNotAcknowledged, content_hash
from tests.factories import EntryFactory, password_just_typed

DONE = {"live_contrast": True, "dsa": True, "contrast_pattern": "epidural", "images_retained": True}
STEROID = Injected(steroid=True)
PARTICULATE = Injected(steroid=True, particulate=True)


def case(slug="lumbar-tfesi", **fields) -> Entry:
    """An unsaved transforaminal epidural under fluoroscopy, every check done."""
    procedure = ProcedureType.objects.get(slug=slug)
    levels = "C5–C6" if procedure.region == "cervical" else "L4–L5"
    fields = {"guidance": "fluoroscopy", **DONE, **fields}
    return Entry(procedure=procedure, levels=levels, **fields)


# --- the rules ------------------------------------------------------------------------------------


def test_a_complete_case_raises_no_flag(db):
    entry = case()
    assert safety_flags(entry, STEROID) == []
    assert bundle_complete(entry, STEROID)


def test_particulate_steroid_in_a_cervical_transforaminal_is_a_red_flag(db):
    entry = case("cervical-tfesi")
    assert safety_flags(entry, PARTICULATE) == [SafetyFlag.PARTICULATE_CERVICAL]
    assert SafetyFlag.PARTICULATE_CERVICAL.red
    assert not bundle_complete(entry, PARTICULATE)


def test_particulate_steroid_in_a_lumbar_transforaminal_is_a_teaching_flag(db):
    entry = case()
    assert safety_flags(entry, PARTICULATE) == [SafetyFlag.PARTICULATE_LUMBAR]
    assert not SafetyFlag.PARTICULATE_LUMBAR.red
    assert bundle_complete(entry, PARTICULATE)  # recommended first, not part of the bundle


def test_vascular_uptake_then_steroid_without_repositioning_is_flagged(db):
    entry = case(contrast_pattern="vascular")
    assert safety_flags(entry, STEROID) == [SafetyFlag.VASCULAR_NOT_REPOSITIONED]
    assert not bundle_complete(entry, STEROID)
    entry.repositioned = True
    assert safety_flags(entry, STEROID) == []
    assert bundle_complete(entry, STEROID)


def test_vascular_uptake_with_no_steroid_injected_is_not_flagged(db):
    assert safety_flags(case(contrast_pattern="vascular"), Injected()) == []


@pytest.mark.parametrize("value", [None, False])
def test_no_live_contrast_recorded_is_flagged(db, value):
    entry = case(live_contrast=value)
    assert safety_flags(entry, STEROID) == [SafetyFlag.NO_LIVE_CONTRAST]
    assert not bundle_complete(entry, STEROID)


@pytest.mark.parametrize(
    "missing",
    [{"dsa": None}, {"dsa": False}, {"contrast_pattern": ""}, {"images_retained": False}],
)
def test_each_missing_item_leaves_the_bundle_incomplete(db, missing):
    assert not bundle_complete(case(**missing), STEROID)


def test_the_contrast_checks_apply_under_fluoroscopy_to_marked_procedures_only(db):
    assert safety_flags(case(guidance="ct", live_contrast=None), STEROID) == []
    knee = Entry(procedure=ProcedureType.objects.get(slug="knee-joint"), guidance="fluoroscopy")
    assert safety_flags(knee, PARTICULATE) == []


def test_a_particulate_steroid_is_flagged_whatever_the_guidance(db):
    # As dangerous in the neck under CT as under fluoroscopy (Rathmell et al., 2015).
    cervical_ct = case("cervical-tfesi", guidance="ct", live_contrast=None)
    assert safety_flags(cervical_ct, PARTICULATE) == [SafetyFlag.PARTICULATE_CERVICAL]
    lumbar_ct = case(guidance="ct", live_contrast=None)
    assert safety_flags(lumbar_ct, PARTICULATE) == [SafetyFlag.PARTICULATE_LUMBAR]


def test_a_red_flag_under_ct_is_acknowledged_too(alice, bob):
    entry = stored(
        alice,
        bob,
        "cervical-tfesi",
        drugs=("steroid-particulate",),
        guidance="ct",
        fluoro_time_s=None,
        dap=None,
        live_contrast=None,
        dsa=None,
        contrast_pattern="",
        images_retained=None,
    )
    with pytest.raises(RedFlagNotAcknowledged):
        services.entry_sign_off(entry_id=entry.pk, supervisor=bob, autonomy=4)
    signature = services.entry_sign_off(
        entry_id=entry.pk, supervisor=bob, autonomy=4, acknowledged=True
    )
    assert signature.meaning == (
        "verified as performed by the trainee in the logged role; red flag acknowledged: "
        "particulate steroid in a cervical transforaminal injection"
    )


def test_compliance_is_rounded_down(db):
    from procedures.safety import Compliance

    assert Compliance(200, 199).percent == 99


# --- stored entries ----------------------------------------------------------------------------


def stored(alice, bob, slug="lumbar-tfesi", drugs=("steroid-non-particulate",), **fields):
    procedure = ProcedureType.objects.get(slug=slug)
    levels = "C5–C6" if procedure.region == "cervical" else "L4–L5"
    fields = {**DONE, **fields}
    fields.setdefault("status", Entry.Status.SUBMITTED)
    if fields["status"] != Entry.Status.DRAFT:
        fields.setdefault("submitted_at", timezone.now())
    entry = EntryFactory(
        trainee=alice, supervisor=bob, procedure=procedure, levels=levels, **fields
    )
    entry.injectates.set(Injectate.objects.filter(slug__in=drugs))
    return entry


def test_compliance_per_trainee_counts_cases_with_every_check_done(alice, bob, charlie, dave):
    stored(alice, bob)
    stored(alice, bob, dsa=False)
    stored(alice, bob, "cervical-tfesi", drugs=("steroid-particulate",))
    stored(alice, bob, contrast_pattern="vascular", repositioned=True)
    stored(alice, bob, status=Entry.Status.DRAFT, dsa=False)  # a draft is not yet a case
    stored(alice, bob, guidance="ct", fluoro_time_s=None, dap=None)  # not a bundle case
    stored(charlie, dave)

    found = bundle_compliance([alice.pk, charlie.pk])
    assert (found[alice.pk].cases, found[alice.pk].compliant, found[alice.pk].percent) == (
        4,
        2,
        50,
    )
    assert found[charlie.pk].percent == 100


def test_the_form_records_the_checks_of_a_transforaminal_case(client, alice, bob):
    client.force_login(alice)
    data = {
        "performed_on": timezone.localdate().isoformat(),
        "procedure": ProcedureType.objects.get(slug="lumbar-tfesi").pk,
        "guidance": "fluoroscopy",
        "side": "right",
        "levels": "L4-5",
        "purpose": "therapeutic",
        "role": "3",
        "supervisor": bob.pk,
        "complication": "none",
        "live_contrast": "True",
        "dsa": "False",
        "contrast_pattern": "vascular",
        "repositioned": "True",
        "images_retained": "True",
        "action": "submit",
    }
    assert client.post(reverse("procedures:entry_create"), data).status_code == 302
    entry = Entry.objects.get()
    assert (entry.live_contrast, entry.dsa, entry.contrast_pattern, entry.repositioned) == (
        True,
        False,
        "vascular",
        True,
    )
    page = client.get(entry.get_absolute_url()).content.decode()
    assert "Safety bundle" in page and "Bundle incomplete" in page

    knee = {**data, "procedure": ProcedureType.objects.get(slug="knee-joint").pk, "levels": ""}
    response = client.post(reverse("procedures:entry_create"), knee)
    assert "Only for transforaminal epidurals under fluoroscopy" in response.content.decode()
    no_vascular = {**data, "contrast_pattern": "epidural"}
    response = client.post(reverse("procedures:entry_create"), no_vascular)
    assert "Only after vascular uptake" in response.content.decode()
    assert Entry.objects.count() == 1


def test_the_signature_covers_the_safety_checks(alice, bob):
    entry = stored(alice, bob)
    before = content_hash(entry)
    entry.dsa = False
    assert content_hash(entry) != before


# --- the supervisor's acknowledgement ------------------------------------------------------------


def test_a_red_flag_is_never_signed_without_its_acknowledgement(alice, bob):
    entry = stored(alice, bob, "cervical-tfesi", drugs=("steroid-particulate",))
    with pytest.raises(RedFlagNotAcknowledged):
        services.entry_sign_off(entry_id=entry.pk, supervisor=bob, autonomy=4)
    assert not Signature.objects.exists()
    entry.refresh_from_db()
    assert entry.status == Entry.Status.SUBMITTED

    signature = services.entry_sign_off(
        entry_id=entry.pk, supervisor=bob, autonomy=4, acknowledged=True
    )
    assert signature.meaning == (
        "verified as performed by the trainee in the logged role, with the safety checks as "
        "recorded; red flag acknowledged: particulate steroid in a cervical transforaminal "
        "injection"
    )


def test_a_bundle_case_is_signed_with_its_checks_and_others_as_before(alice, bob):
    bundle = services.entry_sign_off(entry_id=stored(alice, bob).pk, supervisor=bob, autonomy=4)
    assert bundle.meaning.endswith("with the safety checks as recorded")
    other = services.entry_sign_off(
        entry_id=EntryFactory(
            trainee=alice,
            supervisor=bob,
            procedure=ProcedureType.objects.get(slug="knee-joint"),
            guidance="ultrasound",
            fluoro_time_s=None,
            dap=None,
            levels="",
            status="submitted",
            submitted_at=timezone.now(),
        ).pk,
        supervisor=bob,
        autonomy=4,
    )
    assert other.meaning == Signature.MEANING


def test_the_entry_page_asks_for_the_acknowledgement_and_says_why(client, alice, bob):
    entry = stored(alice, bob, "cervical-tfesi", drugs=("steroid-particulate",))
    client.force_login(bob)
    password_just_typed(client)
    page = client.get(entry.get_absolute_url()).content.decode()
    assert "Red flag:" in page and "I acknowledge the red flag" in page
    assert "red flag acknowledged: particulate steroid" in page  # the signature's meaning

    url = reverse("procedures:entry_sign_off", args=[entry.pk])
    response = client.post(url, {"autonomy": "4"})
    assert response.status_code == 200
    assert "Nothing was signed: this entry has a red flag" in response.content.decode()
    assert not Signature.objects.exists()
    assert client.post(url, {"autonomy": "4", "acknowledge": "on"}).status_code == 302
    assert Signature.objects.get().meaning.endswith("cervical transforaminal injection")


def test_the_queue_shows_the_red_flag_and_its_box_and_bulk_skips_it(client, alice, bob):
    red = stored(alice, bob, "cervical-tfesi", drugs=("steroid-particulate",))
    plain = stored(alice, bob)
    client.force_login(bob)
    password_just_typed(client)
    page = client.get(reverse("procedures:signoff_queue")).content.decode()
    assert "Red flag</span> Particulate steroid in a cervical" in page
    assert f'id="e{red.pk}-acknowledge"' in page
    assert f'id="e{plain.pk}-acknowledge"' not in page

    response = client.post(
        reverse("procedures:signoff_bulk"),
        {"entries": [str(red.pk), str(plain.pk)], "autonomy": "4"},
        follow=True,
    )
    assert "sign it off on its own, acknowledging it" in response.content.decode()
    assert list(Signature.objects.values_list("entry_id", flat=True)) == [plain.pk]

    response = client.post(
        reverse("procedures:entry_sign_off", args=[red.pk]), {"autonomy": "4", "from": "queue"}
    )
    assert response.status_code == 200  # the queue again, the row's box marked
    assert f'id="e{red.pk}-acknowledge-error"' in response.content.decode()


def test_flags_of_a_page_cost_one_query_whatever_its_cases(alice, bob, django_assert_num_queries):
    few = [stored(alice, bob) for _ in range(2)]
    many = few + [stored(alice, bob, contrast_pattern="vascular") for _ in range(20)]
    with django_assert_num_queries(1):
        flags_for(few)
    with django_assert_num_queries(1):
        found = flags_for(many)
    assert len(found) == 20


def test_progress_and_cohort_show_compliance(client, alice, bob, diana):
    stored(alice, bob)
    stored(alice, bob, images_retained=False)
    client.force_login(alice)
    page = client.get(reverse("curriculum:my_progress")).content.decode()
    assert "Transforaminal safety bundle" in page and "<strong>50%</strong> of 2 cases" in page
    client.force_login(diana)
    page = client.get(reverse("curriculum:cohort")).content.decode()
    assert "Safety bundle" in page and "50%" in page


def test_the_csv_carries_the_checks_and_the_flags(client, alice, bob):
    import csv
    import io

    stored(alice, bob, "cervical-tfesi", drugs=("steroid-particulate",), dsa=False)
    client.force_login(alice)
    text = client.get(reverse("curriculum:my_logbook_csv")).content.decode("utf-8-sig")
    (row,) = csv.DictReader(io.StringIO(text))
    assert (row["Contrast under live fluoroscopy"], row["Digital subtraction used"]) == (
        "yes",
        "no",
    )
    assert row["Contrast pattern"] == "Epidural"
    assert row["Safety flags"] == "RED: " + SafetyFlag.PARTICULATE_CERVICAL.label


def test_the_portfolio_shows_the_checks_as_signed(client, alice, bob):
    entry = stored(alice, bob, "cervical-tfesi", drugs=("steroid-particulate",))
    services.entry_sign_off(entry_id=entry.pk, supervisor=bob, autonomy=4, acknowledged=True)
    client.force_login(alice)
    page = client.get(reverse("curriculum:my_portfolio")).content.decode()
    assert "Safety bundle: incomplete" in page
    assert "Red flag (acknowledged at sign-off): Particulate steroid" in page


def test_the_databases_compliance_agrees_with_the_rule_on_every_combination(alice, bob):
    """bundle_compliance's SQL (what Progress and Cohort count) against bundle_complete
    (what the entry page says), over every combination of the items, None included."""
    import itertools

    from procedures.safety import bundle_compliance

    lumbar, cervical = (
        ProcedureType.objects.get(slug="lumbar-tfesi"),
        ProcedureType.objects.get(slug="cervical-tfesi"),
    )
    drugs = {
        "none": [],
        "plain": [Injectate.objects.get(slug="steroid-non-particulate")],
        "particulate": [Injectate.objects.get(slug="steroid-particulate")],
    }
    three = (None, True, False)
    combos = list(
        itertools.product(
            three, three, three, ("", "epidural", "vascular"), three, (lumbar, cervical), drugs
        )
    )
    entries = Entry.objects.bulk_create(
        [
            Entry(
                trainee=alice,
                supervisor=bob,
                status=Entry.Status.SUBMITTED,
                procedure=procedure,
                performed_on=timezone.localdate(),
                guidance="fluoroscopy",
                side="right",
                levels="L4–L5",
                purpose="therapeutic",
                role=3,
                live_contrast=live,
                dsa=dsa,
                images_retained=images,
                contrast_pattern=pattern,
                repositioned=repositioned,
            )
            for live, dsa, images, pattern, repositioned, procedure, _ in combos
        ]
    )
    Entry.injectates.through.objects.bulk_create(
        [
            Entry.injectates.through(entry_id=entry.pk, injectate_id=drug.pk)
            for entry, combo in zip(entries, combos, strict=True)
            for drug in drugs[combo[-1]]
        ]
    )
    counted = bundle_compliance([alice.pk], per="entry")
    assert {c.cases for c in counted.values()} == {1} and len(counted) == len(combos)
    in_database = {pk for pk, c in counted.items() if c.compliant}
    for entry, combo in zip(entries, combos, strict=True):
        injected = Injected(steroid=bool(drugs[combo[-1]]), particulate=combo[-1] == "particulate")
        assert (entry.pk in in_database) == bundle_complete(entry, injected), combo
