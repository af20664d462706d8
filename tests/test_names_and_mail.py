"""A person's name holds no control characters (a line break would split an email
header), and an email that cannot be sent as it stands never turns a saved action into a
500: the subject is made one line, an unusable address is skipped and logged."""

import io
import logging

import pytest
from django.core.exceptions import ValidationError
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.core.mail.message import sanitize_address
from django.core.management import call_command
from django.urls import reverse

from accounts.validators import one_line
from procedures.mail import send_plain_mail
from procedures.models import Entry
from tests.factories import UserFactory, waiting_entries
from tests.procedures.test_entry_validation import CREATE_URL, entry_data
from tests.procedures.test_signoff import submitted_entry

BAD = {
    "line feed": "Alice\nBcc: victim@example.org",
    "carriage return": "Alice\rBcc: victim@example.org",
    "tab": "Alice\tAdams",
    "NUL": "Alice\x00",
    "line separator": "Alice\u2028Adams",
    "escape": "Alice\x1b[31m",
}
GOOD = ["Zoë", "O'Brien-Łukasz", "María José", "Nguyễn", "van der Berg", "李"]


class SmtpLikeBackend(LocmemBackend):
    """The outbox, checking each message as the SMTP backend would before sending: the
    addresses parsed for the envelope, the message rendered with its headers."""

    def send_messages(self, messages):
        for message in messages:
            encoding = message.encoding or "utf-8"
            sanitize_address(message.from_email, encoding)
            for address in message.recipients():
                sanitize_address(address, encoding)
            message.message().as_bytes()
        return super().send_messages(messages)


@pytest.fixture
def smtp_like(settings, mailoutbox):
    settings.EMAIL_BACKEND = "tests.test_names_and_mail.SmtpLikeBackend"
    return mailoutbox


# --- names ------------------------------------------------------------------------------------


@pytest.mark.parametrize("field", ["first_name", "last_name", "title"])
@pytest.mark.parametrize("value", BAD.values(), ids=BAD.keys())
def test_full_clean_refuses_control_characters_in_a_name(db, field, value):
    user = UserFactory.build(username="newperson", **{field: value})
    with pytest.raises(ValidationError) as caught:
        user.full_clean()
    what = {"first_name": "First name", "last_name": "Last name", "title": "Title"}[field]
    assert (
        f"{what} cannot contain line breaks, tabs or other control characters."
        in caught.value.message_dict[field]
    )


@pytest.mark.parametrize("value", GOOD)
def test_ordinary_names_are_accepted(db, value):
    UserFactory.build(username="newperson", first_name=value, last_name=value).full_clean()


def _admin_change_data(user, **changes):
    data = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "title": user.title,
        "email": user.email,
        "is_active": "on",
        "date_joined_0": user.date_joined.strftime("%Y-%m-%d"),
        "date_joined_1": user.date_joined.strftime("%H:%M:%S"),
    }
    data.update(changes)
    return data


@pytest.mark.parametrize("value", BAD.values(), ids=BAD.keys())
def test_the_admin_refuses_a_name_with_control_characters_and_keeps_it(client, admin, alice, value):
    client.force_login(admin)
    url = reverse("admin:accounts_user_change", args=[alice.pk])
    response = client.post(url, _admin_change_data(alice, last_name=value))
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    # A NUL is refused by Django's form field first, in its own words.
    expected = (
        "Null characters are not allowed."
        if "\x00" in value
        else "Last name cannot contain line breaks, tabs or other control characters."
    )
    assert errors["last_name"] == [expected]
    alice.refresh_from_db()
    assert alice.last_name == "Adams"


def test_the_admin_saves_an_ordinary_name(client, admin, alice):
    client.force_login(admin)
    url = reverse("admin:accounts_user_change", args=[alice.pk])
    response = client.post(url, _admin_change_data(alice, last_name="O'Brien-Łukasz"))
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.last_name == "O'Brien-Łukasz"


def test_one_line():
    assert one_line("Alice\r\nBcc: x@example.org\t\x00 Adams") == "Alice Bcc: x@example.org Adams"
    assert one_line("Zoë O'Brien") == "Zoë O'Brien"


# --- mail ---------------------------------------------------------------------------------------


def test_a_name_stored_with_a_line_break_still_gives_a_one_line_subject(
    client, alice, bob, smtp_like, django_capture_on_commit_callbacks
):
    # Stored before names were validated (or by a script): the model is bypassed.
    type(alice).objects.filter(pk=alice.pk).update(last_name="Adams\nBcc: victim@example.org")
    bob.email = "bob@example.org"
    bob.save()
    client.force_login(alice)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(CREATE_URL, entry_data(bob, action="submit"))
    assert response.status_code == 302
    assert Entry.objects.get().status == Entry.Status.SUBMITTED
    (mail,) = smtp_like
    assert mail.subject == (
        "Precept: Alice Adams Bcc: victim@example.org submitted an entry for your sign-off"
    )
    assert mail.to == ["bob@example.org"]
    assert mail.message()["Bcc"] is None
    assert mail.recipients() == ["bob@example.org"]


@pytest.mark.parametrize(
    "address",
    ["bob@example.org\nBcc: victim@example.org", "bob@example.org\r\n", "not an address\n"],
)
def test_an_unusable_address_skips_the_mail_not_the_return(
    client, alice, bob, smtp_like, django_capture_on_commit_callbacks, caplog, address
):
    entry = submitted_entry(alice, bob)
    type(alice).objects.filter(pk=alice.pk).update(email=address)
    client.force_login(bob)
    with caplog.at_level(logging.WARNING, logger="precept.mail"):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                reverse("procedures:entry_return", args=[entry.pk]), {"comment": "Which level?"}
            )
    assert response.status_code == 302
    assert Entry.objects.get(pk=entry.pk).status == Entry.Status.RETURNED
    assert smtp_like == []
    assert "not sent" in caplog.text


def test_send_plain_mail_refuses_nothing_it_can_send(smtp_like):
    assert send_plain_mail("Line one\nLine two", "Body\nwith lines", "a@example.org")
    (mail,) = smtp_like
    assert (mail.subject, mail.body) == ("Line one Line two", "Body\nwith lines")


def test_reminders_skip_an_unusable_address_and_remind_the_others(
    alice, bob, charlie, dave, smtp_like
):
    bob.email = "bob@example.org\nBcc: victim@example.org"
    bob.save()
    dave.email = "dave@example.org"
    dave.save()
    waiting_entries(alice, bob, 26)
    waiting_entries(charlie, dave, 26)
    err = io.StringIO()
    call_command("send_reminders", stdout=io.StringIO(), stderr=err)
    assert [m.to for m in smtp_like] == [["dave@example.org"]]
    assert "bob: 26 waiting" in err.getvalue() and "cannot be used, skipped" in err.getvalue()
