"""Navigation facts for base.html, computed once per request (templates never query)."""

from programs.access import request_roles

from .models import Entry


def navigation(request) -> dict:
    """The user's roles and `waiting_count` (the Sign-off queue's badge): one query, two
    for a supervisor; none for an anonymous visitor."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    flags = request_roles(request)
    waiting = Entry.objects.awaiting(user).count() if flags["is_supervisor"] else 0
    return {**flags, "waiting_count": waiting}
