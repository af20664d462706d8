"""Sign-out after inactivity without a session write on every request."""

import time

from django.conf import settings
from django.utils.cache import add_never_cache_headers

REFRESH_EVERY = 300  # seconds: how stale the expiry may get before it is pushed back


def mark_seen(sender, request, user, **kwargs) -> None:
    """On sign-in (a session write anyway), so the first page after it writes nothing."""
    if hasattr(request, "session"):
        request.session["_seen"] = int(time.time())


class IdleTimeoutMiddleware:
    """A signed-in session expires SESSION_COOKIE_AGE seconds after the last request.

    Django only pushes the expiry back when the session is saved; saving it on every
    request (SESSION_SAVE_EVERY_REQUEST) costs a write per page. This saves it at most
    every five minutes, so the idle limit holds to within five minutes.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = getattr(request, "session", None)
        if session is not None and request.user.is_authenticated:
            now = int(time.time())
            if now - session.get("_seen", 0) > min(REFRESH_EVERY, settings.SESSION_COOKIE_AGE // 2):
                session["_seen"] = now
        return self.get_response(request)


class NoStoreWhenSignedInMiddleware:
    """Pages and exports for a signed-in user are never kept by a browser or a proxy: on a
    shared ward computer, Back after Sign out must not show someone's logbook (nor a CSV
    land in a cache). Anonymous pages (sign-in) and static files are left alone."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            add_never_cache_headers(response)
        return response
