"""Django admin: every model's list (with its filters and search) and add form render."""

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.urls import reverse

from tests.factories import PASSWORD, EntryFactory


@pytest.fixture
def admin_client_with_data(client, admin, alice, bob, diana):
    EntryFactory(trainee=alice)
    Group.objects.create(name="Coordinators")
    # A failed and a successful sign-in, so django-axes' logs have rows.
    client.post(reverse("login"), {"username": "bob", "password": "wrong"})
    client.post(reverse("login"), {"username": "alice", "password": PASSWORD})
    client.logout()
    client.force_login(admin)
    return client


@pytest.mark.parametrize(
    "model", list(admin.site._registry), ids=lambda m: f"{m._meta.app_label}.{m.__name__}"
)
def test_admin_changelist_search_and_add_render(admin_client_with_data, model):
    opts = model._meta
    changelist = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    assert admin_client_with_data.get(changelist).status_code == 200
    assert admin_client_with_data.get(changelist, {"q": "lumbar"}).status_code == 200
    add = reverse(f"admin:{opts.app_label}_{opts.model_name}_add")
    # django-axes' logs are read-only in the admin: no add page.
    read_only = opts.app_label == "axes"
    assert admin_client_with_data.get(add).status_code == (403 if read_only else 200)


def test_non_staff_cannot_open_the_admin(client, alice):
    client.force_login(alice)
    response = client.get(reverse("admin:procedures_entry_changelist"))
    assert response.status_code == 302
    assert "/admin/login/" in response.url


@pytest.mark.parametrize(
    "model", list(admin.site._registry), ids=lambda m: f"{m._meta.app_label}.{m.__name__}"
)
def test_admin_change_page_renders(admin_client_with_data, model):
    obj = model._default_manager.order_by("pk").first()
    assert obj is not None
    opts = model._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
    assert admin_client_with_data.get(url).status_code == 200
