"""Who may see which enrollment: the one place the curriculum views decide it."""

from django.db.models import Q
from django.shortcuts import get_object_or_404

from .models import Enrollment


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
