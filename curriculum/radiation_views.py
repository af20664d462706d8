"""The Radiation page (curriculum.radiation): the trainee's own, and a trainee's for their
supervisors and their program's director (the access of Progress: programs.access)."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from programs.access import get_enrollment
from programs.models import Enrollment

from .radiation import radiation_page


def _procedure_param(request: HttpRequest) -> int | None:
    """?procedure=<id> for the learning curve; anything else is ignored."""
    value = request.GET.get("procedure", "")
    return int(value) if value.isascii() and value.isdigit() and len(value) < 10 else None


def _render(request: HttpRequest, enrollment: Enrollment, *, own: bool) -> HttpResponse:
    page = radiation_page(enrollment, _procedure_param(request))
    return render(
        request,
        "curriculum/radiation.html",
        {
            "page": "radiation" if own else "trainees",
            "own": own,
            "enrollment": enrollment,
            "radiation": page,
        },
    )


def my_radiation(request: HttpRequest) -> HttpResponse:
    """The signed-in trainee's radiation (their first active enrollment)."""
    enrollment = (
        Enrollment.objects.filter(trainee=request.user, active=True)
        .select_related("trainee", "program")
        .order_by("start_date", "pk")
        .first()
    )
    if enrollment is None:
        return render(
            request, "curriculum/not_enrolled.html", {"page": "radiation", "title": "Radiation"}
        )
    return _render(request, enrollment, own=True)


def trainee_radiation(request: HttpRequest, pk: int) -> HttpResponse:
    """A trainee's radiation for their supervisor or their program's director."""
    enrollment = get_enrollment(request, pk)
    return _render(request, enrollment, own=enrollment.trainee_id == request.user.pk)
