from django.urls import path

from .views import blocks, entries, signoff

app_name = "procedures"

urlpatterns = [
    path("", entries.entry_list, name="entry_list"),
    path("new/", entries.entry_create, name="entry_create"),
    path("<id:pk>/", entries.entry_detail, name="entry_detail"),
    path("<id:pk>/edit/", entries.entry_edit, name="entry_edit"),
    path("<id:pk>/submit/", entries.entry_submit_view, name="entry_submit"),
    path("<id:pk>/delete/", entries.entry_delete, name="entry_delete"),
    path("<id:pk>/block/", blocks.entry_block, name="entry_block"),
    path("<id:pk>/sign-off/", signoff.entry_sign_off_view, name="entry_sign_off"),
    path("<id:pk>/return/", signoff.entry_return_view, name="entry_return"),
    path("sign-off/", signoff.signoff_queue, name="signoff_queue"),
    path("sign-off/selected/", signoff.signoff_bulk, name="signoff_bulk"),
]
