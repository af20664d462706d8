"""Every main page fits a 360 px phone (issue 10 point 6): no horizontal scroll of the page
itself (wide tables scroll inside their own box), and a button's words sit in its middle.
Screenshots at 360 px go to test-artifacts/."""

from datetime import timedelta

import pytest
from django.utils import timezone

from procedures.models import Entry, ProcedureType
from programs.models import Enrollment
from tests.browser.conftest import ARTIFACTS, screenshot, sign_in
from tests.curriculum.test_cohort_scale import enroll
from tests.factories import PASSWORD, EntryFactory, UserFactory, waiting_entries

pytestmark = pytest.mark.browser

WIDTH = 360

OVERFLOW = """() => ({
  page: document.documentElement.scrollWidth,
  window: window.innerWidth,
  wide: [...document.querySelectorAll("body *")]
    .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1
                   && !e.closest(".table-responsive"))
    .slice(0, 5)
    .map((e) => e.tagName + "." + e.className),
})"""

# For each visible .btn: how far the middle of its words is from the middle of the button.
OFF_CENTRE = """() => [...document.querySelectorAll("main .btn")]
  .filter((b) => b.offsetParent !== null && b.innerText.trim())
  .map((b) => {
    const range = document.createRange();
    range.selectNodeContents(b);
    const words = range.getBoundingClientRect(), box = b.getBoundingClientRect();
    return {
      text: b.innerText.trim(),
      off: Math.abs((words.top + words.bottom) / 2 - (box.top + box.bottom) / 2),
    };
  })"""


@pytest.fixture
def tab(chromium, live_server):
    context = chromium.new_context(
        viewport={"width": WIDTH, "height": 780}, base_url=live_server.url
    )
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def assert_fits(tab, name: str) -> None:
    tab.wait_for_load_state("load")
    screenshot(tab, f"{name}-{WIDTH}")
    tab.screenshot(path=str(ARTIFACTS / f"{name}-{WIDTH}-top.png"))  # what a phone shows first
    found = tab.evaluate(OVERFLOW)
    assert found["page"] <= found["window"], f"{name} is wider than {WIDTH} px: {found}"
    for button in tab.evaluate(OFF_CENTRE):
        assert button["off"] <= 2, f"{name}: the words of {button['text']!r} are off-centre"


@pytest.fixture
def record(alice, bob):
    """Alice's year: signed off (spine under fluoroscopy, joints under ultrasound, with
    their long names, sites and signatures), waiting and returned entries."""
    today = timezone.localdate()
    joints = [ProcedureType.objects.get(slug=s) for s in ("glenohumeral-joint", "hip-labrum")]
    for i in range(20):
        if i % 2:
            fields = {"procedure": joints[i % 4 // 2], "guidance": "ultrasound", "side": "left"}
            fields.update(levels="", fluoro_time_s=None, dap=None)
        else:
            fields = {}  # the factory's lumbar TFESI under fluoroscopy
        EntryFactory(
            trainee=alice,
            supervisor=bob,
            status=Entry.Status.SIGNED_OFF,
            autonomy=4,
            performed_on=today - timedelta(days=15 * i),
            submitted_at=timezone.now(),
            **fields,
        )
    waiting_entries(alice, bob, 5)
    EntryFactory(trainee=alice, supervisor=bob, status=Entry.Status.RETURNED)
    return alice


def test_the_entry_form_fits(transactional_db, tab, alice, bob):
    sign_in(tab, "alice", PASSWORD)
    tab.goto("/entries/new/")
    assert_fits(tab, "entry-form")


def test_progress_fits(transactional_db, tab, record):
    sign_in(tab, "alice", PASSWORD)
    tab.goto("/progress/")
    assert_fits(tab, "progress")


def test_the_portfolio_fits(transactional_db, tab, record):
    sign_in(tab, "alice", PASSWORD)
    tab.goto("/progress/portfolio/")
    assert tab.get_by_role("region", name="Signed-off procedures").is_visible()
    assert_fits(tab, "portfolio")


def test_the_queue_fits(transactional_db, tab, record, bob):
    sign_in(tab, "bob", PASSWORD)
    tab.goto("/entries/sign-off/")
    assert_fits(tab, "queue")


def test_cohort_fits_with_long_names(transactional_db, tab, program, bob, diana, record):
    trainees = enroll(program, bob, 12)
    for i, trainee in enumerate(trainees):
        trainee.first_name = "Maximiliana-Alexandrina"
        trainee.last_name = f"Vanderbilt-Montgomery-Featherstonehaugh {i}"
        trainee.save()
    long_named = UserFactory(username="long", first_name="Bartholomew", last_name="O" * 40)
    Enrollment.objects.create(trainee=long_named, program=program, start_date=timezone.localdate())
    sign_in(tab, "diana", PASSWORD)
    tab.goto("/cohort/?sort=-overall")
    assert_fits(tab, "cohort")


def test_an_entry_page_fits_and_goes_back_to_the_queue(transactional_db, tab, alice, bob):
    (entry,) = waiting_entries(alice, bob, 1)
    sign_in(tab, "bob", PASSWORD)
    tab.goto("/entries/sign-off/")
    tab.locator(f'a[href="/entries/{entry.pk}/"]').first.click()
    tab.wait_for_url(f"**/entries/{entry.pk}/")
    assert_fits(tab, "entry-page")
    tab.get_by_role("link", name="Back to the sign-off queue").click()
    tab.wait_for_url("**/entries/sign-off/")
