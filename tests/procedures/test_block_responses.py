"""Recording a diagnostic block's response (issue 11, point 1): the page, its checks in
words that name the field, the diary after sign-off with its own history, the series link,
and the entry form's ablation field."""

from decimal import Decimal

import pytest
from django.urls import reverse

from procedures.forms import EntryForm
from procedures.models import BlockResponse, Entry, Injectate
from procedures.services import CONTENT_FIELDS, LATER_CONTENT_FIELDS, content_hash
from procedures.signatures import verify_signature
from tests.factories import EntryFactory, entry_post

from .blocks_builders import LONG, ablation, block, respond, sign


def url(entry):
    return reverse("procedures:entry_block", args=[entry.pk])


def post(client, entry, **fields):
    data = {"scale": "nrs", **{k: str(v) for k, v in fields.items()}}
    return client.post(url(entry), data)


@pytest.fixture
def alices(client, alice):
    client.force_login(alice)
    return client


def test_the_trainee_records_the_score_before_the_diary_and_the_agent(alices, alice, bob):
    entry = block(alice, bob)
    lidocaine = Injectate.objects.get(slug="lidocaine")
    response = post(
        alices,
        entry,
        before=8,
        at_30=1,
        at_60=2,
        at_240=8,
        agent=lidocaine.pk,
        agent_volume_ml="0.5",
        disability_scale="odi",
        disability_score=42,
    )

    assert response.status_code == 302
    stored = BlockResponse.objects.get(entry=entry)
    assert (stored.before, stored.diary) == (8, [[30, 1], [60, 2], [240, 8]])
    assert (stored.agent, stored.agent_volume_ml) == (lidocaine, Decimal("0.5"))
    assert (stored.disability_scale, stored.disability_score, stored.updated_by) == (
        "odi",
        42,
        alice,
    )
    page = alices.get(entry.get_absolute_url()).content.decode()
    assert "Peak relief 88%" in page  # (8 − 1) / 8, computed, never typed
    assert "reached at 30 min after the block" in page


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"before": 11}, "before", "Pain before must be a whole number from 0 to 10 (NRS)"),
        ({"before": 8, "at_60": 12}, "at_60", "Pain at 1 h must be a whole number from 0 to 10"),
        ({"before": "eight"}, "before", "Pain before the block must be a whole number"),
        ({"at_30": 2}, "before", "Enter the pain before the block"),
        ({"before": 8, "agent_volume_ml": 12}, "agent_volume_ml", "between 0 and 10 ml"),
        ({"disability_score": 40}, "disability_scale", "Choose the disability scale"),
        ({"disability_scale": "odi", "disability_score": 140}, "disability_score", "0 to 100"),
        ({"follows": 999999}, "follows", "Choose one of your own diagnostic blocks"),
    ],
)
def test_bad_input_is_refused_on_its_field_and_kept(alices, alice, bob, fields, field, words):
    entry = block(alice, bob)
    response = post(alices, entry, **fields)

    assert response.status_code == 200
    form = response.context["form"]
    assert words in " ".join(form.errors[field])
    page = response.content.decode()
    assert all(f'value="{v}"' in page for k, v in fields.items() if k != "follows")
    assert not BlockResponse.objects.exists()


def test_a_vas_takes_scores_up_to_100(alices, alice, bob):
    entry = block(alice, bob)
    assert post(alices, entry, scale="vas", before=70, at_30=10).status_code == 302
    assert BlockResponse.objects.get().diary == [[30, 10]]


def test_the_diary_is_completed_after_sign_off_without_touching_the_signature(alices, alice, bob):
    entry = sign(block(alice, bob), bob)
    signed = content_hash(entry)
    assert post(alices, entry, before=8, at_30=1).status_code == 302
    assert post(alices, entry, before=8, at_30=1, at_60=1, at_120=5).status_code == 302

    entry.refresh_from_db()
    assert entry.status == Entry.Status.SIGNED_OFF and content_hash(entry) == signed
    assert verify_signature(entry).verified
    stored = BlockResponse.objects.get(entry=entry)
    assert stored.diary == [[30, 1], [60, 1], [120, 5]]
    # Its own history: who changed the diary, and when.
    assert [h.diary for h in stored.history.order_by("history_date")] == [
        [[30, 1]],
        [[30, 1], [60, 1], [120, 5]],
    ]
    assert {h.history_user for h in stored.history.all()} == {alice}
    page = alices.get(entry.get_absolute_url()).content.decode()
    assert "Every change of this response (2)" in page
    assert "diary 30 min: 1, 60 min: 1, 120 min: 5" in page


def test_the_series_is_proposed_and_linked(alices, alice, bob):
    first = block(alice, bob, days_ago=10)
    second = block(alice, bob)
    page = alices.get(url(second))
    assert page.context["form"].initial["follows"] == first.pk
    assert "Proposed:" in page.content.decode()

    post(alices, second, before=8, at_30=1, follows=first.pk)
    assert BlockResponse.objects.get(entry=second).follows == first
    # The first block's page shows it is the first of a series; its own form has no link.
    assert (
        "Block series:</strong> first block; the second is"
        in alices.get(first.get_absolute_url()).content.decode()
    )
    assert "follows" not in alices.get(url(first)).context["form"].fields


def test_the_entry_page_proposes_the_series_before_it_is_linked(alices, alice, bob):
    block(alice, bob, days_ago=3)
    second = block(alice, bob)
    assert "looks like the second block of a series" in (
        alices.get(second.get_absolute_url()).content.decode()
    )


def test_another_trainees_block_cannot_be_named_as_the_first(alices, alice, bob, charlie, dave):
    theirs = block(charlie, dave, days_ago=2)
    response = post(alices, block(alice, bob), before=8, follows=theirs.pk)
    assert "follows" in response.context["form"].errors


def test_the_supervisor_reads_the_response_but_cannot_change_it(client, alice, bob):
    entry = block(alice, bob)
    respond(entry, LONG, agent="bupivacaine")
    client.force_login(bob)
    page = client.get(entry.get_absolute_url()).content.decode()
    assert "Peak relief" in page and "Record the block response" not in page
    assert client.post(url(entry), {"scale": "nrs", "before": "2"}).status_code == 403
    assert BlockResponse.objects.get().before == 8


def test_a_therapeutic_entry_has_no_block_response(alices, alice, bob):
    entry = EntryFactory(trainee=alice, supervisor=bob)
    assert alices.get(url(entry)).status_code == 403
    assert "Block response" not in alices.get(entry.get_absolute_url()).content.decode()


def test_the_entry_page_of_a_block_costs_the_same_queries_with_a_long_logbook(
    alices, alice, bob, django_assert_num_queries, django_assert_max_num_queries
):
    first = block(alice, bob, days_ago=5)
    respond(first, LONG)
    entry = block(alice, bob)
    respond(entry, LONG, agent="bupivacaine", follows=first)
    with django_assert_max_num_queries(100) as small:
        alices.get(entry.get_absolute_url())
    for days in range(30):
        other = block(alice, bob, days_ago=days + 1, side="left")
        respond(other, LONG)
    with django_assert_num_queries(len(small.captured_queries)):
        alices.get(entry.get_absolute_url())
    with django_assert_max_num_queries(100) as form_small:
        alices.get(url(entry))
    for days in range(30):
        block(alice, bob, days_ago=days + 1)
    with django_assert_num_queries(len(form_small.captured_queries)):
        alices.get(url(entry))


# --- the entry form: an ablation names its block -------------------------------------------------


def test_an_ablation_names_the_block_it_rests_on(alices, alice, bob):
    single = block(alice, bob, days_ago=20)
    response = alices.post(
        reverse("procedures:entry_create"), entry_post(bob, "lumbar-rfa", rests_on=single.pk)
    )
    assert response.status_code == 302
    assert Entry.objects.get(procedure__slug="lumbar-rfa").rests_on == single


def test_only_an_ablation_rests_on_a_block(alices, alice, bob):
    single = block(alice, bob, days_ago=20)
    response = alices.post(
        reverse("procedures:entry_create"),
        entry_post(bob, "lumbar-tfesi", rests_on=single.pk),
    )
    assert "Only an ablation rests on a diagnostic block" in response.content.decode()


def test_an_ablation_cannot_rest_on_a_later_block_or_another_trainees(
    alices, alice, bob, charlie, dave
):
    later = block(alice, bob, days_ago=0)
    response = alices.post(
        reverse("procedures:entry_create"),
        entry_post(bob, "lumbar-rfa", rests_on=later.pk, performed_on="2026-11-01"),
    )
    assert "must be from before the ablation" in response.content.decode()
    theirs = block(charlie, dave, days_ago=20)
    response = alices.post(
        reverse("procedures:entry_create"), entry_post(bob, "lumbar-rfa", rests_on=theirs.pk)
    )
    assert "latest diagnostic blocks, from the last 180 days" in response.content.decode()


def test_the_signature_covers_what_the_ablation_rests_on(alice, bob):
    entry = ablation(alice, bob)
    before = content_hash(entry)
    entry.rests_on = block(alice, bob, days_ago=3)
    assert content_hash(entry) != before


def test_the_signature_covers_every_field_of_the_entry_form():
    covered = {name.removesuffix("_id") for name in CONTENT_FIELDS + LATER_CONTENT_FIELDS}
    assert set(EntryForm.Meta.fields) - {"injectates"} <= covered


# --- the record's evidence holds (review of issue 11) -------------------------------------------


def test_deleting_a_block_an_ablation_rests_on_says_why_and_deletes_nothing(alices, alice, bob):
    single = block(alice, bob, days_ago=3, status=Entry.Status.RETURNED)
    ablation(alice, bob, rests_on=single, status=Entry.Status.DRAFT)
    response = alices.post(reverse("procedures:entry_delete", args=[single.pk]), follow=True)
    assert "another of your entries rests on this one" in response.content.decode()
    assert Entry.objects.filter(pk=single.pk).exists()


def test_a_draft_is_never_evidence(alices, alice, bob):
    draft = block(alice, bob, days_ago=3, status=Entry.Status.DRAFT)
    response = alices.post(
        reverse("procedures:entry_create"), entry_post(bob, "lumbar-rfa", rests_on=draft.pk)
    )
    assert "rests_on" in response.context["form"].errors
    response = post(alices, block(alice, bob), before=8, follows=draft.pk)
    assert "follows" in response.context["form"].errors


def test_a_series_joins_blocks_of_the_same_levels_and_side_only(alices, alice, bob):
    other_levels = block(alice, bob, days_ago=3, levels="L2, L3")
    other_side = block(alice, bob, days_ago=3, side="left")
    second = block(alice, bob)
    for first in (other_levels, other_side):
        response = post(alices, second, before=8, follows=first.pk)
        assert "follows" in response.context["form"].errors


def test_an_ablation_rests_on_a_block_of_its_own_region(alices, alice, bob):
    neck = block(alice, bob, days_ago=20, procedure="cervical-mbb", levels="C3, C4")
    response = alices.post(
        reverse("procedures:entry_create"), entry_post(bob, "lumbar-rfa", rests_on=neck.pk)
    )
    assert "That block is of the cervical spine" in response.content.decode()


def test_a_signed_blocks_series_is_fixed_and_the_ablations_flag_is_signed(alices, alice, bob):
    single = sign(block(alice, bob, days_ago=20), bob)
    respond(single, [[30, 1]], agent="bupivacaine")
    signed = sign(ablation(alice, bob, rests_on=single), bob)
    assert signed.signatures.get().meaning.endswith(
        "teaching flag when signed: after a single diagnostic block"
    )
    later_first = block(alice, bob, days_ago=25)
    respond(later_first, [[30, 1]])
    # The signed block's link cannot be set afterwards to turn it into a series.
    response = post(alices, single, before=8, at_30=1, follows=later_first.pk)
    assert response.status_code == 302
    assert BlockResponse.objects.get(entry=single).follows is None


def test_the_forms_lists_of_blocks_come_without_a_query_of_their_own(
    alices, alice, bob, django_assert_max_num_queries
):
    shown = block(alice, bob, days_ago=5)
    draft = block(alice, bob, days_ago=4, status=Entry.Status.DRAFT)
    old = block(alice, bob, days_ago=200)
    page = alices.get(reverse("procedures:entry_create")).content.decode()
    options = page[
        page.index('id="id_rests_on"') : page.index("</select>", page.index('id="id_rests_on"'))
    ]
    assert f'value="{shown.pk}"' in options
    assert f'value="{draft.pk}"' not in options and f'value="{old.pk}"' not in options
    assert "Right L4, L5 · " in options
    # Editing an ablation that rests on an older block keeps that block in the list.
    entry = ablation(alice, bob, rests_on=old, status=Entry.Status.DRAFT)
    page = alices.get(reverse("procedures:entry_edit", args=[entry.pk])).content.decode()
    assert f'<option value="{old.pk}" selected>' in page
    with django_assert_max_num_queries(100) as few:
        alices.get(reverse("procedures:entry_create"))
    for days in range(40):
        block(alice, bob, days_ago=days % 150 + 1, side="left")
    with django_assert_max_num_queries(len(few.captured_queries)):
        alices.get(reverse("procedures:entry_create"))


def test_the_admin_keeps_a_block_an_ablation_rests_on(admin, alice, bob):
    from django.contrib import admin as django_admin
    from django.test import RequestFactory

    single = block(alice, bob, days_ago=3, status=Entry.Status.RETURNED)
    ablation(alice, bob, rests_on=single, status=Entry.Status.DRAFT)
    said = []
    # A model admin of its own: the site's registered one is shared by every test.
    model_admin = type(django_admin.site._registry[Entry])(Entry, django_admin.site)
    model_admin.message_user = lambda request, text, level: said.append(text)
    request = RequestFactory().post("/")
    request.user = admin
    model_admin.delete_model(request, single)
    model_admin.delete_queryset(request, Entry.objects.filter(pk=single.pk))
    assert Entry.objects.filter(pk=single.pk).exists()
    assert said == [
        f"Entry #{single.pk} was not deleted: another entry rests on it.",
        f"Not deleted (another entry rests on it): #{single.pk}.",
    ]
