"""Error pages that never touch the database (it may be the thing that failed)."""

import logging
import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string

logger = logging.getLogger("precept.errors")


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500. Called inside Django's `except` block, so the exception is at hand: a
    lost database connection answers a plain 503 (try again shortly), anything else a
    plain 500. Neither shows a traceback; both render without a request context, so no
    context processor queries the database."""
    exc = sys.exc_info()[1]
    if isinstance(exc, OperationalError | InterfaceError):
        logger.error("database unavailable: %s", exc)
        html = render_to_string("503.html")
        response = HttpResponse(html, status=503)
        response["Retry-After"] = "30"
        return response
    return HttpResponse(render_to_string("500.html"), status=500)
