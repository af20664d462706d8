from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from .models import User
from .retention import KeepRecordsAdmin


@admin.register(User)
class PreceptUserAdmin(KeepRecordsAdmin, UserAdmin):
    """Users whom a record names are deactivated, never deleted (`accounts.retention`)."""

    search_fields = ["username", "first_name", "last_name", "email"]
    fieldsets = [
        *UserAdmin.fieldsets,
        (
            "E-mail",
            {
                "fields": [
                    "supervisor_mail",
                    "weekly_digest",
                    "daily_digest_sent_on",
                    "weekly_digest_sent_on",
                ]
            },
        ),
    ]
    # Shown, not edited: each user chooses their own on E-mail settings, and the digest
    # commands record when they sent.
    readonly_fields = [
        "supervisor_mail",
        "weekly_digest",
        "daily_digest_sent_on",
        "weekly_digest_sent_on",
    ]
