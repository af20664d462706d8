"""Load test: trainees log and submit entries, supervisors sign off, everyone opens
dashboards. Run by `make load` (loadtest/run.sh), against gunicorn on 127.0.0.1 only.

At the end it checks, in the database, that every entry the server acknowledged (a
redirect to the new entry's page) is there exactly once, and that every acknowledged
sign-off has its signature. A failed check makes locust exit non-zero.

Every user signs in first, and all 50 do so within the first seconds: a burst of password
checks (PBKDF2, deliberately slow) that holds both gunicorn workers, on a machine whose
two cores also run locust and PostgreSQL. Pages requested before the last user has signed
in are reported apart, named "… (during sign-ins)", so that the steady state and the
sign-in burst can each be read; nothing is left out of the report.
"""

import os
import re
import threading
import uuid
from datetime import date, timedelta

from locust import HttpUser, between, events, task

PASSWORD = os.environ.get("LOAD_PASSWORD", "load-test-password-1")
TRAINEES = int(os.environ.get("LOAD_TRAINEES", "40"))
SUPERVISORS = int(os.environ.get("LOAD_SUPERVISORS", "10"))

acknowledged_entries: dict[str, int] = {}  # form key -> entry id
acknowledged_sign_offs: set[int] = set()
_lock = threading.Lock()
_counters = {"trainee": 0, "supervisor": 0, "signed_in": 0}
_everyone_signed_in = threading.Event()

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
OPTION = re.compile(r'<option value="(\d+)"[^>]*>Lumbar transforaminal epidural</option>')
SUPERVISOR = re.compile(r'name="supervisor"[^>]*>.*?<option value="(\d+)"', re.S)
QUEUE_ITEM = re.compile(r'name="entries" value="(\d+):(\d+)"')


def page(name: str) -> str:
    """The name a request is reported under: apart while users are still signing in."""
    return name if _everyone_signed_in.is_set() else f"{name} (during sign-ins)"


def _next(kind: str) -> int:
    with _lock:
        n = _counters[kind]
        _counters[kind] += 1
        return n


class PreceptUser(HttpUser):
    abstract = True
    wait_time = between(0.5, 2)
    username = ""

    def on_start(self):
        page = self.client.get("/accounts/login/", name="sign-in")
        token = CSRF.search(page.text).group(1)
        self.client.post(
            "/accounts/login/",
            {"username": self.username, "password": PASSWORD, "csrfmiddlewaretoken": token},
            name="sign-in",
        )
        with _lock:
            _counters["signed_in"] += 1
            if _counters["signed_in"] >= self.environment.parsed_options.num_users:
                _everyone_signed_in.set()


class Trainee(PreceptUser):
    weight = 8

    def on_start(self):
        self.username = f"load-trainee-{_next('trainee') % TRAINEES}"
        super().on_start()

    @task(3)
    def logbook(self):
        self.client.get("/entries/", name=page("Logbook"))

    @task(1)
    def progress(self):
        self.client.get("/progress/", name=page("Progress"))

    @task(3)
    def log_and_submit(self):
        form = self.client.get("/entries/new/", name=page("Log a procedure"))
        procedure = OPTION.search(form.text).group(1)
        supervisor = SUPERVISOR.search(form.text).group(1)
        key = str(uuid.uuid4())
        data = {
            "csrfmiddlewaretoken": CSRF.search(form.text).group(1),
            "form_key": key,
            "performed_on": (date.today() - timedelta(days=1)).isoformat(),
            "procedure": procedure,
            "guidance": "fluoroscopy",
            "side": "right",
            "levels": "L4-L5",
            "purpose": "therapeutic",
            "role": "3",
            "supervisor": supervisor,
            "fluoro_time_s": "31.5",
            "dap": "420",
            "complication": "none",
            "action": "submit",
        }
        with self.client.post(
            "/entries/new/",
            data,
            name=page("Submit entry"),
            allow_redirects=False,
            catch_response=True,
        ) as response:
            match = re.fullmatch(r"/entries/(\d+)/", response.headers.get("Location", ""))
            if response.status_code == 302 and match:
                with _lock:
                    acknowledged_entries[key] = int(match.group(1))
                response.success()
            else:
                response.failure(f"not saved: {response.status_code}")


class Supervisor(PreceptUser):
    weight = 2

    def on_start(self):
        self.username = f"load-supervisor-{_next('supervisor') % SUPERVISORS}"
        super().on_start()

    @task(2)
    def queue_and_sign_off(self):
        queue = self.client.get("/entries/sign-off/", name=page("Sign-off queue"))
        waiting = QUEUE_ITEM.findall(queue.text)
        if not waiting:
            return
        entry_id, submission = waiting[0]
        data = {
            "csrfmiddlewaretoken": CSRF.search(queue.text).group(1),
            "autonomy": "4",
            "submission": submission,
            # A signature: asked at the session's first sign-off, then after the window.
            "password": PASSWORD,
        }
        with self.client.post(
            f"/entries/{entry_id}/sign-off/",
            data,
            name=page("Sign off"),
            allow_redirects=False,
            catch_response=True,
        ) as response:
            location = response.headers.get("Location", "")
            if response.status_code == 302 and location == "/entries/sign-off/":
                with _lock:
                    acknowledged_sign_offs.add(int(entry_id))
                response.success()
            elif response.status_code == 302:
                response.success()  # decided by another supervisor session first: fine
            else:
                response.failure(f"sign-off answered {response.status_code}")

    @task(1)
    def my_trainees(self):
        self.client.get("/trainees/", name=page("My trainees"))


class Director(PreceptUser):
    weight = 1
    fixed_count = 1

    def on_start(self):
        self.username = "load-director"
        super().on_start()

    @task
    def cohort(self):
        self.client.get("/cohort/", name=page("Cohort"))


@events.quitting.add_listener
def check_nothing_lost(environment, **kwargs):
    """Every acknowledged entry exactly once; every acknowledged sign-off signed."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    from procedures.models import Entry, Signature

    keys = list(acknowledged_entries)
    found = {}
    for start in range(0, len(keys), 500):
        for key, pk in Entry.objects.filter(form_key__in=keys[start : start + 500]).values_list(
            "form_key", "pk"
        ):
            found.setdefault(key, []).append(pk)
    lost = [k for k in keys if k not in found]
    doubled = [k for k, pks in found.items() if len(pks) != 1]
    wrong = [k for k in keys if k in found and found[k] != [acknowledged_entries[k]]]
    signed = set(
        Signature.objects.filter(entry_id__in=acknowledged_sign_offs).values_list(
            "entry_id", flat=True
        )
    )
    unsigned = acknowledged_sign_offs - signed
    print(
        f"\nExactly-once check: {len(keys)} acknowledged entries, {len(lost)} lost, "
        f"{len(doubled)} duplicated, {len(wrong)} with another id; "
        f"{len(acknowledged_sign_offs)} acknowledged sign-offs, {len(unsigned)} without signature."
    )
    if lost or doubled or wrong or unsigned:
        print("EXACTLY-ONCE CHECK FAILED")
        environment.process_exit_code = 1
    else:
        print("Exactly-once check passed.")
