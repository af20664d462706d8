"""Entry transitions: writes that are more than plain CRUD."""

from django.db import transaction
from django.utils import timezone

from .models import Entry


@transaction.atomic
def entry_submit(*, entry: Entry) -> Entry:
    """Send a Draft or Returned entry to its supervisor for sign-off.

    The caller has checked that the user is the entry's trainee and that the form was
    valid with `submitting=True` (so a supervisor is set).
    """
    entry.status = Entry.Status.SUBMITTED
    entry.submitted_at = timezone.now()
    entry.save(update_fields=["status", "submitted_at", "updated_at"])
    return entry
