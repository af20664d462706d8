"""Hostile input (Hypothesis): random and malformed values posted to every form and sent
in every query parameter. Never a 500, nothing saved on refusal, nothing rendered unescaped.
"""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from curriculum.models import ObservedAssessment
from procedures.forms import EntryForm
from procedures.models import Entry, EntryEvent, ProcedureType, Signature
from programs.models import Enrollment
from tests.factories import EntryFactory, password_just_typed

EXAMPLES = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
MARKUP = "<script>alert(1)</script>"

# Values a person, a bot or a broken phone keyboard might send.
hostile = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=10).map(lambda s: s + "\x00"),
    st.sampled_from(
        [
            "",
            " ",
            "2026-13-45",
            "2026-02-30",
            "0000-00-00",
            "31/12/2099",
            "abc",
            "-1",
            "-0.5",
            "1e309",
            "NaN",
            "Infinity",
            "9" * 30,
            "-" + "9" * 30,
            "0x1F",
            "١٢",  # Arabic-Indic digits
            "²",
            MARKUP,
            '"><img src=x onerror=alert(1)>',
            "' OR 1=1 --",
            "x" * 5000,
            "L4-L5",
            "fluoroscopy",
            "submit",
        ]
    ),
    st.integers(min_value=-(10**20), max_value=10**20).map(str),
)


def fields(names):
    return st.fixed_dictionaries({}, optional={name: hostile for name in names})


ENTRY_FIELDS = ["form_key", *EntryForm._meta.fields, "action"]


def assert_safe(response):
    assert response.status_code < 500, response.status_code
    if response.status_code == 200 and response.get("Content-Type", "").startswith("text/html"):
        assert MARKUP not in response.content.decode()


def counts():
    return (
        Entry.objects.count(),
        Signature.objects.count(),
        EntryEvent.objects.count(),
        ObservedAssessment.objects.count(),
    )


@pytest.fixture
def as_alice(alice, bob):
    client = Client()
    client.force_login(alice)
    return client


@EXAMPLES
@given(data=fields(ENTRY_FIELDS), overrides=st.booleans())
def test_the_entry_form_never_fails_and_saves_only_valid_entries(
    as_alice, alice, bob, data, overrides
):
    if overrides:  # sometimes a mostly valid entry with hostile values in a few fields
        base = {
            "performed_on": timezone.localdate().isoformat(),
            "procedure": str(ProcedureType.objects.get(slug="lumbar-tfesi").pk),
            "guidance": "fluoroscopy",
            "side": "right",
            "levels": "L4-L5",
            "purpose": "therapeutic",
            "role": "3",
            "supervisor": str(bob.pk),
            "complication": "none",
        }
        data = {**base, **data}
    before = Entry.objects.filter(trainee=alice).count()
    response = as_alice.post(reverse("procedures:entry_create"), data)
    assert_safe(response)
    after = Entry.objects.filter(trainee=alice).count()
    if response.status_code == 200:
        assert after == before  # refused: nothing saved
    else:
        assert response.status_code == 302
        if after == before + 1:  # saved: it must be a valid entry
            Entry.objects.filter(trainee=alice).latest("id").full_clean()


@EXAMPLES
@given(data=fields(ENTRY_FIELDS))
def test_editing_never_fails_and_a_refusal_keeps_what_is_stored(as_alice, alice, data):
    entry = EntryFactory(trainee=alice)
    stored = Entry.objects.filter(pk=entry.pk).values().get()
    response = as_alice.post(reverse("procedures:entry_edit", args=[entry.pk]), data)
    assert_safe(response)
    if response.status_code != 302:
        assert Entry.objects.filter(pk=entry.pk).values().get() == stored


QUERY_PAGES = [
    (
        "alice",
        "procedures:entry_list",
        ["status", "procedure", "guidance", "performed_from", "performed_to", "page"],
    ),
    ("alice", "procedures:entry_create", ["like"]),
    ("bob", "procedures:signoff_queue", ["trainee", "page"]),
    ("diana", "curriculum:cohort", ["program", "supervisor"]),
    ("alice", "curriculum:my_progress", ["page"]),
]


@pytest.mark.parametrize(("who", "name", "params"), QUERY_PAGES)
def test_query_parameters_never_fail(request, alice, bob, diana, who, name, params):
    client = Client()
    client.force_login(request.getfixturevalue(who))
    EntryFactory(
        trainee=alice, supervisor=bob, status=Entry.Status.SUBMITTED, submitted_at=timezone.now()
    )

    @EXAMPLES
    @given(query=fields(params))
    def check(query):
        assert_safe(client.get(reverse(name), query))

    check()


@EXAMPLES
@given(
    data=fields(["autonomy", "comment", "submission"]),
    action=st.sampled_from(["entry_sign_off", "entry_return"]),
)
def test_decisions_never_fail_and_a_refusal_changes_nothing(alice, bob, data, action):
    client = Client()
    client.force_login(bob)
    password_just_typed(client)  # so that what is tried here reaches the sign-off
    entry = EntryFactory(
        trainee=alice, supervisor=bob, status=Entry.Status.SUBMITTED, submitted_at=timezone.now()
    )
    before = counts()
    response = client.post(reverse(f"procedures:{action}", args=[entry.pk]), data)
    assert_safe(response)
    if response.status_code == 200:
        assert counts() == before


@EXAMPLES
@given(entries=st.lists(hostile, max_size=5), data=fields(["autonomy", "comment"]))
def test_sign_off_selected_never_fails(alice, bob, charlie, dave, entries, data):
    client = Client()
    client.force_login(bob)
    password_just_typed(client)
    theirs = EntryFactory(
        trainee=charlie, supervisor=dave, status=Entry.Status.SUBMITTED, submitted_at=timezone.now()
    )
    response = client.post(
        reverse("procedures:signoff_bulk"), {**data, "entries": [*entries, str(theirs.pk)]}
    )
    assert_safe(response)
    assert not Signature.objects.filter(entry=theirs).exists()


@EXAMPLES
@given(data=fields(["observed_on", "procedure", "guidance", "entry", "rating", "comments"]))
def test_the_dops_form_never_fails(alice, bob, data):
    client = Client()
    client.force_login(bob)
    enrollment = Enrollment.objects.get(trainee=alice)
    before = ObservedAssessment.objects.count()
    response = client.post(reverse("curriculum:assessment_create", args=[enrollment.pk]), data)
    assert_safe(response)
    if response.status_code == 200:
        assert ObservedAssessment.objects.count() == before


@pytest.mark.parametrize(
    "path", ["/entries/99999999999999999999999/", "/trainees/1" + "0" * 25 + "/"]
)
def test_huge_ids_in_urls_are_not_found(client, alice, path):
    client.force_login(alice)
    assert client.get(path).status_code == 404


def test_markup_in_notes_is_shown_as_text(client, alice, bob):
    entry = EntryFactory(
        trainee=alice, notes=MARKUP, performed_on=timezone.localdate() - timedelta(days=1)
    )
    client.force_login(alice)
    body = client.get(reverse("procedures:entry_detail", args=[entry.pk])).content.decode()
    assert MARKUP not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
