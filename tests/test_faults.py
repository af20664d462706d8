"""Faults: the database going away, an error in the middle of a bulk sign-off, and a
backup restored into an empty database."""

import io
import json
import os
import subprocess
import uuid
from unittest import mock

import pytest
from django.core.management import call_command
from django.db import OperationalError, connection
from django.db.backends.base.base import BaseDatabaseWrapper
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from procedures import services
from procedures.models import Entry, EntryEvent, MonthlyCount, Signature
from tests.factories import EntryFactory


def _database_down(*args, **kwargs):
    raise OperationalError("could not connect to server: Connection refused")


def test_pages_answer_a_plain_503_while_the_database_is_unreachable_and_recover(alice, bob):
    client = Client(raise_request_exception=False)
    client.force_login(alice)
    url = reverse("procedures:entry_list")
    with (
        mock.patch.object(BaseDatabaseWrapper, "ensure_connection", _database_down),
        mock.patch.object(connection, "connection", None),
    ):
        response = client.get(url)
        posted = client.post(reverse("procedures:entry_create"), {"notes": "typed"})
    for answer in (response, posted):
        assert answer.status_code == 503
        assert answer["Retry-After"] == "30"
        body = answer.content.decode()
        assert "briefly unavailable" in body
        assert "Traceback" not in body and "OperationalError" not in body
    assert client.get(url).status_code == 200  # back as soon as the database is


def test_other_errors_answer_a_plain_500(alice):
    client = Client(raise_request_exception=False)
    client.force_login(alice)
    with mock.patch("procedures.views.entries.logbook_rows", side_effect=RuntimeError("boom")):
        response = client.get(reverse("procedures:entry_list"))
    assert response.status_code == 500
    assert b"Something went wrong" in response.content
    assert b"boom" not in response.content


def test_an_error_in_the_middle_of_a_bulk_sign_off_leaves_no_half_signature(alice, bob):
    entries = [
        EntryFactory(
            trainee=alice,
            supervisor=bob,
            status=Entry.Status.SUBMITTED,
            submitted_at=timezone.now(),
        )
        for _ in range(3)
    ]
    real_record = services._record
    calls = {"n": 0}

    def failing_record(entry, actor, action, *args, **kwargs):
        if action == EntryEvent.Action.SIGNED_OFF:
            calls["n"] += 1
            if calls["n"] == 2:  # the second entry fails after its Signature row was written
                raise OperationalError("server closed the connection unexpectedly")
        return real_record(entry, actor, action, *args, **kwargs)

    with mock.patch.object(services, "_record", failing_record), pytest.raises(OperationalError):
        services.entries_sign_off(
            entry_ids={e.pk: None for e in entries}, supervisor=bob, autonomy=4
        )
    first, second, third = (Entry.objects.get(pk=e.pk) for e in entries)
    assert first.status == Entry.Status.SIGNED_OFF
    assert Signature.objects.filter(entry=first).count() == 1
    # The failed one is exactly as before: no signature, no event, still waiting.
    assert second.status == Entry.Status.SUBMITTED and second.autonomy is None
    assert not Signature.objects.filter(entry=second).exists()
    assert not EntryEvent.objects.filter(entry=second, action=EntryEvent.Action.SIGNED_OFF).exists()
    assert third.status == Entry.Status.SUBMITTED


# --- Backups ------------------------------------------------------------------------------------


def _make_history(alice, bob):
    """Entries through the real services: created, submitted, signed off, corrected."""
    entry = EntryFactory(trainee=alice, supervisor=bob)
    services.entry_submit(entry=entry, by=alice)
    services.entry_sign_off(entry_id=entry.pk, supervisor=bob, autonomy=4, comment="Fine.")
    other = EntryFactory(trainee=alice, supervisor=bob, levels="L5–S1")
    services.entry_submit(entry=other, by=alice)
    services.entry_return(entry_id=other.pk, supervisor=bob, comment="Add the injectates.")


def _snapshot() -> dict:
    return {
        "entries": sorted(
            Entry.objects.values_list("pk", "status", "levels", "revision", "autonomy")
        ),
        "signatures": sorted(
            Signature.objects.values_list("entry_id", "revision", "signer_name", "content_hash")
        ),
        "events": sorted(EntryEvent.objects.values_list("entry_id", "action", "comment")),
        "history": sorted(Entry.history.values_list("id", "history_type", "status", "levels")),
        "monthly counts": sorted(
            MonthlyCount.objects.filter(n__gt=0).values_list("trainee_id", "month", "guidance", "n")
        ),
    }


@pytest.mark.django_db(transaction=True)
def test_a_dumpdata_backup_restores_every_entry_signature_and_history_record(alice, bob):
    _make_history(alice, bob)
    before = _snapshot()
    assert before["signatures"] and before["history"] and before["events"]
    backup = io.StringIO()
    call_command(
        "dumpdata",
        "--natural-foreign",
        "--exclude=contenttypes",
        "--exclude=auth.permission",
        "--exclude=sessions",
        stdout=backup,
    )
    call_command("flush", "--no-input", verbosity=0)
    assert not Entry.objects.exists()
    path = f"/tmp/precept-backup-{uuid.uuid4().hex}.json"
    with open(path, "w") as handle:
        handle.write(backup.getvalue())
    try:
        call_command("loaddata", path, verbosity=0)
    finally:
        os.remove(path)
    assert _snapshot() == before
    assert json.loads(backup.getvalue())  # a real, readable JSON backup


@pytest.mark.skipif(connection.vendor != "postgresql", reason="pg_dump backs up PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_a_pg_dump_backup_restores_into_an_empty_database(alice, bob, tmp_path):
    _make_history(alice, bob)
    before = _snapshot()
    params = connection.get_connection_params()
    env = {**os.environ, "PGPASSWORD": params.get("password") or ""}
    common = ["-h", params.get("host") or "127.0.0.1", "-p", str(params.get("port") or 5432)]
    user = ["-U", params["user"]]
    dump = tmp_path / "precept.dump"
    subprocess.run(
        ["pg_dump", *common, *user, "--format=custom", f"--file={dump}", params["dbname"]],
        check=True,
        env=env,
        capture_output=True,
    )
    restored = f"{params['dbname']}_restore"
    subprocess.run(["dropdb", *common, *user, "--if-exists", restored], check=True, env=env)
    subprocess.run(["createdb", *common, *user, restored], check=True, env=env)
    try:
        subprocess.run(
            ["pg_restore", *common, *user, "--no-owner", f"--dbname={restored}", str(dump)],
            check=True,
            env=env,
            capture_output=True,
        )
        import psycopg2

        with (
            psycopg2.connect(
                dbname=restored,
                user=params["user"],
                password=params.get("password"),
                host=params.get("host"),
                port=params.get("port"),
            ) as restored_connection,
            restored_connection.cursor() as cursor,
        ):
            cursor.execute("SELECT id, status, levels, revision, autonomy FROM procedures_entry")
            assert sorted(cursor.fetchall()) == before["entries"]
            cursor.execute(
                "SELECT entry_id, revision, signer_name, content_hash FROM procedures_signature"
            )
            assert sorted(cursor.fetchall()) == before["signatures"]
            cursor.execute("SELECT count(*) FROM procedures_historicalentry")
            assert cursor.fetchone()[0] == len(before["history"])
            cursor.execute("SELECT count(*) FROM procedures_entryevent")
            assert cursor.fetchone()[0] == len(before["events"])
        restored_connection.close()
    finally:
        subprocess.run(["dropdb", *common, *user, "--if-exists", restored], env=env)
