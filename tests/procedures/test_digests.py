"""E-mail digests (procedures.digests): the supervisor's daily digest, chosen instead of an
e-mail per submission, and the trainee's weekly digest of drafts and returned entries."""

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from accounts.models import User
from procedures.digests import LIST_LIMIT, week_start
from procedures.models import Entry
from procedures.services import entry_return
from programs.models import Enrollment
from tests.factories import EntryFactory, UserFactory, waiting_entries

BASE = "https://precept.example.org"


@pytest.fixture(autouse=True)
def _base_url(settings):
    settings.PRECEPT_BASE_URL = BASE


def run(command: str, *args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command(command, *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def with_email(*users, daily=False):
    for user in users:
        user.email = f"{user.username}@example.org"
        if daily:
            user.supervisor_mail = User.SupervisorMail.DAILY
        user.save()


def mails_to(mailoutbox, user):
    return [m for m in mailoutbox if m.to == [user.email]]


def returned(trainee, supervisor, comment="Which level?"):
    entry = EntryFactory(
        trainee=trainee,
        supervisor=supervisor,
        status=Entry.Status.SUBMITTED,
        submitted_at=timezone.now(),
    )
    entry_return(entry_id=entry.pk, supervisor=supervisor, comment=comment)
    return entry


# --- supervisors: daily --------------------------------------------------------------------


def test_daily_digest_lists_the_waiting_entries_oldest_first_with_links(
    alice, bob, charlie, dave, mailoutbox
):
    with_email(bob, daily=True)
    with_email(dave)  # each submission: no digest
    newer = waiting_entries(alice, bob, 1, days_ago=2)
    older = waiting_entries(alice, bob, 1, days_ago=9)
    waiting_entries(charlie, dave, 3, days_ago=5)

    out, _ = run("send_daily_digests")

    (mail,) = mailoutbox
    assert mail.to == ["bob@example.org"]
    assert mail.subject.startswith("Precept daily digest: 2 entries waiting for your sign-off")
    body = mail.body
    older_link = f"{BASE}/entries/{older[0].pk}/"
    newer_link = f"{BASE}/entries/{newer[0].pk}/"
    assert older_link in body and newer_link in body
    assert body.index(older_link) < body.index(newer_link)
    assert "Alice Adams, submitted 9 days ago" in body
    assert f"{BASE}{reverse('procedures:signoff_queue')}" in body
    assert f"{BASE}{reverse('email_settings')}" in body
    assert "Daily digests queued: 1." in out


def test_daily_digest_is_not_sent_when_nothing_waits(alice, bob, mailoutbox):
    with_email(bob, daily=True)
    EntryFactory(trainee=alice, supervisor=bob)  # a draft does not wait for anyone
    EntryFactory(
        trainee=alice, supervisor=bob, status=Entry.Status.SIGNED_OFF, autonomy=4
    )  # decided
    out, _ = run("send_daily_digests")
    assert mailoutbox == []
    assert "Daily digests queued: 0." in out
    bob.refresh_from_db()
    assert bob.daily_digest_sent_on is None


def test_daily_digest_lists_only_the_queue_of_active_enrollments(alice, bob, mailoutbox):
    with_email(bob, daily=True)
    waiting_entries(alice, bob, 2, days_ago=3)
    Enrollment.objects.filter(trainee=alice).update(active=False)  # bob no longer signs
    run("send_daily_digests")
    assert mailoutbox == []


def test_daily_digest_is_sent_once_a_day(alice, bob, mailoutbox):
    with_email(bob, daily=True)
    waiting_entries(alice, bob, 1, days_ago=1)
    run("send_daily_digests")
    out, _ = run("send_daily_digests")
    assert len(mailoutbox) == 1
    assert "Daily digests queued: 0." in out
    bob.refresh_from_db()
    assert bob.daily_digest_sent_on == timezone.localdate()

    # The next day, still waiting: another digest.
    User.objects.filter(pk=bob.pk).update(
        daily_digest_sent_on=timezone.localdate() - timedelta(days=1)
    )
    run("send_daily_digests")
    assert len(mailoutbox) == 2


def test_daily_digest_with_the_database_queue_queues_one_task_per_day(
    alice, bob, settings, mailoutbox
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    with_email(bob, daily=True)
    waiting_entries(alice, bob, 1, days_ago=1)
    run("send_daily_digests")
    run("send_daily_digests")
    assert DBTaskResult.objects.count() == 1
    assert mailoutbox == []  # the worker sends it


def test_a_long_queue_is_listed_up_to_the_limit_and_the_rest_counted(alice, bob, mailoutbox):
    with_email(bob, daily=True)
    waiting_entries(alice, bob, LIST_LIMIT + 5, days_ago=3)
    run("send_daily_digests")
    (mail,) = mailoutbox
    assert mail.body.count(f"\n  {BASE}/entries/") == LIST_LIMIT  # one link per entry
    assert "and 5 more in your queue." in mail.body
    assert f"{LIST_LIMIT + 5} entries waiting" in mail.subject


def test_a_supervisor_without_an_address_is_skipped_and_tried_again(alice, bob, mailoutbox):
    User.objects.filter(pk=bob.pk).update(supervisor_mail=User.SupervisorMail.DAILY)
    waiting_entries(alice, bob, 1, days_ago=1)
    _, err = run("send_daily_digests")
    assert mailoutbox == []
    assert "bob: 1 waiting: no e-mail address, skipped" in err
    bob.refresh_from_db()
    assert bob.daily_digest_sent_on is None


def test_daily_dry_run_sends_and_records_nothing(alice, bob, mailoutbox):
    with_email(bob, daily=True)
    waiting_entries(alice, bob, 2, days_ago=1)
    out, _ = run("send_daily_digests", "--dry-run")
    assert mailoutbox == []
    assert "bob: 2 waiting (dry run)" in out
    bob.refresh_from_db()
    assert bob.daily_digest_sent_on is None


def test_daily_queries_do_not_grow_with_the_number_of_supervisors(alice, program, mailoutbox):
    enrollment = Enrollment.objects.get(trainee=alice)

    def queries_for(n):
        Entry.objects.all().delete()
        User.objects.update(daily_digest_sent_on=None)
        for _ in range(n):
            supervisor = UserFactory(email="s@example.org", supervisor_mail="daily")
            enrollment.supervisors.add(supervisor)
            waiting_entries(alice, supervisor, 3, days_ago=2)
        with CaptureQueriesContext(connection) as ctx:
            run("send_daily_digests")
        return len(ctx.captured_queries)

    # The supervisors, the counts, the listed entries, the date sent (and the savepoint's
    # statements): the same for 2 and 8 supervisors.
    assert queries_for(2) == queries_for(8)
    assert len(mailoutbox) == 10


# --- a supervisor who chose the digest gets no e-mail per submission -----------------------


def submit(client, entry, capture):
    """Submit as the trainee does, running the commit's callbacks (where mail is queued)."""
    client.force_login(entry.trainee)
    with capture(execute=True):
        response = client.post(reverse("procedures:entry_submit", args=[entry.pk]))
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.status == Entry.Status.SUBMITTED


def test_a_supervisor_who_chose_the_digest_gets_no_mail_per_submission(
    client, alice, bob, mailoutbox, django_capture_on_commit_callbacks
):
    with_email(bob, daily=True)
    submit(client, EntryFactory(trainee=alice, supervisor=bob), django_capture_on_commit_callbacks)
    assert mails_to(mailoutbox, bob) == []
    run("send_daily_digests")
    assert len(mails_to(mailoutbox, bob)) == 1


def test_a_supervisor_who_chose_each_submission_gets_one_per_submission(
    client, alice, bob, mailoutbox, django_capture_on_commit_callbacks
):
    with_email(bob)
    submit(client, EntryFactory(trainee=alice, supervisor=bob), django_capture_on_commit_callbacks)
    (mail,) = mails_to(mailoutbox, bob)
    assert "submitted an entry for your sign-off" in mail.subject
    run("send_daily_digests")
    assert len(mails_to(mailoutbox, bob)) == 1  # no digest on top


# --- trainees: weekly ----------------------------------------------------------------------


def test_weekly_digest_lists_returned_entries_and_drafts(alice, bob, charlie, dave, mailoutbox):
    with_email(alice, charlie)
    fix = returned(alice, bob)
    draft = EntryFactory(trainee=alice, supervisor=bob)
    waiting_entries(charlie, dave, 2)  # submitted: nothing for charlie to do
    EntryFactory(trainee=charlie, supervisor=dave, status=Entry.Status.SIGNED_OFF, autonomy=4)

    out, _ = run("send_weekly_digests")

    (mail,) = mailoutbox
    assert mail.to == ["alice@example.org"]
    assert mail.subject == "Precept weekly: 1 returned and 1 draft in your logbook"
    body = mail.body
    assert "Returned to you to fix (1):" in body and "Drafts not yet submitted (1):" in body
    assert body.index(f"{BASE}/entries/{fix.pk}/") < body.index(f"{BASE}/entries/{draft.pk}/")
    assert f"To stop this weekly digest: {BASE}{reverse('email_settings')}" in body
    assert "Weekly digests queued: 1." in out


def test_weekly_digest_respects_the_opt_out(alice, bob, mailoutbox):
    with_email(alice)
    User.objects.filter(pk=alice.pk).update(weekly_digest=False)
    EntryFactory(trainee=alice, supervisor=bob)
    run("send_weekly_digests")
    assert mailoutbox == []


def test_weekly_digest_is_only_for_current_trainees(alice, bob, mailoutbox):
    with_email(alice)
    EntryFactory(trainee=alice, supervisor=bob)
    Enrollment.objects.filter(trainee=alice).update(active=False)
    run("send_weekly_digests")
    assert mailoutbox == []


def test_weekly_digest_is_sent_once_a_week(alice, bob, mailoutbox):
    with_email(alice)
    EntryFactory(trainee=alice, supervisor=bob)
    run("send_weekly_digests")
    out, _ = run("send_weekly_digests")
    assert len(mailoutbox) == 1 and "Weekly digests queued: 0." in out
    alice.refresh_from_db()
    assert alice.weekly_digest_sent_on == timezone.localdate()

    # Sent last week (the day before this week's Monday): due again.
    last_week = week_start(timezone.localdate()) - timedelta(days=1)
    User.objects.filter(pk=alice.pk).update(weekly_digest_sent_on=last_week)
    run("send_weekly_digests")
    assert len(mailoutbox) == 2


def test_a_week_runs_from_monday_to_sunday():
    from datetime import date

    assert week_start(date(2026, 12, 7)) == date(2026, 12, 7)  # a Monday
    assert week_start(date(2026, 12, 13)) == date(2026, 12, 7)  # that Sunday
    assert week_start(date(2026, 12, 14)) == date(2026, 12, 14)


def test_many_drafts_are_listed_up_to_the_limit_with_a_link_to_the_rest(alice, mailoutbox):
    with_email(alice)
    Entry.objects.bulk_create([EntryFactory.build(trainee=alice) for _ in range(LIST_LIMIT + 3)])
    run("send_weekly_digests")
    (mail,) = mailoutbox
    assert f"and 3 more: {BASE}/entries/?status=draft" in mail.body
    assert f"{LIST_LIMIT + 3} drafts" in mail.subject


def test_weekly_dry_run_sends_and_records_nothing(alice, bob, mailoutbox):
    with_email(alice)
    returned(alice, bob)
    out, _ = run("send_weekly_digests", "--dry-run")
    assert mailoutbox == []
    assert "alice: 1 returned (dry run)" in out
    alice.refresh_from_db()
    assert alice.weekly_digest_sent_on is None


def test_weekly_queries_do_not_grow_with_the_number_of_trainees(program, mailoutbox):
    def queries_for(n):
        Entry.objects.all().delete()
        for _ in range(n):
            trainee = UserFactory(email="t@example.org")
            Enrollment.objects.create(
                trainee=trainee, program=program, start_date=timezone.localdate()
            )
            Entry.objects.bulk_create(
                [EntryFactory.build(trainee=trainee) for _ in range(3)]
                + [
                    EntryFactory.build(
                        trainee=trainee, status=Entry.Status.RETURNED, supervisor=UserFactory()
                    )
                ]
            )
        with CaptureQueriesContext(connection) as ctx:
            run("send_weekly_digests")
        return len(ctx.captured_queries)

    assert queries_for(2) == queries_for(8)
    assert len(mailoutbox) == 10
