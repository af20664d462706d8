"""The one place where a user's access to an entry is decided for the views."""

from collections.abc import Callable

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.shortcuts import get_object_or_404

from ..models import Entry
from ..services import refuse


def get_entry(
    request: HttpRequest, pk: int, *, may: Callable[[Entry, object], bool] | None = None
) -> Entry:
    """Return the entry if request.user may read it; otherwise 404.

    "Missing" and "not yours" look the same, so ids can't be probed. With `may` (one of
    Entry.can_edit, can_submit, can_delete, can_decide), a readable entry on which the
    user may not do that gives 403, and the refusal is logged.
    Two queries at most: the entry with trainee, supervisor and procedure joined.
    """
    entry = Entry.objects.visible_to(request.user).with_related().filter(pk=pk).first()
    if entry is None:
        if may is not None:
            refuse(request.user, may.__name__, pk, "not visible")
        return get_object_or_404(Entry.objects.none(), pk=pk)
    if may is not None and not may(entry, request.user):
        refuse(request.user, may.__name__, pk, f"status {entry.status}")
        raise PermissionDenied
    return entry
