"""Production settings, Content-Security-Policy, login throttling, idle sessions."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

from tests.factories import PASSWORD, EntryFactory

ROOT = Path(__file__).resolve().parents[1]


def _start_django(**env) -> subprocess.CompletedProcess:
    """Start Django in a fresh process with `env`, debug off unless it says otherwise
    (explicitly: the settings also read a developer's .env, which says DJANGO_DEBUG=1)."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL"))}
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "config.settings", "DJANGO_DEBUG": "0", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    "env",
    [{}, {"DJANGO_SECRET_KEY": "k" * 60}, {"DJANGO_ALLOWED_HOSTS": "precept.example.org"}],
    ids=["nothing", "no-hosts", "no-key"],
)
def test_production_refuses_to_start_without_key_and_hosts(env):
    result = _start_django(**env)
    assert result.returncode != 0
    assert "set DJANGO_SECRET_KEY and DJANGO_ALLOWED_HOSTS" in result.stderr


def test_production_starts_with_key_and_hosts_and_development_needs_neither():
    assert _start_django(DJANGO_SECRET_KEY="k" * 60, DJANGO_ALLOWED_HOSTS="x.org").returncode == 0
    assert _start_django(DJANGO_DEBUG="1").returncode == 0


def test_pages_send_a_strict_content_security_policy(client, alice):
    client.force_login(alice)
    policy = client.get(reverse("procedures:entry_list"))["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", re.I)


@pytest.mark.parametrize(
    ("user", "name"),
    [
        ("alice", "procedures:entry_list"),
        ("alice", "procedures:entry_create"),
        ("alice", "curriculum:my_progress"),
        ("alice", "curriculum:my_portfolio"),
        ("bob", "procedures:signoff_queue"),
        ("bob", "curriculum:my_trainees"),
        ("diana", "curriculum:cohort"),
        (None, "login"),
    ],
)
def test_pages_have_no_inline_script_or_style(client, alice, bob, diana, user, name):
    users = {"alice": alice, "bob": bob, "diana": diana}
    if user:
        client.force_login(users[user])
    EntryFactory(trainee=alice)
    html = client.get(reverse(name)).content.decode()
    assert not INLINE_SCRIPT.search(html)
    assert " style=" not in html
    assert "<style" not in html


def test_five_wrong_passwords_lock_that_username_from_that_address(client, alice):
    url = reverse("login")
    for _ in range(4):
        response = client.post(url, {"username": "alice", "password": "wrong"})
        assert response.status_code == 200  # the form again, with its error
    fifth = client.post(url, {"username": "alice", "password": "wrong"})
    assert fifth.status_code == 429
    # Locked: even the right password is refused now.
    locked = client.post(url, {"username": "alice", "password": PASSWORD})
    assert locked.status_code == 429
    assert b"Too many failed sign-ins" in locked.content
    assert "_auth_user_id" not in client.session


def test_another_user_from_the_same_address_can_still_sign_in(client, alice, bob):
    url = reverse("login")
    for _ in range(5):
        client.post(url, {"username": "alice", "password": "wrong"})
    response = client.post(url, {"username": "bob", "password": PASSWORD})
    assert response.status_code == 302


def test_a_session_expires_after_the_idle_limit(client, alice, settings):
    client.post(reverse("login"), {"username": "alice", "password": PASSWORD})
    assert client.session.get_expiry_age() == settings.SESSION_COOKIE_AGE
    assert settings.SESSION_COOKIE_AGE <= 8 * 3600
