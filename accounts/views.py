"""E-mail settings: the signed-in user changes their own e-mail preferences."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from .forms import EmailSettingsForm


def email_settings(request: HttpRequest) -> HttpResponse:
    """Always request.user's own preferences: the URL names nobody, and the form has no
    field that could (a posted `user` or `pk` is ignored)."""
    if request.method == "POST":
        form = EmailSettingsForm(request.POST, instance=request.user)
        if form.is_valid():
            user = form.save(commit=False)
            user.save(update_fields=["supervisor_mail", "weekly_digest"])
            messages.success(request, "E-mail settings saved.")
            return redirect("email_settings")
        messages.error(request, "Nothing was saved: choose an option for each question below.")
    else:
        form = EmailSettingsForm(instance=request.user)
    return render(request, "accounts/email_settings.html", {"page": "email", "form": form})
