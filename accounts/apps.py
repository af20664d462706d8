from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from .middleware import mark_seen
        from .models import User
        from .retention import keep_users_with_records

        user_logged_in.connect(mark_seen, dispatch_uid="precept_mark_seen")
        keep_users_with_records(User)
