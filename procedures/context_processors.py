"""Navigation facts for base.html, computed once per request (templates never query)."""

from programs.access import roles

from .models import Entry


def navigation(request) -> dict:
    """The user's roles and `waiting_count` (the Sign-off queue's badge): one query, two
    for a supervisor (one fewer when the view left `request.precept_roles`); none for an
    anonymous visitor."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    # A view that needed the roles already (Home) leaves them on the request.
    flags = getattr(request, "precept_roles", None) or roles(user)
    waiting = Entry.objects.awaiting(user).count() if flags["is_supervisor"] else 0
    return {**flags, "waiting_count": waiting}
