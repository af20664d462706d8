"""Light on a phone (issue 10 point 7): a cold load of each main page transfers at most
100 KB (HTML, CSS, JS, fonts and images together, as compressed on the wire).

Each page is opened in a fresh browser context (an empty cache), signed in by a cookie
copied from another context, with a realistic amount of data behind it. Static files come
from a live server that serves them as production does: WhiteNoise, from the files
`collectstatic` wrote to STATIC_ROOT with their brotli and gzip copies (the ordinary test
live server serves them uncompressed from the finders). Chromium sends its usual
Accept-Encoding, so the bytes counted are the bytes a phone would download. The figures
are printed (pytest -s) for the notes.
"""

from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.test import override_settings
from django.utils import timezone
from pytest_django.live_server_helper import LiveServer

from curriculum.models import ObservedAssessment
from procedures.models import Entry, Modality, ProcedureType
from tests.browser.conftest import screenshot, sign_in
from tests.curriculum.test_cohort_scale import enroll
from tests.factories import PASSWORD, EntryFactory, waiting_entries

pytestmark = pytest.mark.browser

BUDGET = 100 * 1024  # bytes over the wire, per page, cold


@pytest.fixture(scope="module")
def production_static_server(_plain_http, django_db_blocker):
    """A second live server whose static files go through the app's WhiteNoise middleware
    (as in production) instead of Django's uncompressed test handler."""
    css = Path(settings.STATIC_ROOT) / "vendor" / "bootstrap" / "css" / "bootstrap.min.css.br"
    if not css.exists():
        pytest.fail(
            f"{css} is missing: run collectstatic first (see the README); this test "
            "measures the compressed files that production serves."
        )
    # MEDIA_URL set while the server starts: left empty, Django's test media handler
    # claims every path and serves whatever file the working directory has under it.
    with django_db_blocker.unblock(), override_settings(MEDIA_URL="/media/"):
        server = LiveServer("localhost", start=False)
        server.thread.static_handler = lambda application: application  # WhiteNoise serves
        server._live_server_modified_settings.enable()
        server.start()
    yield server
    server.stop()
    server._live_server_modified_settings.disable()


def cold_load(chromium, server, username: str, path: str, name: str) -> dict:
    """Sign in in one context; open `path` in another with only its cookies (nothing
    cached) at 390 px; return what each response cost over the network."""
    signing_in = chromium.new_context(base_url=server.url)
    tab = signing_in.new_page()
    sign_in(tab, username, PASSWORD)
    state = signing_in.storage_state()
    signing_in.close()

    context = chromium.new_context(
        viewport={"width": 390, "height": 844}, base_url=server.url, storage_state=state
    )
    context.set_default_timeout(10_000)
    tab = context.new_page()
    finished = []
    tab.on("requestfinished", lambda request: finished.append(request))
    response = tab.goto(path)
    assert response.status == 200, f"{path}: {response.status}"
    tab.wait_for_load_state("networkidle")
    costs = {}
    for request in finished:
        sizes = request.sizes()
        headers = request.response().all_headers() if request.response() else {}
        label = request.url.removeprefix(server.url)
        costs[label] = {
            "bytes": sizes["responseBodySize"] + sizes["responseHeadersSize"],
            "encoding": headers.get("content-encoding", "-"),
        }
    screenshot(tab, f"weight-{name}-390")
    context.close()
    return costs


def report(name: str, costs: dict) -> int:
    total = sum(c["bytes"] for c in costs.values())
    print(f"\n{name}: {total / 1024:.1f} KB over the wire, cold ({len(costs)} responses)")
    for url, cost in sorted(costs.items(), key=lambda item: -item[1]["bytes"]):
        print(f"  {cost['bytes'] / 1024:7.1f} KB  {cost['encoding']:<5} {url}")
    return total


def assert_light(name: str, costs: dict) -> None:
    total = report(name, costs)
    static = {url: c for url, c in costs.items() if url.startswith(settings.STATIC_URL)}
    assert static, f"{name}: no static files loaded?"
    page = next(c for url, c in costs.items() if not url.startswith(settings.STATIC_URL))
    assert page["encoding"] == "gzip", f"{name}'s HTML went uncompressed"
    for url, cost in static.items():
        if url.endswith((".css", ".js", ".svg")):
            assert cost["encoding"] in {"br", "gzip"}, f"{url} went uncompressed"
    assert total <= BUDGET, f"{name} costs {total / 1024:.1f} KB cold, over 100 KB"


@pytest.fixture
def busy_alice(alice, bob):
    """A trainee a year into the fellowship: a few hundred entries over twelve months
    in every guidance, a few DOPS, and some entries still waiting."""
    today = timezone.localdate()
    guidances = [m.value for m in Modality]
    Entry.objects.bulk_create(
        [
            EntryFactory.build(
                trainee=alice,
                supervisor=bob,
                status=Entry.Status.SIGNED_OFF,
                autonomy=4,
                guidance=guidances[i % len(guidances)],
                **({} if i % len(guidances) == 0 else {"fluoro_time_s": None, "dap": None}),
                performed_on=today - timedelta(days=i),
                submitted_at=timezone.now() - timedelta(days=i),
            )
            for i in range(360)
        ]
    )
    waiting_entries(alice, bob, 12)
    procedure = ProcedureType.objects.get(slug="lumbar-tfesi")
    for days in range(5):
        ObservedAssessment.objects.create(
            trainee=alice,
            assessor=bob,
            procedure=procedure,
            guidance="fluoroscopy",
            observed_on=today - timedelta(days=30 * days),
            rating=4,
        )
    return alice


def test_the_entry_form_is_light(transactional_db, chromium, production_static_server, alice):
    costs = cold_load(chromium, production_static_server, "alice", "/entries/new/", "entry-form")
    assert_light("Entry form", costs)


def test_progress_is_light(transactional_db, chromium, production_static_server, busy_alice):
    costs = cold_load(chromium, production_static_server, "alice", "/progress/", "progress")
    assert_light("Progress", costs)


def test_the_signoff_queue_is_light(
    transactional_db, chromium, production_static_server, program, bob, alice
):
    # A full page of the queue (50), from several trainees.
    for trainee in [alice, *enroll(program, bob, 4, prefix="q")]:
        waiting_entries(trainee, bob, 15)
    costs = cold_load(chromium, production_static_server, "bob", "/entries/sign-off/", "queue")
    assert_light("Sign-off queue", costs)


def test_the_cohort_is_light(
    transactional_db, chromium, production_static_server, program, bob, dave, diana
):
    # A full page of trainees (50 of 120) and a backlog to report.
    trainees = enroll(program, bob, 80) + enroll(program, dave, 40, prefix="u")
    for trainee in trainees[:10]:
        waiting_entries(trainee, bob, 3, days_ago=45)
    costs = cold_load(chromium, production_static_server, "diana", "/cohort/", "cohort")
    assert_light("Cohort", costs)
