"""Signed-in pages and exports say `Cache-Control: no-store` (DESIGN §5, issue 9)."""

import pytest
from django.urls import reverse

from programs.models import Enrollment


@pytest.mark.parametrize(
    "name", ["procedures:entry_list", "curriculum:my_progress", "curriculum:my_logbook_csv"]
)
def test_signed_in_pages_and_exports_are_never_stored(client, alice, name):
    client.force_login(alice)
    response = client.get(reverse(name))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]


def test_a_supervisors_export_of_a_trainee_is_never_stored(client, alice, bob):
    client.force_login(bob)
    enrollment = Enrollment.objects.get(trainee=alice)
    response = client.get(reverse("curriculum:trainee_logbook_csv", args=[enrollment.pk]))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
