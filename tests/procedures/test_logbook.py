"""The Logbook page: newest first, filters, pagination, and bounded queries."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from procedures.models import Entry, ProcedureType
from tests.factories import EntryFactory

URL = reverse("procedures:entry_list")


def test_lists_own_entries_newest_first(client, alice, charlie):
    today = timezone.localdate()
    old = EntryFactory(trainee=alice, performed_on=today - timedelta(days=10))
    new = EntryFactory(trainee=alice, performed_on=today)
    EntryFactory(trainee=charlie, notes="charlie's")
    client.force_login(alice)
    response = client.get(URL)
    assert response.status_code == 200
    assert [e.pk for e in response.context["entries"]] == [new.pk, old.pk]


def test_filters_by_status_procedure_guidance_and_dates(client, alice, bob):
    today = timezone.localdate()
    knee = ProcedureType.objects.get(slug="knee-joint")
    submitted = EntryFactory(trainee=alice, status=Entry.Status.SUBMITTED, supervisor=bob)
    draft_knee = EntryFactory(
        trainee=alice,
        procedure=knee,
        guidance="ultrasound",
        side="left",
        levels="",
        fluoro_time_s=None,
        dap=None,
        performed_on=today - timedelta(days=40),
    )
    client.force_login(alice)

    def listed(**params):
        return [e.pk for e in client.get(URL, params).context["entries"]]

    assert listed(status="submitted") == [submitted.pk]
    assert listed(procedure=knee.pk) == [draft_knee.pk]
    assert listed(guidance="ultrasound") == [draft_knee.pk]
    assert listed(performed_to=(today - timedelta(days=30)).isoformat()) == [draft_knee.pk]
    assert listed(performed_from=(today - timedelta(days=30)).isoformat()) == [submitted.pk]


@pytest.mark.parametrize(
    "params",
    [
        {"performed_from": "2026-13-45"},
        {"status": "bogus"},
        {"procedure": "abc"},
        {"page": "abc"},
        {"page": "99999"},
        {"guidance": "<script>alert(1)</script>"},
    ],
)
def test_bad_filter_values_never_give_a_500(client, alice, params):
    EntryFactory(trainee=alice)
    client.force_login(alice)
    response = client.get(URL, params)
    assert response.status_code == 200
    assert b"<script>alert(1)</script>" not in response.content


def test_paginates_25_per_page_and_keeps_filters(client, alice):
    EntryFactory.create_batch(30, trainee=alice)
    client.force_login(alice)
    first = client.get(URL, {"status": "draft"})
    assert len(first.context["entries"]) == 25
    assert b"status=draft&amp;page=2" in first.content
    second = client.get(URL, {"status": "draft", "page": 2})
    assert len(second.context["entries"]) == 5


def _count_queries(client, params=None) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(URL, params or {})
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("params", [{}, {"status": "draft", "guidance": "fluoroscopy"}])
def test_query_count_is_the_same_with_10_and_500_entries(client, alice, params):
    client.force_login(alice)
    EntryFactory.create_batch(10, trainee=alice)
    small = _count_queries(client, params)
    Entry.objects.bulk_create(
        [
            EntryFactory.build(trainee=alice, performed_on=timezone.localdate() - timedelta(days=i))
            for i in range(490)
        ]
    )
    assert Entry.objects.filter(trainee=alice).count() == 500
    large = _count_queries(client, params)
    assert small == large
    # session, user, the navigation's "is a supervisor?", count, page of entries with
    # procedure and supervisor joined, the filter form's procedure choices
    assert large <= 6
