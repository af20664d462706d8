"""/healthz for load balancers: 200 while the database answers and is migrated, 503 with
Retry-After otherwise; public, one query, and no session or cookie (config.health)."""

from unittest import mock

import pytest
from django.db import OperationalError, connection
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.recorder import MigrationRecorder
from django.test import Client

from config.health import latest_migrations

URL = "/healthz"


def _database_down(*args, **kwargs):
    raise OperationalError("could not connect to server: Connection refused")


def _plan_is_empty() -> bool:
    """What Django's own migration check says: nothing left to apply up to the leaves."""
    executor = MigrationExecutor(connection)
    return not executor.migration_plan(executor.loader.graph.leaf_nodes())


def test_answers_ok_in_one_query_without_a_session_or_cookie(db, django_assert_num_queries):
    client = Client()
    with django_assert_num_queries(1):  # the migrations; no session is loaded or saved
        response = client.get(URL)
    assert response.status_code == 200
    assert response.content == b"ok\n"
    assert response["Content-Type"] == "text/plain"
    assert not response.cookies
    assert "no-store" in response["Cache-Control"]
    assert _plan_is_empty()


def test_a_head_request_is_answered_and_a_post_refused(db):
    client = Client()
    assert client.head(URL).status_code == 200
    assert client.post(URL).status_code == 405


def test_answers_503_with_retry_after_while_the_database_is_unreachable(db):
    client = Client(raise_request_exception=False)
    with (
        mock.patch.object(BaseDatabaseWrapper, "ensure_connection", _database_down),
        mock.patch.object(connection, "connection", None),
    ):
        response = client.get(URL)
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert response.content == b"database unavailable\n"
    assert client.get(URL).status_code == 200  # back as soon as the database is


def test_answers_503_while_a_migration_is_not_applied(db):
    app, name = latest_migrations()[0]
    MigrationRecorder(connection).record_unapplied(app, name)
    assert not _plan_is_empty()  # Django agrees that something is pending
    response = Client().get(URL)
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert response.content == b"migrations pending\n"


# Outside a test transaction, as in production (autocommit): in one, PostgreSQL would
# refuse every query after the first failed one.
@pytest.mark.django_db(transaction=True)
def test_a_database_never_migrated_is_pending_not_unavailable():
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE django_migrations RENAME TO django_migrations_away")
    try:
        response = Client().get(URL)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE django_migrations_away RENAME TO django_migrations")
    assert (response.status_code, response.content) == (503, b"migrations pending\n")


@pytest.mark.parametrize("user", ["anonymous", "alice"])
def test_is_public_and_exempt_from_the_https_redirect(client, settings, alice, user):
    # Balancers probe the app server over plain HTTP, with no login.
    settings.SECURE_SSL_REDIRECT = True
    if user == "alice":
        client.force_login(alice)
    assert client.get(URL).status_code == 200
    assert client.get("/about/").status_code == 301  # every other page still redirects
