"""The Radiation page (curriculum.radiation, curriculum.dosimetry): the trainee's own, and
a trainee's for their supervisors and their program's director (the access of Progress:
programs.access); and the form for a dosimeter reading, the trainee's own or, for one of
their trainees, the director's."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from programs.access import get_enrollment
from programs.models import Enrollment

from .dosimetry import dosimetry_of, record_reading
from .forms import DoseReadingForm
from .radiation import radiation_page

NOT_ENROLLED = {"page": "radiation", "title": "Radiation"}


def _procedure_param(request: HttpRequest) -> int | None:
    """?procedure=<id> for the learning curve; anything else is ignored."""
    value = request.GET.get("procedure", "")
    return int(value) if value.isascii() and value.isdigit() and len(value) < 10 else None


def _own_enrollment(request: HttpRequest) -> Enrollment | None:
    return Enrollment.objects.current(request.user).select_related("trainee", "program").first()


def _may_record(request: HttpRequest, enrollment: Enrollment) -> bool:
    """The trainee records their own readings; their program's director may too."""
    return (
        enrollment.trainee_id == request.user.pk
        or enrollment.program.directors.filter(pk=request.user.pk).exists()
    )


def _page_url(enrollment: Enrollment, own: bool) -> str:
    if own:
        return reverse("curriculum:my_radiation")
    return reverse("curriculum:trainee_radiation", args=[enrollment.pk])


def _render(request: HttpRequest, enrollment: Enrollment, *, own: bool) -> HttpResponse:
    may_record = _may_record(request, enrollment)
    return render(
        request,
        "curriculum/radiation.html",
        {
            "page": "radiation" if own else "trainees",
            "own": own,
            "enrollment": enrollment,
            "radiation": radiation_page(enrollment, _procedure_param(request)),
            "dosimetry": dosimetry_of(enrollment),
            "record_url": (
                reverse("curriculum:my_dose_reading")
                if own
                else reverse("curriculum:trainee_dose_reading", args=[enrollment.pk])
            )
            if may_record
            else "",
        },
    )


def my_radiation(request: HttpRequest) -> HttpResponse:
    """The signed-in trainee's radiation (their first active enrollment)."""
    enrollment = _own_enrollment(request)
    if enrollment is None:
        return render(request, "curriculum/not_enrolled.html", NOT_ENROLLED)
    return _render(request, enrollment, own=True)


def trainee_radiation(request: HttpRequest, pk: int) -> HttpResponse:
    """A trainee's radiation for their supervisor or their program's director."""
    enrollment = get_enrollment(request, pk)
    return _render(request, enrollment, own=enrollment.trainee_id == request.user.pk)


def _reading_form(request: HttpRequest, enrollment: Enrollment, *, own: bool) -> HttpResponse:
    person = enrollment.trainee
    form = DoseReadingForm(request.POST or None, person=person)
    if request.method == "POST" and form.is_valid():
        record_reading(person=person, by=request.user, **form.cleaned_data)
        messages.success(request, "Reading recorded.")
        return redirect(_page_url(enrollment, own) + "#dosimetry")
    return render(
        request,
        "curriculum/dose_reading_form.html",
        {
            "page": "radiation" if own else "trainees",
            "own": own,
            "enrollment": enrollment,
            "form": form,
            "back": _page_url(enrollment, own),
        },
    )


def my_dose_reading(request: HttpRequest) -> HttpResponse:
    """Record one of the signed-in trainee's own dosimeter readings."""
    enrollment = _own_enrollment(request)
    if enrollment is None:
        return render(request, "curriculum/not_enrolled.html", NOT_ENROLLED)
    return _reading_form(request, enrollment, own=True)


def trainee_dose_reading(request: HttpRequest, pk: int) -> HttpResponse:
    """Record a dosimeter reading of a trainee: the trainee, or their program's director
    (a supervisor reads the page, and records nothing here)."""
    enrollment = get_enrollment(request, pk)
    if not _may_record(request, enrollment):
        raise PermissionDenied
    return _reading_form(request, enrollment, own=enrollment.trainee_id == request.user.pk)
