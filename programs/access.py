"""Who may see which enrollment, and which roles a person holds: the one place it is
decided (relations, not global flags, decide access: DESIGN §2)."""

from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Q
from django.shortcuts import get_object_or_404

from .models import Enrollment, Program


def visible_enrollments(user):
    """Enrollments `user` may read: their own, those that name them as a supervisor, and
    those in programs they direct. Staff see no more here than anyone (admin is for that)."""
    return Enrollment.objects.filter(
        Q(trainee=user) | Q(supervisors=user) | Q(program__directors=user)
    ).distinct()


def get_enrollment(request, pk: int) -> Enrollment:
    """The enrollment if request.user may read it, else 404 (missing and not-yours look
    alike). Trainee and program joined: one query."""
    return get_object_or_404(
        visible_enrollments(request.user).select_related("trainee", "program"), pk=pk
    )


def supervised_trainees(user):
    """Trainee ids of the enrollments that name `user` as a supervisor (a subquery)."""
    return Enrollment.objects.filter(supervisors=user).values("trainee")


def directed_trainees(user):
    """Trainee ids of the enrollments in programs `user` directs (a subquery)."""
    return Enrollment.objects.filter(program__directors=user).values("trainee")


def actively_supervised_trainees(user):
    """Trainee ids of the active enrollments that name `user` as a supervisor."""
    return Enrollment.objects.filter(supervisors=user, active=True).values("trainee")


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
