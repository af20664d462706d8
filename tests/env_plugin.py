"""Loaded by pytest before Django (pyproject: `-p tests.env_plugin`).

Tests run with DEBUG off, as production does: a developer's `.env` (DJANGO_DEBUG=1, written
by `make run`) must not turn them into development runs, and the settings let real
environment variables win over `.env`. With DEBUG off the settings refuse to start without
a secret key and host names, as production must; the test run gets values of its own
unless the environment has them.
"""

import os

os.environ.setdefault("DJANGO_DEBUG", "0")
# Email tasks run at once, in the request, so a test sees the mail it caused; the tests of
# the queue itself switch to the database backend.
os.environ.setdefault("PRECEPT_TASKS_BACKEND", "immediate")

os.environ.setdefault("DJANGO_SECRET_KEY", "tests-only-not-a-secret-" + "x" * 40)
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
