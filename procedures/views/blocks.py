"""A diagnostic block's response: the pain before, the diary after, the series."""

from django.contrib import messages
from django.db import IntegrityError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from ..block_form import BlockResponseForm
from ..models import BlockResponse, Entry
from ..services import record_block_response
from .access import get_entry


def entry_block(request: HttpRequest, pk: int) -> HttpResponse:
    """Record or complete the block response of one of the trainee's diagnostic blocks,
    in any status (the diary is not signed: it comes in after the procedure)."""
    entry = get_entry(request, pk, may=Entry.can_record_block)
    response = BlockResponse.objects.filter(entry=entry).first() or BlockResponse(entry=entry)
    if request.method == "POST":
        form = BlockResponseForm(request.POST, instance=response, entry=entry)
        if form.is_valid():
            try:
                record_block_response(form=form, entry=entry, by=request.user)
            except IntegrityError:
                # Another block named the same first block meanwhile (one series each).
                form.add_error(
                    "follows",
                    "That block is already the first of another series: choose another, or none.",
                )
            else:
                messages.success(request, "Block response saved.")
                return redirect(entry)
    else:
        form = BlockResponseForm(instance=response, entry=entry)
    return render(
        request,
        "procedures/block_form.html",
        {"page": "logbook", "entry": entry, "form": form},
    )
