"""Entry that understands clinicians (issue 10, point 1), through the test client.

The procedure select groups the catalogue (the trainee's recent and frequent procedures
first, then by region); choosing a procedure fills in what the trainee's last entry of it
had (procedures.memory); an entry records its approach and injectate volume, each checked;
signatures made before those fields existed still verify.
"""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from procedures.memory import LOOK_BACK, procedure_memory
from procedures.models import Entry, Injectate, ProcedureType
from procedures.services import content_hash
from tests.factories import EntryFactory
from tests.procedures.test_entry_validation import CREATE_URL, assert_refused, entry_data


@pytest.fixture
def logged_in(client, alice):
    client.force_login(alice)
    return client


def procedure(slug) -> ProcedureType:
    return ProcedureType.objects.get(slug=slug)


def logged(trainee, slug, days_ago, **fields):
    fields.setdefault("supervisor", None)
    kind = procedure(slug)
    if not kind.needs_levels:
        fields.setdefault("levels", "")
    if "fluoroscopy" not in kind.modalities or fields.get("guidance", "fluoroscopy") != (
        "fluoroscopy"
    ):
        fields.setdefault("fluoro_time_s", None)
        fields.setdefault("dap", None)
    if kind.sides and "right" not in kind.sides:
        fields.setdefault("side", kind.sides[0])
    if "fluoroscopy" not in kind.modalities:
        fields.setdefault("guidance", kind.modalities[0])
    return EntryFactory(
        trainee=trainee,
        procedure=kind,
        performed_on=timezone.localdate() - timedelta(days=days_ago),
        **fields,
    )


def optgroups(response) -> list[tuple[str, list[str]]]:
    select = re.search(r'<select name="procedure".*?</select>', response.content.decode(), re.S)
    return [
        (label, re.findall(r'<option value="\d+"[^>]*>([^<]*)</option>', body))
        for label, body in re.findall(r'<optgroup label="([^"]*)">(.*?)</optgroup>', select[0])
    ]


# --- the procedure picker ---------------------------------------------------------------------


def test_a_new_trainee_gets_the_catalogue_by_region(logged_in):
    groups = optgroups(logged_in.get(CREATE_URL))
    labels = [label for label, _ in groups]
    assert "Your recent and frequent" not in labels
    assert labels[:3] == ["Cervical spine", "Thoracic spine", "Lumbar spine"]
    assert "Lumbar transforaminal epidural" in dict(groups)["Lumbar spine"]
    every = [name for _, names in groups for name in names]
    assert len(every) == len(set(every)) == ProcedureType.objects.filter(active=True).count()


def test_recent_and_frequent_procedures_come_first(logged_in, alice, bob):
    for day in range(10, 20):  # knee injections: the most frequent, not recent
        logged(alice, "knee-joint", day, guidance="ultrasound")
    logged(alice, "lumbar-tfesi", 1)
    logged(alice, "cervical-facet", 2)
    logged(alice, "si-joint", 3, guidance="fluoroscopy")
    logged(alice, "caudal-epidural", 4, side="midline")

    groups = optgroups(logged_in.get(CREATE_URL))
    label, first = groups[0]
    assert label == "Your recent and frequent"
    # The three most recent, newest first, then the most frequent of the rest.
    assert first[:3] == [
        "Lumbar transforaminal epidural",
        "Cervical facet joint injection",
        "Sacroiliac joint injection",
    ]
    assert first[3] == "Knee joint injection"
    # Not twice: the rest of the catalogue leaves them out.
    rest = [name for _, names in groups[1:] for name in names]
    assert not set(first) & set(rest)
    page = logged_in.get(CREATE_URL).content.decode()
    assert 'aria-label="Your recent and frequent procedures"' in page


def test_memory_is_per_procedure_and_never_the_patients(alice, bob):
    knee = logged(alice, "knee-joint", 5, guidance="ultrasound", supervisor=bob, role=4)
    knee.injectates.set(Injectate.objects.filter(slug__in=["prp"]))
    tfesi = logged(
        alice,
        "lumbar-tfesi",
        1,
        supervisor=bob,
        approach="retroneural",
        purpose=Entry.Purpose.DIAGNOSTIC,
        levels="L5–S1",
        side="left",
    )
    tfesi.injectates.set(Injectate.objects.filter(slug__in=["lidocaine", "contrast"]))

    memory = procedure_memory(alice)
    remembered = memory.remembered[str(tfesi.procedure_id)]
    assert remembered == {
        "guidance": "fluoroscopy",
        "approach": "retroneural",
        "purpose": "diagnostic",
        "role": "3",
        "supervisor": str(bob.pk),
        "injectates": sorted(
            str(pk)
            for pk in Injectate.objects.filter(slug__in=["lidocaine", "contrast"]).values_list(
                "pk", flat=True
            )
        ),
    }
    assert memory.remembered[str(knee.procedure_id)]["guidance"] == "ultrasound"
    assert memory.remembered[str(knee.procedure_id)]["role"] == "4"
    for kept in memory.remembered.values():
        assert not {"side", "levels", "fluoro_time_s", "dap", "dlp", "notes"} & set(kept)
    assert memory.last_supervisor == bob.pk
    assert memory.first == [tfesi.procedure_id, knee.procedure_id]


def test_the_last_entry_of_a_procedure_is_the_one_remembered(alice, bob):
    logged(alice, "lumbar-tfesi", 9, approach="subpedicular")
    logged(alice, "lumbar-tfesi", 2, approach="infraneural")
    logged(alice, "lumbar-tfesi", 5, approach="retroneural")
    tfesi = str(procedure("lumbar-tfesi").pk)
    assert procedure_memory(alice).remembered[tfesi]["approach"] == "infraneural"


def test_another_trainees_entries_are_not_remembered(alice, charlie):
    logged(charlie, "knee-joint", 1, guidance="ultrasound")
    assert procedure_memory(alice).remembered == {}


@pytest.mark.parametrize("entries", [5, LOOK_BACK + 50])
def test_the_form_reads_the_memory_in_bounded_queries(
    logged_in, alice, bob, entries, django_assert_max_num_queries
):
    Entry.objects.bulk_create(
        [
            EntryFactory.build(
                trainee=alice,
                supervisor=bob,
                performed_on=timezone.localdate() - timedelta(days=i % 300),
            )
            for i in range(entries)
        ]
    )
    with django_assert_max_num_queries(12):
        response = logged_in.get(CREATE_URL)
    assert response.status_code == 200
    assert b"procedure-memory" in response.content


def test_the_memory_is_on_new_entries_only(logged_in, alice, bob):
    entry = logged(alice, "lumbar-tfesi", 1, supervisor=bob)
    new = logged_in.get(CREATE_URL)
    assert new.context["procedure_memory"]
    edit = logged_in.get(reverse("procedures:entry_edit", args=[entry.pk]))
    assert edit.context["procedure_memory"] == {}


def test_a_trainee_with_one_supervisor_has_them_chosen(logged_in, bob):
    form = logged_in.get(CREATE_URL).context["form"]
    assert form.initial["supervisor"] == bob.pk


def test_a_trainee_with_two_supervisors_chooses(logged_in, alice, bob, dave):
    alice.enrollments.get().supervisors.add(dave)
    form = logged_in.get(CREATE_URL).context["form"]
    assert "supervisor" not in form.initial


# --- approach and volume ----------------------------------------------------------------------


def test_approach_and_volume_are_stored(logged_in, alice, bob):
    response = logged_in.post(CREATE_URL, entry_data(bob, approach="infraneural", volume_ml="2.5"))
    assert response.status_code == 302
    entry = Entry.objects.get()
    assert (entry.approach, entry.volume_ml) == ("infraneural", Decimal("2.5"))


def test_an_approach_the_procedure_does_not_offer_is_refused(logged_in, bob):
    response = logged_in.post(CREATE_URL, entry_data(bob, approach="midline"))
    assert_refused(
        response,
        "approach",
        "midline",
        "For Lumbar transforaminal epidural the approach is Subpedicular (safe triangle) "
        "or Retroneural or Infraneural (Kambin’s triangle).",
        in_html=False,
    )


def test_a_procedure_without_approaches_takes_none(logged_in, bob):
    data = entry_data(bob, procedure="caudal-epidural", side="midline", levels="")
    response = logged_in.post(CREATE_URL, {**data, "approach": "midline"})
    assert_refused(response, "approach", "midline", "has no approach to record", in_html=False)


@pytest.mark.parametrize("approach", ["sideways", "x" * 500, "ANTERIOR", "subpedicular\x00"])
def test_a_made_up_approach_is_refused_on_the_field(logged_in, bob, approach):
    response = logged_in.post(CREATE_URL, entry_data(bob, approach=approach))
    assert response.status_code == 200
    assert "approach" in response.context["form"].errors
    assert Entry.objects.count() == 0


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("100.5", "Injectate volume must be between 0 and 100 ml."),
        ("-1", "Injectate volume must be between 0 and 100 ml."),
        ("1e3", "Injectate volume must be a number with at most 1 decimal place from 0 to 100"),
        ("lots", "Injectate volume must be a number with at most 1 decimal place from 0 to 100"),
        ("2.55", "Injectate volume must be a number with at most 1 decimal place from 0 to 100"),
    ],
)
def test_a_volume_out_of_bounds_is_refused_on_the_field(logged_in, bob, typed, message):
    response = logged_in.post(CREATE_URL, entry_data(bob, volume_ml=typed))
    assert_refused(response, "volume_ml", typed, message, in_html=False)
    assert "Ensure" not in str(response.context["form"].errors["volume_ml"])


def test_required_fields_say_what_they_want(logged_in, bob):
    data = entry_data(bob, guidance="", side="", purpose="", role="")
    errors = logged_in.post(CREATE_URL, data).context["form"].errors
    assert errors["guidance"] == ["Choose the guidance: how the needle was guided."]
    assert errors["side"] == ["Choose the side."]
    assert errors["purpose"] == ["Choose the purpose: diagnostic or therapeutic."]
    assert errors["role"] == ["Choose your role in this procedure."]


def test_log_another_like_this_copies_approach_and_volume(logged_in, alice, bob):
    entry = logged(alice, "lumbar-tfesi", 1, approach="subpedicular", volume_ml=Decimal("3"))
    form = logged_in.get(CREATE_URL, {"like": entry.pk}).context["form"]
    assert form.initial["approach"] == "subpedicular"
    assert form.initial["volume_ml"] == Decimal("3")


# --- signatures over the new fields -----------------------------------------------------------


def test_a_signature_made_before_the_new_fields_still_verifies(alice, bob):
    """The hash leaves out approach and volume while they are empty, so an entry signed
    before they existed hashes as it did then."""
    entry = EntryFactory(trainee=alice, supervisor=bob)
    before = content_hash(entry)
    entry.approach, entry.volume_ml = "", None
    assert content_hash(entry) == before
    entry.approach = "subpedicular"
    assert content_hash(entry) != before
    entry.approach, entry.volume_ml = "", Decimal("2.0")
    assert content_hash(entry) != before


def test_the_csv_has_approach_and_volume(logged_in, alice, bob):
    logged(alice, "lumbar-tfesi", 1, approach="retroneural", volume_ml=Decimal("2.5"))
    response = logged_in.get(reverse("curriculum:my_logbook_csv"))
    lines = response.content.decode("utf-8-sig").splitlines()
    header, row = lines[0].split(","), lines[1].split(",")
    assert row[header.index("Approach")] == "Retroneural"
    assert row[header.index("Injectate volume (ml)")] == "2.5"


def test_the_entry_page_shows_approach_and_volume(logged_in, alice):
    entry = logged(alice, "lumbar-tfesi", 1, approach="infraneural", volume_ml=Decimal("2.5"))
    page = logged_in.get(entry.get_absolute_url()).content.decode()
    assert "Infraneural (Kambin’s triangle)" in page
    assert "2.5 ml in all" in page
