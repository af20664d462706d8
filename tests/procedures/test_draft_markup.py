"""The markup static/js/drafts.js relies on: the signed-in user's id on <body>, none on a
signed-out page, and the sign-out form marked (browser tests: tests/browser/test_draft_owner.py)."""

from django.urls import reverse


def test_a_signed_in_page_names_its_user_and_marks_the_sign_out_form(client, alice):
    client.force_login(alice)
    html = client.get(reverse("procedures:entry_create")).content.decode()
    assert f'<body data-user-id="{alice.pk}" ' in html
    assert 'action="/accounts/logout/" data-sign-out' in html
    assert "js/drafts.js" in html


def test_the_sign_in_page_names_nobody(client, db):
    html = client.get(reverse("login")).content.decode()
    assert "<body data-service-worker=" in html
    assert "data-user-id" not in html
    assert "js/drafts.js" in html
