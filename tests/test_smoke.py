from django.urls import reverse


def test_login_page_renders(client, db):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert b"Sign in" in response.content


def test_logbook_needs_login(client, db):
    response = client.get(reverse("procedures:entry_list"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))
