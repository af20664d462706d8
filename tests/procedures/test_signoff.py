"""Sign-off (DESIGN §5): the supervisor's signature, returns, bulk sign-off, corrections as
new revisions, races, emails and the Sign-off queue, each rule tried and broken.

alice is a trainee supervised by bob; charlie is another trainee, supervised by dave;
diana directs the program. Refused writes must leave the database unchanged and leave a
line in the `precept.security` log.
"""

import logging
import threading
from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.db import IntegrityError, connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from procedures import services
from procedures.models import Entry, EntryEvent, Injectate, ProcedureType, Signature
from procedures.services import EntryAlreadyDecided, content_hash, entry_return, submission_token
from programs.models import Enrollment
from tests.factories import PASSWORD, EntryFactory, UserFactory

# A sign-off is a signature: the supervisor types their password (procedures.reauth).
SIGN_OFF = {"autonomy": "4", "comment": "Good needle control.", "password": PASSWORD}
RETURN = {"comment": "Add the injectates, please."}


def url(name, entry=None):
    return reverse(f"procedures:{name}", args=[entry.pk] if entry else [])


def state(entry) -> dict:
    """The stored entry and the counts a refused request must not change."""
    return {
        "entry": Entry.objects.filter(pk=entry.pk).values().first(),
        "signatures": Signature.objects.count(),
        "events": EntryEvent.objects.count(),
        "versions": Entry.history.count(),
    }


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def submitted_entry(trainee, supervisor, **fields) -> Entry:
    fields.setdefault("submitted_at", timezone.now())
    return EntryFactory(
        trainee=trainee, supervisor=supervisor, status=Entry.Status.SUBMITTED, **fields
    )


def new_entry_data(supervisor, **overrides) -> dict:
    """A valid POST of the entry form: a caudal epidural under ultrasound."""
    data = {
        "performed_on": (timezone.localdate() - timedelta(days=1)).isoformat(),
        "procedure": ProcedureType.objects.get(slug="caudal-epidural").pk,
        "guidance": "ultrasound",
        "side": "midline",
        "purpose": "therapeutic",
        "role": "3",
        "supervisor": supervisor.pk,
        "complication": "none",
        "action": "submit",
    }
    data.update(overrides)
    return data


def correction_data(entry, **overrides) -> dict:
    """A valid POST of the edit form for `entry` that moves it from L4–L5 to L5–S1."""
    data = {
        "performed_on": entry.performed_on.isoformat(),
        "procedure": entry.procedure_id,
        "guidance": entry.guidance,
        "side": entry.side,
        "levels": "L5-S1",
        "purpose": entry.purpose,
        "role": entry.role,
        "supervisor": entry.supervisor_id,
        "fluoro_time_s": entry.fluoro_time_s,
        "dap": entry.dap,
        "complication": entry.complication,
        "action": "submit",
    }
    data.update(overrides)
    return data


@pytest.fixture
def security_log(caplog, monkeypatch):
    """The lines written to `precept.security`. That logger does not propagate (settings
    give it its own handler), so let it reach caplog's handler on the root logger."""
    monkeypatch.setattr(logging.getLogger("precept.security"), "propagate", True)
    caplog.set_level(logging.INFO, logger="precept.security")

    def lines() -> list[str]:
        return [r.getMessage() for r in caplog.records if r.name == "precept.security"]

    return lines


@pytest.fixture
def draft(alice, bob):
    return EntryFactory(trainee=alice, supervisor=bob)


@pytest.fixture
def submitted(alice, bob):
    return submitted_entry(alice, bob)


@pytest.fixture
def signed_off(alice, bob):
    """Signed off through the service, so it has its signature and events."""
    entry = submitted_entry(alice, bob)
    services.entry_sign_off(entry_id=entry.pk, supervisor=bob, autonomy=4)
    entry.refresh_from_db()
    return entry


# --- refused decisions -------------------------------------------------------------------------

# (who, on which entry, which action, the answer). A trainee and a director can read the
# entry but never decide (403); a stranger, and the supervisor on a draft, cannot even see
# it (404).
REFUSED_DECISIONS = [
    pytest.param("alice", "submitted", "entry_sign_off", 403, id="trainee-signs-her-own"),
    pytest.param("alice", "submitted", "entry_return", 403, id="trainee-returns-her-own"),
    pytest.param("dave", "submitted", "entry_sign_off", 404, id="other-supervisor-signs"),
    pytest.param("dave", "submitted", "entry_return", 404, id="other-supervisor-returns"),
    pytest.param("charlie", "submitted", "entry_sign_off", 404, id="other-trainee-signs"),
    pytest.param("bob", "draft", "entry_sign_off", 404, id="supervisor-signs-a-draft"),
    pytest.param("bob", "draft", "entry_return", 404, id="supervisor-returns-a-draft"),
    pytest.param("diana", "submitted", "entry_sign_off", 403, id="director-signs"),
]


@pytest.mark.parametrize(("who", "which", "name", "status"), REFUSED_DECISIONS)
def test_a_refused_decision_gets_its_answer_changes_nothing_and_is_logged(
    client, request, security_log, who, which, name, status
):
    entry = request.getfixturevalue(which)
    before = state(entry)
    user = request.getfixturevalue(who)
    client.force_login(user)

    response = client.post(url(name, entry), {**SIGN_OFF, **RETURN})

    assert response.status_code == status
    assert state(entry) == before
    assert any(f"entry={entry.pk} user={user.pk}" in line for line in security_log())


@pytest.mark.parametrize(
    "listed_as_his_own_supervisor", [False, True], ids=["not-enrolled", "misconfigured-enrollment"]
)
def test_a_supervisor_cannot_name_himself_supervisor_of_his_own_entry(
    client, program, bob, dave, security_log, listed_as_his_own_supervisor
):
    if listed_as_his_own_supervisor:
        # Even an enrollment that wrongly lists him among his own supervisors.
        enrollment = Enrollment.objects.create(
            trainee=bob, program=program, start_date=timezone.localdate() - timedelta(days=30)
        )
        enrollment.supervisors.add(bob, dave)
    client.force_login(bob)

    response = client.post(url("entry_create"), new_entry_data(bob))

    assert Entry.objects.count() == 0
    assert EntryEvent.objects.count() == 0
    assert any(f"user={bob.pk}" in line for line in security_log())
    if not listed_as_his_own_supervisor:
        # Not enrolled as a trainee: he has no Logbook to log in at all (issue 10 point 6).
        assert response.status_code == 403
        assert "Only trainees have a Logbook" in response.content.decode()
        return
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors["supervisor"] == [
        "Choose one of your own supervisors (you cannot supervise yourself)."
    ]
    assert bob not in form.fields["supervisor"].queryset
    assert Entry.objects.count() == 0
    assert EntryEvent.objects.count() == 0
    assert any(f"user={bob.pk}" in line for line in security_log())


def test_the_database_refuses_an_entry_supervised_by_its_trainee(bob):
    with pytest.raises(IntegrityError), transaction.atomic():
        EntryFactory(trainee=bob, supervisor=bob)

    assert Entry.objects.count() == 0


@pytest.mark.parametrize(("who", "status"), [("charlie", 404), ("dave", 404), ("bob", 403)])
def test_only_the_trainee_can_correct_a_signed_off_entry(
    client, request, signed_off, security_log, who, status
):
    before = state(signed_off)
    user = request.getfixturevalue(who)
    client.force_login(user)

    response = client.post(url("entry_edit", signed_off), correction_data(signed_off))

    assert response.status_code == status
    assert state(signed_off) == before
    assert any(f"entry={signed_off.pk} user={user.pk}" in line for line in security_log())


def test_bulk_sign_off_signs_only_what_was_submitted_to_him_and_skips_the_rest(
    client, alice, bob, charlie, dave, draft, signed_off, security_log
):
    mine = [submitted_entry(alice, bob) for _ in range(2)]
    theirs = submitted_entry(charlie, dave)
    missing = Entry.objects.order_by("-pk").first().pk + 1000
    untouched = [theirs, draft, signed_off]
    before = {entry.pk: state(entry)["entry"] for entry in untouched}
    signed_off_signatures = list(Signature.objects.filter(entry=signed_off).values())
    client.force_login(bob)

    response = client.post(
        url("signoff_bulk"),
        {
            "entries": [mine[0].pk, theirs.pk, draft.pk, signed_off.pk, missing, "abc", "²"]
            + [mine[1].pk],
            "autonomy": "4",
            "password": PASSWORD,
        },
    )

    assert response.status_code == 302
    assert response.url == url("signoff_queue")
    for entry in mine:
        entry.refresh_from_db()
        assert entry.status == Entry.Status.SIGNED_OFF
        assert entry.signatures.get().supervisor == bob
    for entry in untouched:
        assert Entry.objects.filter(pk=entry.pk).values().first() == before[entry.pk]
    assert list(Signature.objects.filter(entry=signed_off).values()) == signed_off_signatures
    assert Signature.objects.count() == 3
    assert not Entry.objects.filter(pk=missing).exists()
    success, warning = messages_of(response)
    assert success == "Signed off 2 entries."
    assert warning.startswith("Skipped 6: ")
    assert f"#{theirs.pk}: not submitted to you" in warning
    # A draft is private: skipped like a missing id, so drafts cannot be probed.
    assert f"#{draft.pk}: not submitted to you" in warning
    assert "draft" not in warning.lower()
    assert f"#{signed_off.pk}: already signed off" in warning
    assert f"#{missing}: not submitted to you" in warning
    assert "2 not an entry number" in warning
    lines = security_log()
    assert any(f"entry={theirs.pk} user={bob.pk}" in line for line in lines)
    assert any(f"entry={draft.pk} user={bob.pk}" in line for line in lines)
    assert any(f"entry={missing} user={bob.pk}" in line for line in lines)


@pytest.mark.parametrize("name", ["entry_sign_off", "entry_return", "signoff_bulk"])
def test_get_on_a_post_only_decision_gives_405(client, bob, submitted, name):
    before = state(submitted)
    client.force_login(bob)

    response = client.get(url(name, None if name == "signoff_bulk" else submitted), SIGN_OFF)

    assert response.status_code == 405
    assert state(submitted) == before


# --- signing off and returning -----------------------------------------------------------------


def test_supervisor_signs_off_with_a_rating_and_a_comment(client, alice, bob, submitted):
    client.force_login(bob)

    response = client.post(url("entry_sign_off", submitted), SIGN_OFF)

    assert response.status_code == 302
    assert response.url == url("signoff_queue")
    submitted.refresh_from_db()
    assert submitted.status == Entry.Status.SIGNED_OFF
    assert submitted.autonomy == 4
    signature = Signature.objects.get()
    assert signature.entry == submitted
    assert signature.revision == 1
    assert signature.supervisor == bob
    assert signature.signer_name == "Bob Baker"
    # A lumbar transforaminal epidural under fluoroscopy: the safety checks are signed too.
    assert signature.meaning == (
        "verified as performed by the trainee in the logged role, with the safety checks "
        "as recorded"
    )
    assert signature.autonomy == 4
    assert signature.comment == "Good needle control."
    assert signature.content_hash == services.content_hash(submitted)
    event = EntryEvent.objects.get(action=EntryEvent.Action.SIGNED_OFF)
    assert (event.entry, event.actor, event.revision) == (submitted, bob, 1)
    assert (event.from_status, event.to_status) == ("submitted", "signed_off")

    client.force_login(alice)
    page = client.get(url("entry_detail", submitted)).content.decode()
    assert "Signed off by Bob Baker on" in page
    assert "verified as performed by the trainee in the logged role" in page
    assert "Good needle control." in page


def test_sign_off_without_a_rating_shows_the_error_and_signs_nothing(client, bob, submitted):
    before = state(submitted)
    client.force_login(bob)

    response = client.post(url("entry_sign_off", submitted), {"comment": "Nearly there."})

    assert response.status_code == 200
    assert "Rate the trainee’s autonomy before signing off." in response.content.decode()
    assert "Nearly there." in response.content.decode()
    assert state(submitted) == before


def test_supervisor_returns_with_a_comment_the_trainee_reads(client, alice, bob, submitted):
    client.force_login(bob)

    response = client.post(url("entry_return", submitted), RETURN)

    assert response.status_code == 302
    submitted.refresh_from_db()
    assert submitted.status == Entry.Status.RETURNED
    assert Signature.objects.count() == 0
    event = EntryEvent.objects.get(action=EntryEvent.Action.RETURNED)
    assert (event.actor, event.comment) == (bob, "Add the injectates, please.")

    client.force_login(alice)
    page = client.get(url("entry_detail", submitted)).content.decode()
    assert "Returned by Bob Baker on" in page
    assert "Add the injectates, please." in page


def test_return_without_a_comment_shows_the_error_and_changes_nothing(client, bob, submitted):
    before = state(submitted)
    client.force_login(bob)

    response = client.post(url("entry_return", submitted), {"comment": "   "})

    assert response.status_code == 200
    assert "Say what the trainee should correct." in response.content.decode()
    assert state(submitted) == before


def test_bulk_sign_off_gives_each_entry_its_own_signature(client, alice, bob):
    entries = [submitted_entry(alice, bob) for _ in range(3)]
    client.force_login(bob)

    response = client.post(
        url("signoff_bulk"),
        {"entries": [e.pk for e in entries], "autonomy": "5", "password": PASSWORD},
    )

    assert response.status_code == 302
    assert messages_of(response) == ["Signed off 3 entries."]
    signatures = Signature.objects.order_by("entry_id")
    assert [s.entry_id for s in signatures] == [e.pk for e in entries]
    for signature, entry in zip(signatures, entries, strict=True):
        entry.refresh_from_db()
        assert entry.status == Entry.Status.SIGNED_OFF
        assert (signature.revision, signature.autonomy, signature.signer_name) == (
            1,
            5,
            "Bob Baker",
        )
        assert signature.content_hash == services.content_hash(entry)
    assert EntryEvent.objects.filter(action=EntryEvent.Action.SIGNED_OFF).count() == 3


# --- corrections -------------------------------------------------------------------------------


def test_correcting_a_signed_off_entry_makes_a_new_revision_and_keeps_the_signature(
    client, alice, bob, signed_off
):
    first = Signature.objects.get(entry=signed_off)
    first_values = Signature.objects.filter(pk=first.pk).values().get()
    assert first.content_hash == services.content_hash(signed_off)
    client.force_login(alice)

    response = client.post(url("entry_edit", signed_off), correction_data(signed_off))

    assert response.status_code == 302
    signed_off.refresh_from_db()
    assert signed_off.revision == 2
    assert signed_off.status == Entry.Status.SUBMITTED
    assert signed_off.autonomy is None
    assert signed_off.levels == "L5–S1"
    assert Signature.objects.filter(pk=first.pk).values().get() == first_values
    assert services.content_hash(signed_off) != first.content_hash
    event = EntryEvent.objects.get(action=EntryEvent.Action.CORRECTED)
    assert (event.actor, event.revision) == (alice, 2)
    assert (event.from_status, event.to_status) == ("signed_off", "submitted")
    assert not Entry.objects.filter(pk=signed_off.pk, status=Entry.Status.SIGNED_OFF).exists()

    response = client.get(url("entry_detail", signed_off))
    page = response.content.decode()
    assert {v.revision for v in response.context["versions"]} == {1, 2}
    assert "Levels: L4–L5 → L5–S1" in page
    assert "Status: Signed off → Submitted" in page
    assert "revision 2" in page

    client.force_login(bob)
    response = client.post(url("entry_sign_off", signed_off), SIGN_OFF)

    assert response.status_code == 302
    signed_off.refresh_from_db()
    assert signed_off.status == Entry.Status.SIGNED_OFF
    assert list(signed_off.signatures.values_list("revision", flat=True)) == [1, 2]
    second = signed_off.signatures.get(revision=2)
    assert second.content_hash == services.content_hash(signed_off)
    assert Signature.objects.filter(pk=first.pk).values().get() == first_values


def test_a_corrected_then_returned_entry_cannot_be_deleted(
    client, alice, bob, signed_off, security_log
):
    client.force_login(alice)
    client.post(url("entry_edit", signed_off), correction_data(signed_off))
    services.entry_return(entry_id=signed_off.pk, supervisor=bob, comment="Wrong level.")
    before = state(signed_off)
    assert before["entry"]["status"] == Entry.Status.RETURNED

    response = client.post(url("entry_delete", signed_off))

    assert response.status_code == 403
    assert state(signed_off) == before
    assert any(f"entry={signed_off.pk} user={alice.pk}" in line for line in security_log())


# --- races -------------------------------------------------------------------------------------


def test_a_second_sign_off_from_a_stale_tab_is_refused(bob, submitted):
    services.entry_sign_off(entry_id=submitted.pk, supervisor=bob, autonomy=4)

    with pytest.raises(EntryAlreadyDecided):
        services.entry_sign_off(entry_id=submitted.pk, supervisor=bob, autonomy=2)

    assert Signature.objects.filter(entry=submitted).count() == 1
    assert Signature.objects.get().autonomy == 4
    assert EntryEvent.objects.filter(action=EntryEvent.Action.SIGNED_OFF).count() == 1


def test_signing_off_twice_through_the_page_warns_and_keeps_one_signature(client, bob, submitted):
    client.force_login(bob)
    # Followed, so that the queue shows (and uses up) the first success message.
    first = client.post(url("entry_sign_off", submitted), SIGN_OFF, follow=True)
    assert "Signed off: Lumbar transforaminal epidural for Alice Adams." in first.content.decode()
    before = state(submitted)

    response = client.post(url("entry_sign_off", submitted), {**SIGN_OFF, "autonomy": "2"})

    assert response.status_code == 302
    assert response.url == url("entry_detail", submitted)
    (warning,) = messages_of(response)
    assert "already signed off" in warning
    assert state(submitted) == before
    assert Signature.objects.count() == 1


def test_a_return_after_a_sign_off_is_refused(bob, submitted):
    services.entry_sign_off(entry_id=submitted.pk, supervisor=bob, autonomy=4)

    with pytest.raises(EntryAlreadyDecided):
        services.entry_return(entry_id=submitted.pk, supervisor=bob, comment="Too late.")

    submitted.refresh_from_db()
    assert submitted.status == Entry.Status.SIGNED_OFF
    assert not EntryEvent.objects.filter(action=EntryEvent.Action.RETURNED).exists()


def test_a_sign_off_after_a_return_is_refused(bob, submitted):
    services.entry_return(entry_id=submitted.pk, supervisor=bob, comment="Wrong level.")

    with pytest.raises(EntryAlreadyDecided):
        services.entry_sign_off(entry_id=submitted.pk, supervisor=bob, autonomy=4)

    submitted.refresh_from_db()
    assert submitted.status == Entry.Status.RETURNED
    assert submitted.autonomy is None
    assert Signature.objects.count() == 0


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs concurrent connections with row locks; SQLite has one writer at a time",
)
@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_sign_offs_give_exactly_one_signature(program):
    # Built here: a transactional test starts from flushed tables (`program` reloads them).
    trainee = UserFactory(username="tess", first_name="Tess", last_name="Tran")
    supervisor = UserFactory(username="sam", first_name="Sam", last_name="Shaw")
    enrollment = Enrollment.objects.create(
        trainee=trainee, program=program, start_date=timezone.localdate() - timedelta(days=90)
    )
    enrollment.supervisors.add(supervisor)
    entry = submitted_entry(trainee, supervisor)
    barrier = threading.Barrier(2)
    outcomes = []

    def sign_off(autonomy):
        try:
            barrier.wait(timeout=10)
            services.entry_sign_off(entry_id=entry.pk, supervisor=supervisor, autonomy=autonomy)
            outcomes.append("signed")
        except EntryAlreadyDecided:
            outcomes.append("already decided")
        except Exception as exc:  # anything else is reported by the assertion below
            outcomes.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=sign_off, args=(a,)) for a in (3, 4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes) == ["already decided", "signed"]
    assert Signature.objects.filter(entry=entry).count() == 1
    assert EntryEvent.objects.filter(entry=entry, action=EntryEvent.Action.SIGNED_OFF).count() == 1
    entry.refresh_from_db()
    assert entry.status == Entry.Status.SIGNED_OFF
    assert entry.autonomy == Signature.objects.get(entry=entry).autonomy


# --- email -------------------------------------------------------------------------------------


def test_submitting_emails_the_supervisor_once_committed(
    client, alice, bob, mailoutbox, django_capture_on_commit_callbacks
):
    bob.email = "bob@example.org"
    bob.save()
    client.force_login(alice)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url("entry_create"), new_entry_data(bob))
        assert mailoutbox == []

    assert response.status_code == 302
    entry = Entry.objects.get()
    assert entry.status == Entry.Status.SUBMITTED
    (mail,) = mailoutbox
    assert mail.to == ["bob@example.org"]
    assert mail.subject == "Precept: Alice Adams submitted an entry for your sign-off"
    assert url("entry_detail", entry) in mail.body


def test_returning_emails_the_trainee_with_the_comment(
    client, alice, bob, submitted, mailoutbox, django_capture_on_commit_callbacks
):
    alice.email = "alice@example.org"
    alice.save()
    client.force_login(bob)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url("entry_return", submitted), RETURN)

    assert response.status_code == 302
    (mail,) = mailoutbox
    assert mail.to == ["alice@example.org"]
    assert mail.subject == "Precept: an entry was returned to you"
    assert "Add the injectates, please." in mail.body
    assert url("entry_detail", submitted) in mail.body


# --- the Sign-off queue ------------------------------------------------------------------------


def test_queue_lists_his_trainees_submitted_entries_oldest_first(
    client, alice, bob, charlie, dave, draft, signed_off
):
    now = timezone.now()
    middle = submitted_entry(alice, bob, submitted_at=now - timedelta(days=2))
    newest = submitted_entry(alice, bob, submitted_at=now - timedelta(hours=1))
    oldest = submitted_entry(alice, bob, submitted_at=now - timedelta(days=5))
    submitted_entry(charlie, dave, submitted_at=now - timedelta(days=9))
    client.force_login(bob)

    response = client.get(url("signoff_queue"))

    assert response.status_code == 200
    assert [e.pk for e in response.context["entries"]] == [oldest.pk, middle.pk, newest.pk]
    assert response.context["waiting_count"] == 3
    assert 'aria-label="3 waiting">3</span>' in response.content.decode()


def test_queue_filters_by_trainee(client, program, alice, bob, charlie):
    erin = UserFactory(username="erin", first_name="Erin", last_name="Evans")
    enrollment = Enrollment.objects.create(
        trainee=erin, program=program, start_date=timezone.localdate() - timedelta(days=90)
    )
    enrollment.supervisors.add(bob)
    alices = [submitted_entry(alice, bob) for _ in range(2)]
    erins = submitted_entry(erin, bob)
    client.force_login(bob)

    response = client.get(url("signoff_queue"), {"trainee": alice.pk})

    assert [e.pk for e in response.context["entries"]] == [e.pk for e in alices]
    assert response.context["chosen_trainee"] == alice
    # Someone who is not his trainee, or garbage, is ignored: the whole queue.
    for value in (charlie.pk, "abc", "²"):
        response = client.get(url("signoff_queue"), {"trainee": value})
        assert response.status_code == 200
        assert len(response.context["entries"]) == 3
    assert erins.pk in [e.pk for e in response.context["entries"]]


def _count_queries(client, target) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(target)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_queue_query_count_is_the_same_with_3_and_60_waiting(client, alice, bob):
    for _ in range(3):
        submitted_entry(alice, bob)
    client.force_login(bob)
    client.get(url("signoff_queue"))  # the trainee's entrustment computed and stored
    small = _count_queries(client, url("signoff_queue"))
    Entry.objects.bulk_create(
        [
            EntryFactory.build(
                trainee=alice,
                supervisor=bob,
                status=Entry.Status.SUBMITTED,
                submitted_at=timezone.now() - timedelta(minutes=i),
            )
            for i in range(57)
        ]
    )

    client.get(url("signoff_queue"))
    large = _count_queries(client, url("signoff_queue"))

    assert small == large
    # session, user, his trainees, the paginator's count, the page of entries with trainee
    # and procedure joined, the navigation's roles and waiting count, the safety checks
    # steroids of the transforaminal cases shown (procedures.safety), the trainees'
    # entrustment snapshots with their enrollments (curriculum.competence)
    assert large <= 9


def test_entry_page_query_count_is_the_same_with_1_and_10_versions(client, alice, bob):
    lidocaine = Injectate.objects.get(slug="lidocaine")
    bupivacaine = Injectate.objects.get(slug="bupivacaine")
    entries = []
    for _ in range(2):
        entry = EntryFactory.build(
            trainee=alice,
            supervisor=bob,
            status=Entry.Status.SUBMITTED,
            submitted_at=timezone.now(),
        )
        # One version holding its injectate (the form's save and save_m2m would make two).
        entry.save_without_historical_record()
        entry.injectates.add(lidocaine)
        entries.append(entry)
    one, many = entries
    for i in range(8):
        many.notes = f"Note number {i}."
        many.save()
    many.injectates.add(bupivacaine)
    assert (one.history.count(), many.history.count()) == (1, 10)
    client.force_login(bob)

    small = _count_queries(client, url("entry_detail", one))
    large = _count_queries(client, url("entry_detail", many))

    assert small == large
    # session, user, the entry with trainee, supervisor and procedure, its injectates,
    # its versions with their users, procedures and supervisors, the versions' injectate
    # links and those injectates, events, signatures, the navigation's roles and waiting count,
    # and whether the supervisor still supervises the trainee (the decision forms); the DOPS
    # panel (curriculum.dops): the DOPS on the entry, and the enrollment a DOPS goes to
    assert large <= 14


# --- A signature covers what the supervisor saw -----------------------------------------------


def _resubmitted_after_return(entry, alice, bob):
    """bob returns `entry`; alice changes its levels and submits it again."""
    entry_return(entry_id=entry.pk, supervisor=bob, comment="Check the level.")
    entry.refresh_from_db()
    trainee = Client()
    trainee.force_login(alice)
    assert trainee.post(url("entry_edit", entry), correction_data(entry)).status_code == 302


def test_a_sign_off_from_a_page_opened_before_a_resubmission_signs_nothing(
    client, alice, bob, submitted
):
    client.force_login(bob)
    page = client.get(url("entry_detail", submitted))
    seen = page.context["sign_off_form"]["submission"].value()
    assert seen == submission_token(submitted)
    _resubmitted_after_return(submitted, alice, bob)
    before = state(submitted)

    response = client.post(url("entry_sign_off", submitted), {**SIGN_OFF, "submission": seen})

    assert response.status_code == 302
    assert state(submitted) == before
    assert any("resubmitted" in m for m in messages_of(response))
    fresh = (
        client.get(url("entry_detail", submitted)).context["sign_off_form"]["submission"].value()
    )
    client.post(url("entry_sign_off", submitted), {**SIGN_OFF, "submission": fresh})
    assert Signature.objects.get(entry=submitted).content_hash == content_hash(
        Entry.objects.get(pk=submitted.pk)
    )


def test_sign_off_selected_skips_an_entry_resubmitted_since_the_queue_was_opened(
    client, alice, bob, submitted
):
    client.force_login(bob)
    queue = client.get(reverse("procedures:signoff_queue"))
    (value,) = [f"{e.pk}:{e.submission}" for e in queue.context["entries"] if e.pk == submitted.pk]
    _resubmitted_after_return(submitted, alice, bob)

    response = client.post(
        url("signoff_bulk"), {"entries": [value], "autonomy": "4", "password": PASSWORD}
    )

    assert not Signature.objects.filter(entry=submitted).exists()
    assert any("changed by the trainee" in m for m in messages_of(response))
