"""The user model.

Django advises starting every project with a custom user model so that fields can be
added later without a painful migration. Roles are not global flags: a person is a
trainee, a supervisor or a director through enrollments and programs (DESIGN §2).
"""

from django.contrib.auth.models import AbstractUser
from django.db import models

from .validators import NoControlCharacters


class User(AbstractUser):
    """A Precept account. `display_name` is what other people see ("Dr Sarah Chen")."""

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

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        ordering = ["last_name", "first_name", "username"]

    def __str__(self):
        return self.display_name

    @property
    def display_name(self) -> str:
        name = self.get_full_name() or self.username
        return f"{self.title} {name}" if self.title else name
