"""Accounts for the load test: trainees enrolled in the default program, each with one
of the supervisors, and a director. Idempotent."""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.utils import timezone  # noqa: E402

from curriculum.loader import load_curriculum  # noqa: E402
from programs.models import Enrollment, Program  # noqa: E402

PASSWORD = os.environ.get("LOAD_PASSWORD", "load-test-password-1")
TRAINEES = int(os.environ.get("LOAD_TRAINEES", "40"))
SUPERVISORS = int(os.environ.get("LOAD_SUPERVISORS", "10"))

load_curriculum()
program = Program.objects.get(slug="interventional-orthopedics")
User = get_user_model()


def account(username):
    user, created = User.objects.get_or_create(username=username, defaults={"last_name": username})
    if created:
        user.set_password(PASSWORD)
        user.save(update_fields=["password"])
    return user


supervisors = [account(f"load-supervisor-{i}") for i in range(SUPERVISORS)]
program.directors.add(account("load-director"))
for i in range(TRAINEES):
    enrollment, _ = Enrollment.objects.get_or_create(
        trainee=account(f"load-trainee-{i}"),
        program=program,
        defaults={"start_date": timezone.localdate()},
    )
    enrollment.supervisors.add(supervisors[i % SUPERVISORS])
print(f"Load accounts ready: {TRAINEES} trainees, {SUPERVISORS} supervisors, 1 director.")
