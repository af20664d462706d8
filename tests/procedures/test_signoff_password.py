"""Signing is an electronic signature (21 CFR Part 11 §11.200(a)(1)(i)): the first sign-off
of a session needs the supervisor's password, later ones only once the program's window
(`Program.signoff_password_minutes`, default 15, 0 = every time) has passed since it was
last typed. A wrong password signs nothing and counts towards the django-axes lockout.

alice is a trainee supervised by bob; charlie is another trainee, supervised by dave.
"""

import re
import time
from datetime import timedelta

import pytest
from axes.models import AccessAttempt, AccessFailureLog
from django.conf import settings
from django.contrib import admin as django_admin
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from curriculum.models import Stage
from procedures.forms import PASSWORD_MISSING, PASSWORD_WRONG
from procedures.models import Entry, EntryEvent, Signature
from procedures.reauth import SESSION_KEY
from programs.models import Enrollment, Program
from tests.factories import PASSWORD, EntryFactory, UserFactory, password_just_typed
from tests.procedures.test_signoff import messages_of, state, submitted_entry, url

LIMIT = 3  # wrong passwords before the lockout, here
CHOSEN = {"autonomy": "5", "comment": "Steady hands throughout."}


@pytest.fixture(autouse=True)
def _small_lockout_limit(settings):
    settings.AXES_FAILURE_LIMIT = LIMIT


@pytest.fixture
def submitted(alice, bob):
    return submitted_entry(alice, bob)


@pytest.fixture
def bobs_client(client, bob):
    client.force_login(bob)
    return client


def sign(client, entry, **data):
    return client.post(url("entry_sign_off", entry), {**CHOSEN, **data})


def sign_selected(client, entries, **data):
    values = [str(entry.pk) for entry in entries]
    return client.post(url("signoff_bulk"), {"entries": values, **CHOSEN, **data})


def password_field_shown(response) -> bool:
    return 'autocomplete="current-password"' in response.content.decode()


def typed_at(client):
    return client.session.get(SESSION_KEY)


def signed(*entries) -> list[bool]:
    return [
        Entry.objects.get(pk=e.pk).status == Entry.Status.SIGNED_OFF and e.signatures.exists()
        for e in entries
    ]


def chosen_rating(page: str) -> list[str]:
    """The autonomy radios rendered checked."""
    inputs = re.findall(r"<input[^>]*>", page)
    return [
        re.search(r'value="(\d)"', tag).group(1)
        for tag in inputs
        if 'name="autonomy"' in tag and re.search(r"\schecked\b", tag)
    ]


def assert_refused_keeping_the_choice(response, message):
    """The form again, with the password error, the rating and the comment as chosen."""
    assert response.status_code == 200
    page = response.content.decode()
    assert message in page
    assert chosen_rating(page) == ["5"]
    assert "Steady hands throughout." in page


# --- the first signing of a session --------------------------------------------------------


def test_the_first_sign_off_of_a_session_asks_for_the_password(bobs_client, submitted):
    page = bobs_client.get(url("entry_detail", submitted))
    assert password_field_shown(page)
    assert "Your password" in page.content.decode()
    queue = bobs_client.get(url("signoff_queue"))
    assert password_field_shown(queue)
    before = state(submitted)

    response = sign(bobs_client, submitted)

    assert_refused_keeping_the_choice(response, PASSWORD_MISSING)
    assert password_field_shown(response)
    assert state(submitted) == before
    assert typed_at(bobs_client) is None


def test_the_right_password_signs_and_starts_the_window(bobs_client, bob, submitted):
    before = time.time()

    response = sign(bobs_client, submitted, password=PASSWORD)

    assert response.status_code == 302
    assert response.url == url("signoff_queue")
    assert signed(submitted) == [True]
    assert Signature.objects.get().supervisor == bob
    assert before <= typed_at(bobs_client) <= time.time()
    assert not AccessFailureLog.objects.exists()


def test_signing_in_is_not_the_first_signing(client, bob, submitted):
    """Typing the password at the sign-in page starts no window: the first signing of a
    session uses both components itself."""
    signed_in = client.post(reverse("login"), {"username": "bob", "password": PASSWORD})
    assert signed_in.status_code == 302
    assert client.session.get("_auth_user_id") == str(bob.pk)

    response = sign(client, submitted)

    assert_refused_keeping_the_choice(response, PASSWORD_MISSING)
    assert signed(submitted) == [False]


# --- the window --------------------------------------------------------------------------------


def test_within_the_window_no_password_is_needed(bobs_client, alice, bob, submitted):
    password_just_typed(bobs_client, ago_seconds=14 * 60)
    stamp = typed_at(bobs_client)
    assert not password_field_shown(bobs_client.get(url("entry_detail", submitted)))
    assert not password_field_shown(bobs_client.get(url("signoff_queue")))

    response = sign(bobs_client, submitted)

    assert response.status_code == 302
    assert signed(submitted) == [True]
    # Signing does not stretch the window: it runs from when the password was typed.
    assert typed_at(bobs_client) == stamp


def test_after_the_window_the_password_is_needed_again(bobs_client, submitted):
    password_just_typed(bobs_client, ago_seconds=15 * 60 + 1)
    assert password_field_shown(bobs_client.get(url("entry_detail", submitted)))
    before = state(submitted)

    response = sign(bobs_client, submitted)

    assert_refused_keeping_the_choice(response, PASSWORD_MISSING)
    assert state(submitted) == before
    assert sign(bobs_client, submitted, password=PASSWORD).status_code == 302
    assert signed(submitted) == [True]


def test_the_window_is_the_programs_setting(bobs_client, program, alice, bob):
    program.signoff_password_minutes = 60
    program.save()
    first, second = submitted_entry(alice, bob), submitted_entry(alice, bob)
    password_just_typed(bobs_client, ago_seconds=45 * 60)

    assert sign(bobs_client, first).status_code == 302

    password_just_typed(bobs_client, ago_seconds=60 * 60 + 1)
    assert sign(bobs_client, second).status_code == 200
    assert signed(first, second) == [True, False]


def test_a_window_of_zero_asks_at_every_sign_off(bobs_client, program, alice, bob):
    program.signoff_password_minutes = 0
    program.save()
    first, second = submitted_entry(alice, bob), submitted_entry(alice, bob)

    assert sign(bobs_client, first, password=PASSWORD).status_code == 302
    # Just typed, yet asked again.
    assert password_field_shown(bobs_client.get(url("entry_detail", second)))
    response = sign(bobs_client, second)

    assert_refused_keeping_the_choice(response, PASSWORD_MISSING)
    assert sign(bobs_client, second, password=PASSWORD).status_code == 302
    assert signed(first, second) == [True, True]


def test_a_stamp_from_the_future_is_not_trusted(bobs_client, submitted):
    password_just_typed(bobs_client, ago_seconds=-3600)  # e.g. the clock was set back

    assert sign(bobs_client, submitted).status_code == 200
    assert signed(submitted) == [False]


# --- "Sign off selected": one password, the strictest window -----------------------------------


@pytest.fixture
def strict_program(db):
    return Program.objects.create(slug="strict", name="Strict", signoff_password_minutes=5)


@pytest.fixture
def erin(strict_program, bob):
    """A trainee of bob's in a second program, whose window is 5 minutes."""
    user = UserFactory(username="erin", first_name="Erin", last_name="Evans")
    enrollment = Enrollment.objects.create(
        trainee=user, program=strict_program, start_date=timezone.localdate() - timedelta(days=9)
    )
    enrollment.supervisors.add(bob)
    return user


def test_one_password_signs_the_whole_selection(bobs_client, alice, bob):
    entries = [submitted_entry(alice, bob) for _ in range(3)]

    response = sign_selected(bobs_client, entries, password=PASSWORD)

    assert response.status_code == 302
    assert messages_of(response) == ["Signed off 3 entries."]
    assert signed(*entries) == [True, True, True]
    assert Signature.objects.filter(autonomy=5).count() == 3


def test_sign_off_selected_without_the_password_signs_none_and_keeps_the_choice(
    bobs_client, alice, bob
):
    entries = [submitted_entry(alice, bob) for _ in range(2)]
    left_out = submitted_entry(alice, bob)
    before = [state(e) for e in entries]

    response = sign_selected(bobs_client, entries)

    assert_refused_keeping_the_choice(response, PASSWORD_MISSING)
    assert [state(e) for e in entries] == before
    page = response.content.decode()
    for entry in entries:  # still ticked, ready to sign with the password
        assert f'id="select-{entry.pk}" checked' in page
    assert f'id="select-{left_out.pk}" checked' not in page
    assert f'id="select-{left_out.pk}"' in page


def test_the_strictest_window_of_the_selection_decides(bobs_client, alice, bob, erin):
    alices = submitted_entry(alice, bob)
    erins = submitted_entry(erin, bob)
    password_just_typed(bobs_client, ago_seconds=10 * 60)  # within 15, not within 5
    # The queue shows both trainees' entries: it asks, as signing them all would.
    assert password_field_shown(bobs_client.get(url("signoff_queue")))
    assert not password_field_shown(bobs_client.get(url("entry_detail", alices)))
    assert password_field_shown(bobs_client.get(url("entry_detail", erins)))

    refused = sign_selected(bobs_client, [alices, erins])

    assert_refused_keeping_the_choice(refused, PASSWORD_MISSING)
    assert signed(alices, erins) == [False, False]
    # alice's alone fall within her program's 15 minutes.
    assert sign_selected(bobs_client, [alices]).status_code == 302
    assert signed(alices, erins) == [True, False]
    assert sign(bobs_client, erins).status_code == 200
    assert sign_selected(bobs_client, [erins], password=PASSWORD).status_code == 302
    assert signed(erins) == [True]


def test_a_trainee_in_two_programs_takes_the_stricter(bobs_client, alice, bob, strict_program):
    Enrollment.objects.create(
        trainee=alice, program=strict_program, start_date=timezone.localdate()
    ).supervisors.add(bob)
    entry = submitted_entry(alice, bob)
    password_just_typed(bobs_client, ago_seconds=10 * 60)

    assert sign(bobs_client, entry).status_code == 200
    assert signed(entry) == [False]


def test_a_selection_the_password_did_not_cover_is_refused_if_the_window_ends(
    bobs_client, alice, bob
):
    """The queue was opened inside the window, the form posted after it ended."""
    entry = submitted_entry(alice, bob)
    password_just_typed(bobs_client, ago_seconds=14 * 60)
    assert not password_field_shown(bobs_client.get(url("signoff_queue")))
    password_just_typed(bobs_client, ago_seconds=16 * 60)

    response = sign_selected(bobs_client, [entry])

    assert_refused_keeping_the_choice(response, PASSWORD_MISSING)
    assert password_field_shown(response)
    assert signed(entry) == [False]


# --- wrong passwords ---------------------------------------------------------------------------


def test_a_wrong_password_signs_nothing_and_counts_as_a_failed_sign_in(bobs_client, submitted):
    before = state(submitted)

    response = sign(bobs_client, submitted, password="not-" + PASSWORD)

    assert_refused_keeping_the_choice(response, PASSWORD_WRONG)
    assert state(submitted) == before
    assert typed_at(bobs_client) is None
    assert AccessFailureLog.objects.filter(username="bob").count() == 1
    assert AccessAttempt.objects.get(username="bob").failures_since_start == 1


def test_wrong_passwords_lock_the_supervisor_out_like_wrong_sign_ins(
    bobs_client, alice, bob, submitted
):
    other = submitted_entry(alice, bob)
    before = [state(submitted), state(other)]
    for attempt in range(1, LIMIT):
        assert sign(bobs_client, submitted, password=f"guess-{attempt}").status_code == 200
    # Across the two forms: the bulk one counts the same.
    locked = sign_selected(bobs_client, [submitted, other], password="guess-last")

    assert locked.status_code == 429
    assert "Too many failed sign-ins" in locked.content.decode()
    # Locked: even the right password signs nothing now, on either form, and no 500.
    assert sign(bobs_client, submitted, password=PASSWORD).status_code == 429
    assert sign_selected(bobs_client, [other], password=PASSWORD).status_code == 429
    assert [state(submitted), state(other)] == before
    assert typed_at(bobs_client) is None
    # And signing in again as bob from here is locked too.
    fresh = Client()
    assert fresh.post(reverse("login"), {"username": "bob", "password": PASSWORD}).status_code == (
        429
    )


def test_another_users_password_never_signs(settings, bobs_client, bob, dave, submitted):
    settings.AXES_FAILURE_LIMIT = 10
    dave.set_password("daves-own-password")
    dave.save()
    before = state(submitted)

    for data in (
        {"password": "daves-own-password"},
        # Naming another account changes nothing: the signer is the signed-in user.
        {"password": "daves-own-password", "username": "dave"},
        {"password": "daves-own-password", "username": "dave", "signoff_username": "dave"},
    ):
        response = sign(bobs_client, submitted, **data)
        assert_refused_keeping_the_choice(response, PASSWORD_WRONG)

    assert state(submitted) == before
    assert not AccessAttempt.objects.filter(username="dave").exists()
    assert AccessAttempt.objects.get(username="bob").failures_since_start == 3


def test_a_password_typed_in_one_users_session_does_not_carry_to_another(
    client, alice, bob, dave, charlie, submitted
):
    client.force_login(bob)
    assert sign(client, submitted, password=PASSWORD).status_code == 302
    theirs = submitted_entry(charlie, dave)

    client.force_login(dave)  # another user in the same browser: a new session

    assert typed_at(client) is None
    assert sign(client, theirs).status_code == 200
    assert signed(theirs) == [False]


def test_signing_out_ends_the_session_and_its_window(client, alice, bob):
    first, second = submitted_entry(alice, bob), submitted_entry(alice, bob)
    client.force_login(bob)
    assert sign(client, first, password=PASSWORD).status_code == 302

    client.post(reverse("logout"))
    client.force_login(bob)

    assert sign(client, second).status_code == 200
    assert signed(first, second) == [True, False]


@pytest.mark.parametrize("password", ["", " ", "\x00", PASSWORD + " ", "é" * 5000])
def test_odd_passwords_are_refused_with_the_message_never_a_500(bobs_client, submitted, password):
    before = state(submitted)

    response = sign(bobs_client, submitted, password=password)

    assert response.status_code == 200
    page = response.content.decode()
    assert PASSWORD_MISSING in page or PASSWORD_WRONG in page
    assert state(submitted) == before


# --- what needs no password --------------------------------------------------------------------


def test_returning_an_entry_needs_no_password(bobs_client, submitted):
    response = bobs_client.post(url("entry_return", submitted), {"comment": "Add the levels."})

    assert response.status_code == 302
    submitted.refresh_from_db()
    assert submitted.status == Entry.Status.RETURNED
    assert EntryEvent.objects.filter(action=EntryEvent.Action.RETURNED).count() == 1
    assert typed_at(bobs_client) is None


def test_a_refused_signer_is_refused_before_any_password_is_checked(client, alice, submitted, dave):
    """The trainee, and a supervisor who is not hers, get their 403/404 as before; their
    right password does not help and no failure is counted for them."""
    for user, status in ((alice, 403), (dave, 404)):
        client.force_login(user)
        assert sign(client, submitted, password=PASSWORD).status_code == status
    assert signed(submitted) == [False]
    assert not AccessAttempt.objects.exists()


# --- the window can't be granted by the client ---------------------------------------------


def test_the_window_lives_on_the_server_not_in_a_cookie(bobs_client, submitted):
    assert settings.SESSION_ENGINE != "django.contrib.sessions.backends.signed_cookies"
    # A cookie of that name, or a form field, is not the session.
    bobs_client.cookies[SESSION_KEY] = str(time.time())
    response = sign(bobs_client, submitted, **{SESSION_KEY: str(time.time())})
    assert response.status_code == 200
    assert signed(submitted) == [False]

    # A session id the server did not issue is no session at all: signed out.
    forged = Client()
    forged.cookies[settings.SESSION_COOKIE_NAME] = "forged" + "0" * 26
    response = sign(forged, submitted, password=PASSWORD)
    assert response.status_code == 302
    assert reverse("login") in response.url
    assert signed(submitted) == [False]


# --- the setting -------------------------------------------------------------------------------


def test_the_program_admin_shows_and_bounds_the_window(client, rf, admin, program):
    client.force_login(admin)
    change = reverse("admin:programs_program_change", args=[program.pk])
    page = client.get(change).content.decode()
    assert 'name="signoff_password_minutes"' in page
    assert "0 asks for it at every sign-off" in page
    assert program.signoff_password_minutes == 15
    model_admin = django_admin.site._registry[Program]
    assert "signoff_password_minutes" in model_admin.list_display
    request = rf.get(change)
    request.user = admin
    Form = model_admin.get_form(request, program)
    data = {
        "slug": program.slug,
        "name": program.name,
        "description": "",
        "block_threshold": program.block_threshold,
        # The program's dose limits (issue 12): its preset and investigation levels.
        "dose_preset": program.dose_preset,
        "investigation_level_1_pct": program.investigation_level_1_pct,
        "investigation_level_2_pct": program.investigation_level_2_pct,
    }

    for typed in ("721", "-1", "ten"):
        form = Form({**data, "signoff_password_minutes": typed}, instance=program)
        assert not form.is_valid()
        assert list(form.errors) == ["signoff_password_minutes"]
    form = Form({**data, "signoff_password_minutes": "721"}, instance=program)
    assert form.errors["signoff_password_minutes"] == [
        "Ensure this value is less than or equal to 720."
    ]
    form = Form({**data, "signoff_password_minutes": "0"}, instance=program)
    assert form.is_valid(), form.errors
    form.save()
    program.refresh_from_db()
    assert program.signoff_password_minutes == 0


@pytest.mark.parametrize("minutes", [721, 32767, -1])
def test_the_database_refuses_a_window_out_of_bounds(program, minutes):
    with pytest.raises(IntegrityError), transaction.atomic():
        Program.objects.filter(pk=program.pk).update(signoff_password_minutes=minutes)
    program.refresh_from_db()
    assert program.signoff_password_minutes == 15


def test_the_curriculum_stamps_survive_the_programs_table_rebuild(program):
    """The migration rebuilds programs_program on SQLite; the triggers that write to it
    from the curriculum tables still do."""
    version = program.curriculum_version

    Stage.objects.create(program=program, order=99, name="Extra stage")

    program.refresh_from_db()
    assert program.curriculum_version == version + 1


# --- bounded queries ---------------------------------------------------------------------------


def test_the_window_costs_one_query_on_the_queue_and_the_entry_page(
    bobs_client, alice, bob, django_assert_max_num_queries
):
    entries = [submitted_entry(alice, bob) for _ in range(3)]
    password_just_typed(bobs_client, ago_seconds=60)
    for _ in range(30):
        EntryFactory(
            trainee=alice,
            supervisor=bob,
            status=Entry.Status.SUBMITTED,
            submitted_at=timezone.now(),
        )

    bobs_client.get(url("signoff_queue"))  # the trainee's entrustment computed and stored
    # The queue's bound (test_signoff) plus the window.
    with django_assert_max_num_queries(10):
        assert bobs_client.get(url("signoff_queue")).status_code == 200
    # The entry page's bound (test_signoff, with the DOPS panel's two queries).
    with django_assert_max_num_queries(14):
        assert bobs_client.get(url("entry_detail", entries[0])).status_code == 200
