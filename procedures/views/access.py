"""The one place where a user's access to an entry, and to a Logbook, is decided for the
views."""

from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from programs.access import request_roles

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


NOT_A_TRAINEE = (
    "Only trainees have a Logbook: you are not enrolled as a trainee in a program, so "
    "there is nothing for you to log here."
)


def logbook_refusal(request: HttpRequest, *, reading: bool = False) -> HttpResponse | None:
    """None if request.user may use a Logbook: they are enrolled as a trainee (an active
    enrollment). `reading`: someone whose traineeship has ended still reads the entries
    they logged. Anyone else has no Logbook, so no drafts that could never be submitted:
    a supervisor or director who opens one is taken to their own start page with a word
    why; a POST is refused (403); someone with no role at all sees why they have none."""
    roles = request_roles(request)
    if roles["is_trainee"]:
        return None
    if reading and Entry.objects.filter(trainee=request.user).exists():
        return None
    if request.method == "POST":
        refuse(request.user, "log", None, "not enrolled as a trainee")
        return render(request, "procedures/no_logbook.html", {"message": NOT_A_TRAINEE}, status=403)
    if roles["is_supervisor"] or roles["is_director"]:
        messages.info(request, NOT_A_TRAINEE)
        return redirect("home")
    # No role at all: this page says why.
    return render(request, "procedures/no_logbook.html", {"message": NOT_A_TRAINEE})
