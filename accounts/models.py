"""The user model.

Django advises starting every project with a custom user model so that fields can be
added later without a painful migration. Roles are not global flags: a person is a
trainee, a supervisor or a director through enrollments and programs (DESIGN §2).
"""

from django.contrib.auth.models import AbstractUser
from django.db import models

from .validators import NoControlCharacters


class SupervisorMail(models.TextChoices):
    """How a supervisor hears of submitted entries (issue 10 point 2)."""

    EACH = "each", "An e-mail for each entry submitted to me"
    DAILY = "daily", "One daily digest of the entries waiting for me"


class User(AbstractUser):
    """A Precept account. `display_name` is what other people see ("Dr Sarah Chen").

    E-mail preferences are the user's own (the E-mail settings page changes only the
    signed-in user's); the digest commands record when they last sent each digest, so a
    second run the same day (or week) sends nothing."""

    SupervisorMail = SupervisorMail

    # As AbstractUser's, refusing control characters (a name goes into email subjects).
    first_name = models.CharField(
        "first name", max_length=150, blank=True, validators=[NoControlCharacters("First name")]
    )
    last_name = models.CharField(
        "last name", max_length=150, blank=True, validators=[NoControlCharacters("Last name")]
    )
    title = models.CharField(
        max_length=20,
        blank=True,
        help_text="For example Dr or Prof.",
        validators=[NoControlCharacters("Title")],
    )

    supervisor_mail = models.CharField(
        "as a supervisor, e-mail me",
        max_length=10,
        choices=SupervisorMail.choices,
        default=SupervisorMail.EACH,
    )
    weekly_digest = models.BooleanField(
        "as a trainee, a weekly digest of my drafts and returned entries", default=True
    )
    # When the digests were last sent (send_daily_digests, send_weekly_digests).
    daily_digest_sent_on = models.DateField(null=True, blank=True, editable=False)
    weekly_digest_sent_on = models.DateField(null=True, blank=True, editable=False)

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        ordering = ["last_name", "first_name", "username"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(supervisor_mail__in=SupervisorMail.values),
                name="accounts_user_supervisor_mail_valid",
            ),
        ]

    def __str__(self):
        return self.display_name

    @property
    def display_name(self) -> str:
        name = self.get_full_name() or self.username
        return f"{self.title} {name}" if self.title else name
