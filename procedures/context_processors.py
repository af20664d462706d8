"""Navigation facts for base.html, computed once per request (templates never query)."""

from curriculum.models import Enrollment

from .models import Entry


def navigation(request) -> dict:
    """`is_supervisor` and `waiting_count` (the Sign-off queue's badge): two queries for a
    signed-in user, none otherwise."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    is_supervisor = Enrollment.objects.filter(supervisors=user, active=True).exists()
    waiting = Entry.objects.awaiting(user).count() if is_supervisor else 0
    return {"is_supervisor": is_supervisor, "waiting_count": waiting}
