"""E-mail settings: the signed-in user chooses how Precept e-mails them, and nobody else's."""

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User

URL = reverse("email_settings")
DAILY_NO_WEEKLY = {"supervisor_mail": "daily", "weekly_digest": "no"}


def test_the_defaults_are_each_submission_and_a_weekly_digest(client, bob):
    client.force_login(bob)
    response = client.get(URL)
    assert response.status_code == 200
    html = " ".join(response.content.decode().split())
    assert 'value="each" id="id_supervisor_mail_0" required checked' in html
    assert 'value="yes" id="id_weekly_digest_0" required checked' in html


def test_a_user_changes_their_own_preferences(client, bob):
    client.force_login(bob)
    response = client.post(URL, DAILY_NO_WEEKLY, follow=True)
    assert response.redirect_chain == [(URL, 302)]
    assert "E-mail settings saved." in response.content.decode()
    bob.refresh_from_db()
    assert bob.supervisor_mail == User.SupervisorMail.DAILY
    assert bob.weekly_digest is False

    client.post(URL, {"supervisor_mail": "each", "weekly_digest": "yes"})
    bob.refresh_from_db()
    assert (bob.supervisor_mail, bob.weekly_digest) == ("each", True)


def test_nobody_can_change_another_users_preferences(client, alice, bob):
    client.force_login(alice)
    # However the POST names bob, the page saves the signed-in user's own.
    for extra in ({"user": bob.pk}, {"pk": bob.pk}, {"id": bob.pk}, {"username": "bob"}):
        client.post(URL, {**DAILY_NO_WEEKLY, **extra})
        client.post(f"{URL}?user={bob.pk}&pk={bob.pk}", {**DAILY_NO_WEEKLY, **extra})
    bob.refresh_from_db()
    assert (bob.supervisor_mail, bob.weekly_digest) == ("each", True)
    assert bob.username == "bob"
    alice.refresh_from_db()
    assert (alice.username, alice.supervisor_mail, alice.weekly_digest) == ("alice", "daily", False)


@pytest.mark.parametrize(
    "data, field",
    [
        ({}, "supervisor_mail"),
        ({"supervisor_mail": "hourly", "weekly_digest": "yes"}, "supervisor_mail"),
        ({"supervisor_mail": "daily"}, "weekly_digest"),
        ({"supervisor_mail": "daily", "weekly_digest": "maybe"}, "weekly_digest"),
    ],
)
def test_bad_input_names_the_field_and_changes_nothing(client, bob, data, field):
    client.force_login(bob)
    response = client.post(URL, data)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert "Nothing was saved" in response.content.decode()
    bob.refresh_from_db()
    assert (bob.supervisor_mail, bob.weekly_digest) == ("each", True)


def test_a_post_without_the_csrf_token_is_refused(bob):
    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(bob)
    response = csrf_client.post(URL, DAILY_NO_WEEKLY)
    assert response.status_code == 403
    bob.refresh_from_db()
    assert bob.supervisor_mail == "each"


def test_the_page_is_in_the_user_menu(client, alice):
    client.force_login(alice)
    html = client.get(reverse("home")).content.decode()
    assert f'href="{URL}">E-mail settings</a>' in html


def test_anonymous_is_sent_to_sign_in(client, db):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
