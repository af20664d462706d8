"""Where an entry page's "Back" link goes: to the page the reader came from (the sign-off
queue, a trainee's Progress, Cohort, ...), named by `?next=` or else by the browser's
Referer, if it is one of the pages below on this site; otherwise to the reader's own list.
Never an open redirect: anything else is ignored."""

from urllib.parse import urlsplit

from django.http import HttpRequest
from django.urls import Resolver404, resolve, reverse
from django.utils.http import url_has_allowed_host_and_scheme

from programs.access import request_roles

from ..models import Entry

# The pages an entry is opened from, and what their Back link says.
BACK_TO = {
    "procedures:entry_list": "Back to the Logbook",
    "procedures:signoff_queue": "Back to the sign-off queue",
    "curriculum:my_progress": "Back to Progress",
    "curriculum:trainee_progress": "Back to the trainee's Progress",
    "curriculum:my_portfolio": "Back to the portfolio",
    "curriculum:trainee_portfolio": "Back to the portfolio",
    "curriculum:my_trainees": "Back to My trainees",
    "curriculum:cohort": "Back to Cohort",
}
MAX_LENGTH = 2000  # a longer `next` is not one of ours


def safe_back(request: HttpRequest, candidate: str | None) -> dict | None:
    """{"url", "label"} if `candidate` is a page of this site that lists entries; None for
    anything else (another site, another scheme, a page not in BACK_TO, nonsense)."""
    if not candidate or len(candidate) > MAX_LENGTH:
        return None
    if not url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return None
    parts = urlsplit(candidate)
    try:
        match = resolve(parts.path)
    except Resolver404:
        return None
    label = BACK_TO.get(match.view_name)
    if label is None:
        return None
    # Only the path and query, on this site: whatever host the candidate named is dropped.
    return {"url": parts.path + (f"?{parts.query}" if parts.query else ""), "label": label}


def back_link(request: HttpRequest, entry: Entry) -> dict:
    """The entry page's Back link: where the reader came from, else their own list."""
    for candidate in (request.GET.get("next"), request.headers.get("referer")):
        if (found := safe_back(request, candidate)) is not None:
            return found
    if entry.trainee_id == request.user.pk:
        return {"url": reverse("procedures:entry_list"), "label": BACK_TO["procedures:entry_list"]}
    roles = request_roles(request)
    if roles["is_supervisor"]:
        name = "procedures:signoff_queue"
    elif roles["is_director"]:
        name = "curriculum:cohort"
    else:
        return {"url": reverse("home"), "label": "Back"}
    return {"url": reverse(name), "label": BACK_TO[name]}
