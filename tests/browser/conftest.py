"""Real-browser fixtures: Playwright driving Debian's Chromium (no downloaded browser).

Without /usr/bin/chromium the browser tests are skipped locally; with
PRECEPT_REQUIRE_BROWSER=1 (set by .ci/run) they fail instead, so CI cannot pass while
silently skipping them.
"""

import os
import shutil
from pathlib import Path

import pytest
from django.test import override_settings

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture(scope="session")
def chromium():
    if not Path(CHROMIUM).exists():
        message = f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("PRECEPT_REQUIRE_BROWSER") == "1":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def _plain_http():
    """The live server speaks plain http. Its middleware reads these settings when the
    server starts (once a session), so they must be in place before it does."""
    with override_settings(
        SECURE_SSL_REDIRECT=False,
        SECURE_HSTS_SECONDS=0,
        SESSION_COOKIE_SECURE=False,
        CSRF_COOKIE_SECURE=False,
    ):
        yield


@pytest.fixture(scope="session")
def live_server(_plain_http, live_server):
    return live_server


@pytest.fixture
def phone(chromium, live_server):
    """A page in a phone-sized window (390 × 844, like an iPhone 14)."""
    context = chromium.new_context(viewport={"width": 390, "height": 844}, base_url=live_server.url)
    context.set_default_timeout(10_000)
    tab = context.new_page()
    yield tab
    context.close()


def sign_in(tab, username: str, password: str) -> None:
    tab.goto("/accounts/login/")
    tab.get_by_label("Username").fill(username)
    tab.get_by_label("Password").fill(password)
    tab.get_by_role("button", name="Sign in").click()
    tab.wait_for_load_state()


def fill_entry(
    tab,
    *,
    procedure: str = "Lumbar transforaminal epidural",
    guidance: str = "Fluoroscopy",
    side: str = "Right",
    levels: str = "L4-L5",
    purpose: str = "Therapeutic",
    role: str = "Performed with supervisor present",
    supervisor: str | None = "Bob Baker",
) -> None:
    """Fill the entry form's main fields as a trainee does, in the order the form asks
    (the procedure first: it decides which fields apply). `supervisor=None` leaves it."""
    tab.get_by_label("Procedure").select_option(label=procedure)
    tab.get_by_label("Guidance").select_option(label=guidance)
    tab.get_by_label("Side").select_option(label=side)
    tab.get_by_label("Levels").fill(levels)
    tab.get_by_label("Purpose").select_option(label=purpose)
    tab.get_by_label("Your role").select_option(label=role)
    if supervisor is not None:
        tab.get_by_label("Supervisor").select_option(label=supervisor)


def screenshot(tab, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    tab.screenshot(path=str(path), full_page=True)
    return path
