"""Navigation facts for base.html, computed once per request (templates never query)."""

from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef

from curriculum.models import Enrollment, Program

from .models import Entry


def roles(user) -> dict:
    """{"is_trainee", "is_supervisor", "is_director"} for `user`, in one query."""
    flags = (
        get_user_model()
        .objects.filter(pk=user.pk)
        .annotate(
            is_trainee=Exists(Enrollment.objects.filter(trainee=OuterRef("pk"), active=True)),
            is_supervisor=Exists(
                Enrollment.objects.filter(supervisors=OuterRef("pk"), active=True)
            ),
            is_director=Exists(Program.objects.filter(directors=OuterRef("pk"))),
        )
        .values("is_trainee", "is_supervisor", "is_director")
        .first()
    )
    return flags or {"is_trainee": False, "is_supervisor": False, "is_director": False}


def navigation(request) -> dict:
    """The user's roles and `waiting_count` (the Sign-off queue's badge): one query, two
    for a supervisor; none for an anonymous visitor."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    flags = roles(user)
    waiting = Entry.objects.awaiting(user).count() if flags["is_supervisor"] else 0
    return {**flags, "waiting_count": waiting}
