"""Progress, My trainees, Cohort, DOPS, CSV and portfolio pages: access, content, queries."""

import csv
import io
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from curriculum.exports import neutralise
from curriculum.models import ObservedAssessment
from curriculum.progress import clear_curriculum_cache
from curriculum.radiation import program_reference
from procedures.models import Entry
from procedures.services import entry_sign_off
from programs.models import Enrollment, Program
from tests.factories import EntryFactory, UserFactory


def enrollment_of(user):
    return Enrollment.objects.get(trainee=user)


def submitted(trainee, supervisor, n=1, **fields):
    return [
        EntryFactory(
            trainee=trainee,
            supervisor=supervisor,
            status=Entry.Status.SUBMITTED,
            submitted_at=timezone.now(),
            **fields,
        )
        for _ in range(n)
    ]


def signed_off(trainee, supervisor, n=1, **fields):
    return Entry.objects.bulk_create(
        [
            EntryFactory.build(
                trainee=trainee,
                supervisor=supervisor,
                status=Entry.Status.SIGNED_OFF,
                autonomy=4,
                submitted_at=timezone.now(),
                **fields,
            )
            for _ in range(n)
        ]
    )


def queries(client, url, *, cold: bool = False) -> int:
    """Queries of one GET; `cold` also forgets the process's curriculum cache."""
    if cold:
        clear_curriculum_cache()
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


# --- Progress ---------------------------------------------------------------------------------


def test_trainee_sees_her_current_stage_and_what_is_missing(client, alice, bob):
    signed_off(alice, bob, 3)
    client.force_login(alice)
    response = client.get(reverse("curriculum:my_progress"))
    assert response.status_code == 200
    progress = response.context["progress"]
    assert progress.current_stage.stage.name == "Foundations: safety, anatomy and ultrasound"
    body = response.content.decode()
    assert "Current stage" in body
    assert "17 more lumbar transforaminal epidurals under fluoroscopy, signed off" in body
    assert "Procedures per month" in body


def test_a_trainee_without_enrollment_is_told_so(client, db):
    loner = UserFactory(username="loner")
    client.force_login(loner)
    response = client.get(reverse("curriculum:my_progress"))
    assert response.status_code == 200
    assert b"not enrolled" in response.content


@pytest.mark.parametrize(
    ("viewer", "status"),
    [("alice", 200), ("bob", 200), ("diana", 200), ("charlie", 404), ("dave", 404)],
)
def test_who_may_open_alices_progress(client, alice, bob, charlie, dave, diana, viewer, status):
    users = {"alice": alice, "bob": bob, "charlie": charlie, "dave": dave, "diana": diana}
    client.force_login(users[viewer])
    url = reverse("curriculum:trainee_progress", args=[enrollment_of(alice).pk])
    assert client.get(url).status_code == status
    for name in ("trainee_portfolio", "trainee_logbook_csv"):
        assert (
            client.get(reverse(f"curriculum:{name}", args=[enrollment_of(alice).pk])).status_code
            == status
        )


def test_a_director_of_another_program_cannot_open_alices_progress(client, alice, program):
    other = Program.objects.create(slug="other", name="Other program")
    stranger = UserFactory(username="stranger")
    other.directors.add(stranger)
    client.force_login(stranger)
    url = reverse("curriculum:trainee_progress", args=[enrollment_of(alice).pk])
    assert client.get(url).status_code == 404


def test_anonymous_is_sent_to_sign_in(client, alice):
    for url in (
        reverse("curriculum:my_progress"),
        reverse("curriculum:cohort"),
        reverse("curriculum:my_trainees"),
        reverse("curriculum:trainee_progress", args=[enrollment_of(alice).pk]),
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))


def test_progress_queries_are_the_same_with_20_and_2000_entries(client, alice, bob):
    client.force_login(alice)
    url = reverse("curriculum:my_progress")
    signed_off(alice, bob, 20)
    cold_small, warm_small = queries(client, url, cold=True), queries(client, url)
    signed_off(alice, bob, 1980)  # bulk, behind the services' back: the database notices
    cold_large, warm_large = queries(client, url, cold=True), queries(client, url)
    assert (cold_small, warm_small) == (cold_large, warm_large)
    # warm: session, user, roles, enrollment, curriculum version, snapshot, recent events,
    # recent assessments, monthly chart, the stored safety-bundle compliance
    # (curriculum.cohort_facts), the entrustment snapshot with its versions (the
    # decisions only when there are some)
    assert warm_large <= 11


def test_progress_draws_its_chart_on_the_server_with_no_chart_library(client, alice, bob):
    signed_off(alice, bob, 3)
    client.force_login(alice)
    response = client.get(reverse("curriculum:my_progress"))
    html = response.content.decode()
    assert '<svg viewBox="0 0 360 200" class="bar-chart-svg" role="img"' in html
    assert "Procedures per month by guidance, " in html
    assert html.count("<rect ") >= 1  # this month's bar, and the legend's swatch
    assert "<canvas" not in html and "chart.umd" not in html and "<script>" not in html
    assert "<caption" in html or "The numbers" in html  # the table, for screen readers
    svg = response.context["chart"]["svg"]
    assert sum(c.total for c in svg.columns) == 3
    assert len(svg.columns) == len(response.context["chart"]["rows"]) == 12
    assert svg.columns[-1].label == timezone.localdate().strftime("%b")


def test_signing_off_moves_the_bar_by_one(client, alice, bob):
    (entry,) = submitted(alice, bob)
    client.force_login(alice)
    url = reverse("curriculum:my_progress")

    def tfesi():
        progress = client.get(url).context["progress"]
        return next(
            r
            for s in progress.stages
            for r in s.requirements
            if r.requirement.key == "lumbar-tfesi"
        )

    before = tfesi()
    assert (before.done, before.pending) == (0, 1)
    entry_sign_off(entry_id=entry.pk, supervisor=bob, autonomy=4)
    after = tfesi()
    assert (after.done, after.pending) == (1, 0)


# --- My trainees --------------------------------------------------------------------------------


def test_supervisor_sees_only_his_trainees_with_what_waits_for_him(client, alice, bob, charlie):
    submitted(alice, bob, 2)
    client.force_login(bob)
    response = client.get(reverse("curriculum:my_trainees"))
    rows = response.context["rows"]
    assert [row["enrollment"].trainee for row in rows] == [alice]
    assert rows[0]["waiting"] == 2
    assert b"2 waiting for you" in response.content


# --- Cohort -------------------------------------------------------------------------------------


def test_director_sees_the_cohort_matrix_old_sign_offs_and_returned_entries(
    client, alice, bob, charlie, dave, diana
):
    old = submitted(alice, bob)[0]
    Entry.objects.filter(pk=old.pk).update(submitted_at=timezone.now() - timedelta(days=40))
    EntryFactory(trainee=charlie, supervisor=dave, status=Entry.Status.RETURNED)
    client.force_login(diana)
    response = client.get(reverse("curriculum:cohort"))
    assert response.status_code == 200
    trainees = [row["enrollment"].trainee for row in response.context["rows"]]
    assert set(trainees) == {alice, charlie}
    (overdue,) = response.context["overdue"]
    assert overdue["supervisor"] == bob
    assert overdue["n"] == 1
    assert [e["trainee"] for e in response.context["returned"]] == [charlie]
    assert len(response.context["stages"]) == 5


def test_cohort_rows_escape_names_and_show_returned_entries_with_who_and_what(
    client, alice, charlie, dave, diana
):
    """The matrix rows are made in Python, not by the template: names are still escaped;
    the returned list names the procedure, the trainee and the supervisor."""
    alice.first_name, alice.last_name = "<b>Al</b>", "O'Neil & Co"
    alice.save()
    returned = EntryFactory(trainee=charlie, supervisor=dave, status=Entry.Status.RETURNED)
    client.force_login(diana)
    html = client.get(reverse("curriculum:cohort")).content.decode()
    assert "<b>Al</b>" not in html
    assert "&lt;b&gt;Al&lt;/b&gt; O&#x27;Neil &amp; Co" in html
    enrollment = Enrollment.objects.get(trainee=alice)
    assert f'href="/trainees/{enrollment.pk}/"' in html
    assert (
        f'<a href="/entries/{returned.pk}/">{returned.procedure.name}</a> · '
        f"{charlie.display_name} · returned by {dave.display_name}"
    ) in html


def test_cohort_returned_list_escapes_names_and_says_when_in_local_time(client, alice, bob, diana):
    """The returned list's items are made in Python too (curriculum.views._returned_item):
    as the template wrote them, names escaped and the day of the return in local time."""
    alice.first_name, alice.last_name = "<i>Al</i>", "O'Neil"
    alice.save()
    returned = EntryFactory(trainee=alice, supervisor=bob, status=Entry.Status.RETURNED)
    at = datetime(2026, 5, 31, 13, 30, tzinfo=UTC)
    Entry.objects.filter(pk=returned.pk).update(updated_at=at)
    client.force_login(diana)
    with timezone.override(ZoneInfo("Pacific/Auckland")):  # 13:30 UTC is 01:30 there
        html = client.get(reverse("curriculum:cohort")).content.decode()
    assert (
        f'<li class="list-group-item small"><a href="/entries/{returned.pk}/">'
        f"{escape(returned.procedure.name)}</a> · &lt;i&gt;Al&lt;/i&gt; O&#x27;Neil"
        f" · returned by {escape(bob.display_name)} on 1 Jun</li>"
    ) in html


def test_cohort_can_be_filtered_by_supervisor(client, alice, bob, charlie, dave, diana):
    client.force_login(diana)
    response = client.get(reverse("curriculum:cohort"), {"supervisor": dave.pk})
    assert [row["enrollment"].trainee for row in response.context["rows"]] == [charlie]


@pytest.mark.parametrize("viewer", ["alice", "bob", "charlie"])
def test_only_directors_open_the_cohort(client, alice, bob, charlie, viewer):
    users = {"alice": alice, "bob": bob, "charlie": charlie}
    client.force_login(users[viewer])
    assert client.get(reverse("curriculum:cohort")).status_code == 404


def test_a_director_cannot_open_another_programs_cohort(client, diana, program):
    other = Program.objects.create(slug="other", name="Other program")
    client.force_login(diana)
    response = client.get(reverse("curriculum:cohort"), {"program": other.pk})
    assert response.status_code == 404


def _cohort_of(program, supervisor, n):
    trainees = UserFactory.create_batch(n)
    for trainee in trainees:
        enrollment = Enrollment.objects.create(
            trainee=trainee, program=program, start_date=timezone.localdate()
        )
        enrollment.supervisors.add(supervisor)
        signed_off(trainee, supervisor, 5)
        submitted(trainee, supervisor, 1)
    return trainees


def test_cohort_queries_are_the_same_with_2_and_20_trainees(client, program, bob, diana):
    client.force_login(diana)
    url = reverse("curriculum:cohort")
    _cohort_of(program, bob, 2)
    # The program's radiation medians are computed once in its life (then once a day in
    # the background): not a cost of its size.
    program_reference(program)
    cold_small, warm_small = queries(client, url, cold=True), queries(client, url)
    _cohort_of(program, bob, 18)
    cold_large, warm_large = queries(client, url, cold=True), queries(client, url)
    assert (cold_small, warm_small) == (cold_large, warm_large)
    # warm: session, user, roles, programs, supervisors, enrollments, curriculum version,
    # snapshots, stages, overdue, returned, returned count, open signature findings, the
    # last signature sweep
    # with flagged ablations and safety-bundle compliance (2 each), and radiation (issue 12): the page's stored figures, the program's medians, recent dose alerts and readings
    assert warm_large <= 22


# --- DOPS ---------------------------------------------------------------------------------------


def dops_data(**overrides):
    from procedures.models import ProcedureType

    data = {
        "observed_on": timezone.localdate().isoformat(),
        "procedure": ProcedureType.objects.get(slug="lumbar-mbb").pk,
        "guidance": "fluoroscopy",
        "rating": "4",
        "comments": "Good views.",
    }
    return {**data, **overrides}


def test_supervisor_records_a_dops_that_counts(client, alice, bob):
    client.force_login(bob)
    url = reverse("curriculum:assessment_create", args=[enrollment_of(alice).pk])
    response = client.post(url, dops_data())
    assert response.status_code == 302
    assessment = ObservedAssessment.objects.get()
    assert (assessment.trainee, assessment.assessor, assessment.rating) == (alice, bob, 4)
    client.force_login(alice)
    progress = client.get(reverse("curriculum:my_progress")).context["progress"]
    dops = next(
        r for s in progress.stages for r in s.requirements if r.requirement.key == "lumbar-mbb-dops"
    )
    assert dops.done == 1


@pytest.mark.parametrize(
    ("viewer", "status"), [("alice", 403), ("diana", 403), ("charlie", 404), ("dave", 404)]
)
def test_only_her_supervisor_records_a_dops_for_alice(
    client, alice, charlie, dave, diana, viewer, status
):
    users = {"alice": alice, "charlie": charlie, "dave": dave, "diana": diana}
    client.force_login(users[viewer])
    url = reverse("curriculum:assessment_create", args=[enrollment_of(alice).pk])
    assert client.post(url, dops_data()).status_code == status
    assert client.get(url).status_code == status
    assert not ObservedAssessment.objects.exists()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("observed_on", "2999-01-01", "cannot be in the future"),
        ("guidance", "ultrasound", "is done under"),
        ("rating", "9", "Select a valid choice"),
        ("comments", "DOB 12/03/1961", "patient identifiers"),
    ],
)
def test_bad_dops_input_is_refused_on_the_field(client, alice, bob, field, value, message):
    client.force_login(bob)
    url = reverse("curriculum:assessment_create", args=[enrollment_of(alice).pk])
    if field == "guidance":  # a knee ligament injection is ultrasound only; lumbar MBB is not
        data = dops_data(guidance="landmark")
        message = "is done under"
    else:
        data = dops_data(**{field: value})
    response = client.post(url, data)
    assert response.status_code == 200
    assert message in str(response.context["form"].errors)
    assert not ObservedAssessment.objects.exists()


# --- Exports ------------------------------------------------------------------------------------


def test_csv_neutralises_formulas_and_keeps_the_rest(client, alice, bob):
    EntryFactory(trainee=alice, notes='=HYPERLINK("http://evil")')
    EntryFactory(trainee=alice, notes="+1 level")
    EntryFactory(trainee=alice, notes="-2 and @home")
    client.force_login(alice)
    response = client.get(reverse("curriculum:my_logbook_csv"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][0] == "Date performed"
    notes = sorted(row[rows[0].index("Notes")] for row in rows[1:])
    assert notes == ["'+1 level", "'-2 and @home", '\'=HYPERLINK("http://evil")']
    assert all(row[rows[0].index("Levels")] == "L4–L5" for row in rows[1:])


@pytest.mark.parametrize(
    "cell",
    [
        '＝HYPERLINK("http://evil")',  # full-width equals
        "＋1",
        "－2",
        "＠SUM(A1)",
        "﹦1+1",  # small equals
        "\u22121+1",  # minus sign
        "\u200b=1+1",  # zero-width space first
        "\ufeff=1+1",  # byte-order mark first
        "\u200e\u200f@x",  # direction marks first
        " =1+1",  # a space first
        "\u00a0\u3000+1",  # no-break and ideographic spaces first
        "\t=1",
        "\n=1",
    ],
)
def test_csv_neutralises_formulas_behind_lookalikes_and_invisible_characters(cell):
    assert neutralise(cell) == "'" + cell


@pytest.mark.parametrize("cell", ["L4–L5", "Triamcinolone 40 mg", "100%", "", "1-2 ml", "\u200bL5"])
def test_csv_leaves_ordinary_cells_alone(cell):
    assert neutralise(cell) == cell


def test_a_supervisors_csv_has_no_drafts_and_shows_signatures(client, alice, bob):
    EntryFactory(trainee=alice)  # draft
    (entry,) = submitted(alice, bob)
    entry_sign_off(entry_id=entry.pk, supervisor=bob, autonomy=5)
    client.force_login(bob)
    response = client.get(reverse("curriculum:trainee_logbook_csv", args=[enrollment_of(alice).pk]))
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(rows) == 1
    assert rows[0]["Signed off by"] == "Bob Baker"
    assert rows[0]["Autonomy"] == "5"


def test_portfolio_lists_signed_off_entries_with_their_signatures(client, alice, bob):
    (entry,) = submitted(alice, bob)
    entry_sign_off(entry_id=entry.pk, supervisor=bob, autonomy=4)
    submitted(alice, bob)  # not signed off: not in the portfolio
    client.force_login(alice)
    response = client.get(reverse("curriculum:my_portfolio"))
    assert response.status_code == 200
    assert len(response.context["entries"]) == 1
    body = response.content.decode()
    assert "Signed off by Bob Baker on" in body
    assert "verified as performed by the trainee in the logged role" in body
    assert "Print or save as PDF" in body
