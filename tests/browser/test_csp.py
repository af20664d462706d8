"""The Content-Security-Policy breaks nothing: no violation, no script error on any page."""

import pytest
from django.utils import timezone

from procedures.models import Entry
from tests.browser.conftest import sign_in
from tests.factories import PASSWORD, EntryFactory

pytestmark = pytest.mark.browser

PAGES = {
    "alice": [
        "/",
        "/accounts/email/",
        "/entries/",
        "/entries/new/",
        "/entries/{entry}/",
        "/progress/",
        "/progress/portfolio/",
    ],
    "bob": ["/", "/entries/sign-off/", "/trainees/", "/entries/{entry}/"],
    "diana": ["/", "/cohort/"],
    "admin": ["/admin/", "/admin/procedures/entry/", "/admin/procedures/entry/{entry}/change/"],
}


def test_no_page_violates_the_policy_or_throws(
    transactional_db, chromium, live_server, alice, bob, diana, admin
):
    entry = EntryFactory(
        trainee=alice, supervisor=bob, status=Entry.Status.SUBMITTED, submitted_at=timezone.now()
    )
    problems = []
    for user, paths in PAGES.items():
        context = chromium.new_context(base_url=live_server.url)
        context.add_init_script(
            "window.__cspViolations = 0;"
            "document.addEventListener('securitypolicyviolation', () => window.__cspViolations++);"
        )
        tab = context.new_page()
        tab.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        tab.on("pageerror", lambda e: problems.append(str(e)))
        tab.on(
            "response",
            lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 400 else None,
        )
        sign_in(tab, user, PASSWORD)
        for path in paths:
            tab.goto(path.format(entry=entry.pk))
            tab.wait_for_load_state("networkidle")
            # The browser reports each blocked resource or inline code as a console error
            # ("Refused to ...") and raises a securitypolicyviolation event.
            violations = tab.evaluate("() => window.__cspViolations || 0")
            assert violations == 0, path
        context.close()
    assert problems == []
