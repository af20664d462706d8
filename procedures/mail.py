"""Email, sent by a background task: a request never waits for the mail server, and a mail
server that is down loses nothing.

Services call `email_on_commit()`. Once the transaction commits (a rolled-back request
sends nothing) the message is queued as a `send_email` task. With the database backend
(production: settings, PRECEPT_TASKS_BACKEND) the task waits in the project's own database
until `manage.py db_worker` runs it; with the immediate backend (development, tests) it
runs at once, in the request.

The tasks framework retries nothing by itself. When the mail server cannot be reached,
does not answer, or refuses for now (smtplib's errors are OSErrors), `send_email` queues
itself again to run later, backing off by RETRY_MINUTES, and then raises, so the failed
attempt is kept with its traceback (admin: Task results). After the last attempt it logs
an error and gives up. A message that can never be sent as it stands (an address or a
header that Django refuses) is logged and dropped, not retried.
"""

import logging
from datetime import timedelta

from django.core.mail import BadHeaderError, send_mail
from django.core.mail.message import sanitize_address
from django.db import DatabaseError, transaction
from django.utils import timezone
from django_tasks import task

from accounts.validators import one_line

mail_log = logging.getLogger("precept.mail")

# Minutes before each retry: seven attempts in all, the last about 17 hours after the first,
# so an outage over a night is ridden out and nobody is mailed about yesterday's entry.
RETRY_MINUTES = (1, 5, 15, 60, 240, 720)


def usable_address(to: str) -> bool:
    """Whether `to` can be sent to: one line (a header may not be split) that the SMTP
    backend can parse. What send_plain_mail would otherwise find out at sending time."""
    if "\n" in to or "\r" in to:
        return False
    try:
        sanitize_address(to, "utf-8")
    except ValueError:
        return False
    return True


def send_plain_mail(subject: str, body: str, to: str) -> bool:
    """Send one plain email now; False, logged, if it cannot be built.

    The subject is made one line (a name with a line break, stored before names were
    validated, would split the header); an address Django refuses to put in a header
    (BadHeaderError) or cannot parse (ValueError, raised by the SMTP backend) is skipped.
    The mail server's own failures (smtplib.SMTPException, a refused or timed-out
    connection: all OSError) are raised, for send_email to retry."""
    try:
        send_mail(one_line(subject), body, None, [to])
    except (BadHeaderError, ValueError):  # BadHeaderError is a ValueError; named for the reader
        mail_log.warning("not sent: the address or a header cannot be used (to %r)", to)
        return False
    return True


@task()
def send_email(*, subject: str, body: str, to: str, attempt: int = 1) -> bool:
    """The task: send one email. Returns whether it was sent (False: unusable, dropped).

    If the mail server fails, the next attempt is queued (see the module docstring) and
    the error raised, so that this attempt is recorded as failed."""
    try:
        return send_plain_mail(subject, body, to)
    except OSError as error:
        _retry_later(subject=subject, body=body, to=to, attempt=attempt, error=error)
        raise


def _retry_later(*, subject: str, body: str, to: str, attempt: int, error: OSError) -> None:
    if attempt > len(RETRY_MINUTES):
        mail_log.error("not sent to %r, given up after %d attempts: %s", to, attempt, error)
        return
    if not send_email.get_backend().supports_defer:
        # The immediate backend (development) runs a task at once or never.
        mail_log.error("not sent to %r: %s (this task backend cannot retry later)", to, error)
        return
    run_after = timezone.now() + timedelta(minutes=RETRY_MINUTES[attempt - 1])
    send_email.using(run_after=run_after).enqueue(
        subject=subject, body=body, to=to, attempt=attempt + 1
    )
    mail_log.warning(
        "not sent to %r (attempt %d): %s; trying again at %s", to, attempt, error, run_after
    )


def email_on_commit(subject: str, body: str, to: str) -> None:
    """Queue an email for when the current transaction commits; nothing if it rolls back
    or there is no address."""
    if to:
        transaction.on_commit(lambda: _enqueue(subject, body, to))


def _enqueue(subject: str, body: str, to: str) -> None:
    # Runs after the commit: the work the email reports is saved. If the queue cannot be
    # written (the database gone that instant), say so in the log rather than answer the
    # request with an error page that invites doing the saved work again.
    try:
        send_email.enqueue(subject=subject, body=body, to=to)
    except DatabaseError:
        mail_log.exception("not queued (to %r): %s", to, one_line(subject))
