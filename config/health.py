"""/healthz, for load balancers and monitors: may this app server take requests?

Yes (200, "ok") when the database answers and has every migration this code has; else 503
with Retry-After, so a balancer sends traffic elsewhere while the database is down or while
a new release waits for `migrate`. Public (a balancer has no login), it shows no data, stores
no session and sets no cookie. Balancers ask every few seconds, so it costs one small query
(a failing answer is still logged by Django, as every 5xx is).
"""

import functools
import operator

from django.contrib.auth.decorators import login_not_required
from django.db import DatabaseError, connection
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

RETRY_AFTER_SECONDS = 30


@functools.cache
def latest_migrations() -> tuple[tuple[str, str], ...]:
    """The last migration of each app (the migration graph's leaves), read from this
    code's migration files once per process: the files do not change under it. Reading
    them is most of what MigrationExecutor's plan costs on every call."""
    return tuple(sorted(MigrationLoader(None, ignore_no_migrations=True).graph.leaf_nodes()))


def migrations_applied() -> bool:
    """Whether the database has every migration of this code, in one query.

    `migrate` applies an app's migrations in order, so the last of each app being recorded
    means all are: the same answer as an empty MigrationExecutor plan for the graph's
    leaves (tests/test_health.py checks both). Raises DatabaseError if the database is
    unavailable."""
    latest = latest_migrations()
    wanted = functools.reduce(operator.or_, (Q(app=app, name=name) for app, name in latest))
    try:
        recorded = MigrationRecorder.Migration.objects.filter(wanted).count()
    except DatabaseError:
        # A database that was never migrated has no table to ask: pending, not unavailable.
        if MigrationRecorder(connection).has_table():
            raise
        return False
    return recorded == len(latest)


def _unavailable(reason: str) -> HttpResponse:
    response = HttpResponse(f"{reason}\n", content_type="text/plain", status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


@login_not_required
@require_safe
@never_cache
def healthz(request: HttpRequest) -> HttpResponse:
    try:
        applied = migrations_applied()
    except DatabaseError:
        return _unavailable("database unavailable")
    if not applied:
        return _unavailable("migrations pending")
    return HttpResponse("ok\n", content_type="text/plain")
