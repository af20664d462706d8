"""Shared fixtures: personas, the loaded catalogue, and test-friendly settings.

Personas (STYLE §10): `alice` is a trainee supervised by `bob`; `charlie` is another
trainee, supervised by `dave`; `diana` directs the program; `admin` is staff.
"""

import os
from datetime import timedelta

import pytest
from django.conf import settings as settings_module
from django.db import connection, connections
from django.test import override_settings
from django.utils import timezone

# Playwright's sync API runs an event loop in the test thread; without this Django
# raises SynchronousOnlyOperation even while setting up the test database.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from curriculum.loader import load_curriculum  # noqa: E402
from curriculum.progress import clear_curriculum_cache  # noqa: E402
from programs.models import Enrollment, Program  # noqa: E402
from tests.factories import UserFactory  # noqa: E402


@pytest.fixture(scope="session", autouse=True)
def _no_persistent_connections():
    """Close every connection at the end of its request. Persistent connections (the
    production setting) opened by the live server's request threads would otherwise
    outlive their threads and keep PostgreSQL from dropping the test database."""
    for alias in connections:
        connections.databases[alias]["CONN_MAX_AGE"] = 0


@pytest.fixture(scope="session", autouse=True)
def _plain_static_storage():
    """Serve static files by their plain names in tests, found by the finders, so that
    tests need no collectstatic and the live server can serve them. `make test` still
    runs collectstatic with the production (manifest) storage, which checks that it works."""
    storages = {
        **settings_module.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    with override_settings(STORAGES=storages):
        yield


@pytest.fixture(autouse=True)
def _fresh_curriculum_cache():
    """The progress and competence engines keep the curriculum per process; each test
    starts without."""
    clear_curriculum_cache()


@pytest.fixture(autouse=True)
def _test_settings(settings):
    settings.SECURE_SSL_REDIRECT = False
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Load the catalogue and default curriculum once into the test database.

    At the end, on PostgreSQL, end any session still attached to the test database so
    that it can be dropped: a connection opened in a thread that has ended (live-server
    request threads) is only closed when it is garbage-collected.
    """
    with django_db_blocker.unblock():
        load_curriculum()
    yield
    with django_db_blocker.unblock():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )


@pytest.fixture
def program(db) -> Program:
    """The default program. Reloads the catalogue if a transactional test flushed it."""
    if not Program.objects.filter(slug="interventional-orthopedics").exists():
        load_curriculum()
    return Program.objects.get(slug="interventional-orthopedics")


@pytest.fixture
def bob(db):
    return UserFactory(username="bob", first_name="Bob", last_name="Baker")


@pytest.fixture
def dave(db):
    return UserFactory(username="dave", first_name="Dave", last_name="Dunn")


@pytest.fixture
def alice(program, bob):
    user = UserFactory(username="alice", first_name="Alice", last_name="Adams")
    enrollment = Enrollment.objects.create(
        trainee=user, program=program, start_date=timezone.localdate() - timedelta(days=90)
    )
    enrollment.supervisors.add(bob)
    return user


@pytest.fixture
def charlie(program, dave):
    user = UserFactory(username="charlie", first_name="Charlie", last_name="Clark")
    enrollment = Enrollment.objects.create(
        trainee=user, program=program, start_date=timezone.localdate() - timedelta(days=90)
    )
    enrollment.supervisors.add(dave)
    return user


@pytest.fixture
def diana(program):
    user = UserFactory(username="diana", first_name="Diana", last_name="Dean")
    program.directors.add(user)
    return user


@pytest.fixture
def admin(db):
    return UserFactory(username="admin", is_staff=True, is_superuser=True)
