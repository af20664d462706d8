"""The demo-data command: DEBUG only, idempotent, and gives every page something real.
Its `admin` (a superuser with the published password) exists only with DEBUG on."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError

from procedures.models import Entry, Signature, SignatureCheck
from programs.models import Enrollment


def test_refuses_without_debug(program, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("load_demo", stdout=io.StringIO())
    assert not get_user_model().objects.filter(username__in=["trainee", "admin"]).exists()


def test_creates_the_demo_accounts_and_a_logbook_once(program, settings):
    settings.DEBUG = True
    call_command("load_demo", stdout=io.StringIO())
    User = get_user_model()
    users = {u.username: u for u in User.objects.all()}
    for name in ("trainee", "trainee2", "supervisor", "supervisor2", "director", "admin"):
        assert users[name].check_password("precept-demo")
    assert users["admin"].is_staff and users["admin"].is_superuser
    assert not [u for u in users.values() if u.is_staff and u.username != "admin"]
    trainee_enrollment = Enrollment.objects.get(trainee=users["trainee"])
    assert list(trainee_enrollment.supervisors.all()) == [users["supervisor"]]
    assert list(Enrollment.objects.get(trainee=users["trainee2"]).supervisors.all()) == [
        users["supervisor2"]
    ]
    assert list(program.directors.all()) == [users["director"]]

    entries = Entry.objects.filter(trainee=users["trainee"])
    assert 55 <= entries.count() <= 65
    waiting = entries.filter(status=Entry.Status.SUBMITTED, supervisor=users["supervisor"])
    assert waiting.count() >= 5
    for status in Entry.Status:
        assert entries.filter(status=status).exists(), status

    before = list(Entry.objects.order_by("pk").values())
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    assert "no changes" in out.getvalue()
    assert list(Entry.objects.order_by("pk").values()) == before


def test_every_demo_signature_verifies(program, settings):
    settings.DEBUG = True
    call_command("load_demo", stdout=io.StringIO())
    signed_off = Entry.objects.filter(status=Entry.Status.SIGNED_OFF).count()
    assert signed_off == Signature.objects.count() > 0  # each signed by the real service
    out = io.StringIO()
    call_command("verify_signatures", stdout=out)  # raises CommandError on any failure
    assert f"Checked {signed_off} signed-off entries: 0 failed." in out.getvalue()
    assert not SignatureCheck.objects.exists()
