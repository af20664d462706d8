"""A double tap or a resent POST of the entry form saves one entry, not two."""

import threading
import uuid

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from procedures.models import Entry, ProcedureType

URL = reverse("procedures:entry_create")


def form_data(supervisor, key, **overrides):
    data = {
        "form_key": str(key),
        "performed_on": timezone.localdate().isoformat(),
        "procedure": ProcedureType.objects.get(slug="lumbar-tfesi").pk,
        "guidance": "fluoroscopy",
        "side": "right",
        "levels": "L4-L5",
        "purpose": "therapeutic",
        "role": "3",
        "supervisor": supervisor.pk,
        "complication": "none",
        "action": "submit",
    }
    return {**data, **overrides}


def test_the_form_carries_a_fresh_key_each_time(client, alice):
    client.force_login(alice)
    first = client.get(URL).context["form"]["form_key"].value()
    second = client.get(URL).context["form"]["form_key"].value()
    assert first and second and first != second


def test_posting_the_same_form_twice_saves_one_entry(client, alice, bob):
    client.force_login(alice)
    data = form_data(bob, uuid.uuid4())
    first = client.post(URL, data)
    second = client.post(URL, data)
    assert Entry.objects.filter(trainee=alice).count() == 1
    entry = Entry.objects.get(trainee=alice)
    assert first.url == second.url == entry.get_absolute_url()
    assert "already saved" in client.get(second.url).content.decode()


def test_two_forms_save_two_entries(client, alice, bob):
    client.force_login(alice)
    client.post(URL, form_data(bob, uuid.uuid4()))
    client.post(URL, form_data(bob, uuid.uuid4()))
    assert Entry.objects.filter(trainee=alice).count() == 2


def test_another_trainees_key_does_not_collide(client, alice, bob, charlie, dave):
    key = uuid.uuid4()
    client.force_login(alice)
    client.post(URL, form_data(bob, key))
    client.force_login(charlie)
    client.post(URL, form_data(dave, key))
    assert Entry.objects.filter(trainee=charlie).count() == 1


def test_a_bad_key_is_refused_on_the_form_and_nothing_is_saved(client, alice, bob):
    client.force_login(alice)
    response = client.post(URL, form_data(bob, "not-a-uuid"))
    assert response.status_code == 200
    assert "form_key" in response.context["form"].errors
    assert not Entry.objects.exists()


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs concurrent writers; SQLite serialises them (the sequential case covers it)",
)
@pytest.mark.django_db(transaction=True)
def test_a_double_tap_racing_in_two_threads_saves_one_entry(program, settings):
    from tests.factories import UserFactory

    settings.SECURE_SSL_REDIRECT = False
    trainee = UserFactory(username="tap", first_name="Tap", last_name="Twice")
    supervisor = UserFactory(username="sup", first_name="Sup", last_name="Visor")
    enrollment = program.enrollments.create(trainee=trainee, start_date=timezone.localdate())
    enrollment.supervisors.add(supervisor)
    data = form_data(supervisor, uuid.uuid4())
    barrier = threading.Barrier(2)
    answers = []

    def tap():
        client = Client()
        try:
            client.force_login(trainee)
            barrier.wait(timeout=10)
            answers.append(client.post(URL, data).status_code)
        except Exception as exc:  # reported by the assertion below
            answers.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=tap) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert answers == [302, 302]
    assert Entry.objects.filter(trainee=trainee).count() == 1
