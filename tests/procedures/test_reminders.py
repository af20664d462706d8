"""send_reminders: more than 25 waiting, or any waiting over 30 days, gets one email."""

import io

from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from procedures.models import Entry
from tests.factories import UserFactory, waiting_entries


def _run(*args) -> str:
    out = io.StringIO()
    call_command("send_reminders", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_reminds_only_supervisors_over_the_thresholds(alice, bob, charlie, dave, mailoutbox):
    bob.email, dave.email = "bob@example.org", "dave@example.org"
    bob.save()
    dave.save()
    quiet = UserFactory(email="quiet@example.org")
    waiting_entries(alice, bob, 26)  # more than 25 waiting
    waiting_entries(charlie, dave, 1, days_ago=31)  # one waiting over 30 days
    waiting_entries(charlie, quiet, 25, days_ago=29)  # neither

    output = _run()

    assert sorted(m.to[0] for m in mailoutbox) == ["bob@example.org", "dave@example.org"]
    bob_mail = next(m for m in mailoutbox if m.to == ["bob@example.org"])
    assert "26 entries waiting" in bob_mail.subject
    assert "/entries/sign-off/" in bob_mail.body
    assert "Reminders queued: 2." in output


def test_dry_run_sends_nothing(alice, bob, mailoutbox):
    bob.email = "bob@example.org"
    bob.save()
    waiting_entries(alice, bob, 1, days_ago=40)
    output = _run("--dry-run")
    assert mailoutbox == []
    assert "bob: 1 waiting, oldest 40 days (dry run)" in output


def test_queries_do_not_grow_with_the_number_of_supervisors(alice, mailoutbox):
    def queries_for(n_supervisors):
        Entry.objects.all().delete()
        for _ in range(n_supervisors):
            waiting_entries(alice, UserFactory(email="s@example.org"), 1, days_ago=45)
        with CaptureQueriesContext(connection) as ctx:
            _run()
        return len(ctx.captured_queries)

    assert queries_for(2) == queries_for(20) == 2  # the grouped counts; the users
