"""Email goes through a task queue in the project's own database (procedures.mail): the
request that causes an email never waits for the mail server or fails because of it, a
rolled-back request sends nothing, and while the mail server is down nothing is lost.

These tests switch from the tests' immediate backend to the database backend that
production uses, and run the worker (`manage.py db_worker --batch`) in this process.
"""

import io
import logging
import smtplib
from datetime import timedelta
from unittest import mock

import pytest
from django.core.mail.backends.base import BaseEmailBackend
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from procedures import services
from procedures.mail import RETRY_MINUTES, send_email
from procedures.models import Entry
from tests.factories import EntryFactory, waiting_entries
from tests.procedures.test_entry_validation import CREATE_URL, entry_data

DOWN = "tests.procedures.test_mail_queue.DownBackend"
WORKING = "django.core.mail.backends.locmem.EmailBackend"


class DownBackend(BaseEmailBackend):
    """A mail server that refuses every connection, counting the attempts."""

    attempts = 0

    def send_messages(self, messages):
        type(self).attempts += 1
        raise smtplib.SMTPConnectError(421, b"Service not available")


@pytest.fixture
def mail_server_down(settings):
    DownBackend.attempts = 0
    settings.EMAIL_BACKEND = DOWN
    return settings


@pytest.fixture
def database_queue(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture
def emails(alice, bob):
    for user in (alice, bob):
        user.email = f"{user.username}@example.org"
        user.save(update_fields=["email"])


def run_worker() -> None:
    """What `manage.py db_worker --batch` does: run every task that is due, then stop."""
    worker = Worker(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="test-worker",
        excluded_queue_names=[],
    )
    # Between tasks the worker closes connections that have grown old, as a request does;
    # here that connection holds the test's transaction.
    with mock.patch("django_tasks_db.management.commands.db_worker.close_old_connections"):
        worker.run()


def test_a_mail_server_that_is_down_delays_the_email_and_loses_nothing(
    client, alice, bob, emails, database_queue, mail_server_down, mailoutbox,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    client.force_login(alice)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(CREATE_URL, entry_data(bob, action="submit"))

    # The request: the entry saved and the usual answer, without a word to the mail server.
    entry = Entry.objects.get()
    assert entry.status == Entry.Status.SUBMITTED
    assert response.status_code == 302 and response["Location"] == entry.get_absolute_url()
    assert DownBackend.attempts == 0
    (queued,) = DBTaskResult.objects.all()
    assert queued.status == TaskResultStatus.READY
    assert queued.task_path == "procedures.mail.send_email"

    # The worker tries, the server is down: the attempt is kept as failed, and the next
    # one queued to run a minute later.
    run_worker()
    assert DownBackend.attempts == 1
    first, retry = DBTaskResult.objects.order_by("enqueued_at")
    assert first.status == TaskResultStatus.FAILED
    assert first.exception_class_path == "smtplib.SMTPConnectError"
    assert retry.status == TaskResultStatus.READY
    assert retry.args_kwargs["kwargs"]["attempt"] == 2
    assert retry.run_after >= first.started_at + timedelta(minutes=RETRY_MINUTES[0])
    run_worker()  # not due yet: left waiting
    assert DownBackend.attempts == 1
    assert mailoutbox == []

    # A minute later the server is back: the email goes out, once.
    mail_server_down.EMAIL_BACKEND = WORKING
    DBTaskResult.objects.filter(pk=retry.pk).update(run_after=timezone.now())
    run_worker()
    assert DBTaskResult.objects.get(pk=retry.pk).status == TaskResultStatus.SUCCESSFUL
    (sent,) = mailoutbox
    assert sent.to == ["bob@example.org"]
    assert sent.subject == "Precept: Alice Adams submitted an entry for your sign-off"
    assert entry.get_absolute_url() in sent.body
    run_worker()
    assert len(mailoutbox) == 1


def test_each_retry_waits_longer_and_the_last_attempt_gives_up(
    db, database_queue, mail_server_down, caplog
):
    for attempt, minutes in enumerate(RETRY_MINUTES, start=1):
        before = timezone.now()
        with pytest.raises(smtplib.SMTPConnectError):
            send_email.call(subject="Hello", body="Body", to="bob@example.org", attempt=attempt)
        queued = DBTaskResult.objects.get(args_kwargs__kwargs__attempt=attempt + 1)
        assert before + timedelta(minutes=minutes) <= queued.run_after
        assert queued.run_after <= timezone.now() + timedelta(minutes=minutes)

    last = len(RETRY_MINUTES) + 1
    with (
        caplog.at_level(logging.ERROR, logger="precept.mail"),
        pytest.raises(smtplib.SMTPConnectError),
    ):
        send_email.call(subject="Hello", body="Body", to="bob@example.org", attempt=last)
    assert DBTaskResult.objects.count() == len(RETRY_MINUTES)  # no attempt after the last
    assert f"given up after {last} attempts" in caplog.text


def test_a_rolled_back_submission_sends_nothing(
    alice, bob, emails, database_queue, mailoutbox, django_capture_on_commit_callbacks
):
    entry = EntryFactory(trainee=alice, supervisor=bob)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            services.entry_submit(entry=entry, by=alice)
            raise RuntimeError("the request fails after the submit")
    assert callbacks == []
    assert not DBTaskResult.objects.exists()
    assert mailoutbox == []
    assert Entry.objects.get(pk=entry.pk).status == Entry.Status.DRAFT


def test_without_a_worker_a_mail_server_that_is_down_is_logged_not_an_error_page(
    client, alice, bob, emails, mail_server_down, caplog, django_capture_on_commit_callbacks
):
    # The immediate backend (development, tests) sends in the request and cannot retry.
    client.force_login(alice)
    with (
        caplog.at_level(logging.ERROR, logger="precept.mail"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = client.post(CREATE_URL, entry_data(bob, action="submit"))
    assert response.status_code == 302
    assert Entry.objects.get().status == Entry.Status.SUBMITTED
    assert DownBackend.attempts == 1
    assert "cannot retry later" in caplog.text


def test_reminders_are_queued_for_the_worker(alice, bob, emails, database_queue, mailoutbox):
    waiting_entries(alice, bob, 26)
    out = io.StringIO()
    call_command("send_reminders", stdout=out, stderr=io.StringIO())
    assert "Reminders queued: 1." in out.getvalue()
    (queued,) = DBTaskResult.objects.all()
    assert queued.args_kwargs["kwargs"]["to"] == "bob@example.org"
    assert mailoutbox == []
    run_worker()
    (sent,) = mailoutbox
    assert sent.to == ["bob@example.org"] and "26 entries waiting" in sent.subject
