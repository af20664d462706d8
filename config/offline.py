"""The service worker, served from the site's root so that it may control every page.

The worker itself is static/js/sw.js (what it does, and why it is hand-written, is at its
top); it is served from here rather than /static/ because a worker controls only the paths
under its own address, and with the address of the outbox script it imports filled in
(static files have hashed names in production).
"""

from functools import cache

from django.contrib.auth.decorators import login_not_required
from django.contrib.staticfiles import finders
from django.http import HttpResponse
from django.templatetags.static import static
from django.views.decorators.http import require_GET


@cache
def _worker_source() -> str:
    with open(finders.find("js/sw.js"), encoding="utf-8") as source:
        return source.read().replace("__OUTBOX_DB_URL__", static("js/outbox_db.js"))


@login_not_required
@require_GET
def service_worker(request):
    response = HttpResponse(_worker_source(), content_type="text/javascript; charset=utf-8")
    # Browsers check for a new worker on every visit; a deploy reaches them at once.
    response["Cache-Control"] = "no-cache"
    return response
