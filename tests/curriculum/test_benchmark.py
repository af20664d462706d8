"""The benchmark at a tiny size: it builds valid data and times every row it promises."""

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import override_settings

from curriculum.benchmark import build_dataset, find_dataset, format_timings, time_pages
from procedures.models import Entry, Signature
from procedures.services import content_hash


def test_the_benchmark_builds_signed_data_and_times_every_page(db):
    # Enough entries that some are waiting for both rows timed after a sign-off each.
    data = build_dataset(trainees=3, entries=80, supervisors=2, log=None)
    assert data.entries == 240
    assert Entry.objects.filter(status=Entry.Status.SUBMITTED).count() >= 2 * 3
    signatures = Signature.objects.select_related("entry")
    assert signatures.count() == Entry.objects.filter(status=Entry.Status.SIGNED_OFF).count()
    # Signed as the app signs: every signature matches its entry's content.
    assert all(s.content_hash == content_hash(s.entry) for s in signatures)

    with override_settings(SECURE_SSL_REDIRECT=False, ALLOWED_HOSTS=["testserver"]):
        timings = time_pages(data, repeat=2)
    names = [t.name for t in timings]
    assert names[0] == "Baseline (About)"
    assert {"Cohort", "Cohort after one sign-off", "Cohort, first view of the day"} <= set(names)
    assert {"Committee", "Committee after one sign-off"} <= set(names)
    assert {"Radiation", "Radiation, first view of the day"} <= set(names)
    assert all(t.median_ms > 0 and t.queries > 0 for t in timings)
    assert "Cohort after one sign-off" in format_timings(timings)


def test_a_kept_benchmark_database_is_found_again(db):
    built = build_dataset(trainees=2, entries=10, supervisors=1, log=None)
    found = find_dataset()
    assert (found.program, found.trainee, found.supervisor, found.director, found.entries) == (
        built.program,
        built.trainee,
        built.supervisor,
        built.director,
        built.entries,
    )


@pytest.mark.parametrize("option", ["keep", "reuse"])
def test_the_benchmark_never_builds_into_or_times_the_applications_database(db, option):
    """--keep drops the database it names and --reuse signs entries off in it: naming the
    database the app runs on is refused before anything is touched."""
    before = Entry.objects.count()
    with pytest.raises(CommandError, match="the application's own database"):
        call_command("benchmark", **{option: connection.settings_dict["NAME"]})
    assert Entry.objects.count() == before
