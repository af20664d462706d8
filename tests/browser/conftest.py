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
    """A page in a phone-sized window (390 × 844, like an iPhone 14).

    Reduced motion: Bootstrap scrolls smoothly otherwise, and a tap that Playwright aims
    while the page still glides into place (after typing into a field further up) lands
    its press and its release on different elements, so nothing is clicked."""
    context = chromium.new_context(
        viewport={"width": 390, "height": 844},
        base_url=live_server.url,
        reduced_motion="reduce",
    )
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


def choose(tab, group: str, label: str) -> None:
    """Tap the button `label` in the entry form's row of buttons `group` (Guidance, Side,
    Approach, Purpose, Your role, Injectates), as a finger does: on its label."""
    tab.get_by_role("group", name=group).get_by_text(label, exact=True).click()


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
    tab.get_by_role("combobox", name="Procedure").select_option(label=procedure)
    choose(tab, "Guidance", guidance)
    choose(tab, "Side", side)
    tab.get_by_label("Levels", exact=True).fill(levels)
    choose(tab, "Purpose", purpose)
    choose(tab, "Your role", role)
    if supervisor is not None:
        tab.get_by_role("combobox", name="Supervisor").select_option(label=supervisor)


def screenshot(tab, name: str) -> Path:
    """A full-page PNG in test-artifacts/. Chromium grows the viewport to the page for it
    and leaves the scroll position stale after: the next tap would jump the page between
    press and release. So the position is put back as it was."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    scrolled = tab.evaluate("[window.scrollX, window.scrollY]")
    tab.screenshot(path=str(path), full_page=True)
    tab.evaluate("([x, y]) => { window.scrollTo(x, y + 1); window.scrollTo(x, y); }", scrolled)
    return path
