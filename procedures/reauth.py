"""A sign-off is an electronic signature: when the supervisor types their password again.

21 CFR Part 11 §11.200(a)(1)(i): the first signing of a continuous session uses both
components (user id and password); later signings of the same session need at least one.
Precept asks for the password at the first sign-off of a session and again once the
program's `signoff_password_minutes` have passed since it was last typed (0: every time);
entries of several programs signed together use the strictest window. The user id is the
signed-in account; only the password is typed.

The password is checked by `django.contrib.auth.authenticate`, so django-axes counts a
wrong one like a failed sign-in and, at its limit, locks the account out from that address
(its middleware then answers with the lockout page). When it was last typed is kept in the
session, which lives on the server: the client holds only the session's key.
"""

import time

from django.contrib.auth import authenticate
from django.http import HttpRequest

from programs.access import signoff_password_minutes

from .services import refuse

SESSION_KEY = "signoff_password_at"


def password_needed(request: HttpRequest, trainees) -> bool:
    """Whether request.user signing entries of `trainees` (ids, or a subquery of them)
    now needs their password: never typed to sign in this session, or typed as long ago
    as the strictest window of the programs involved (so always when it is 0). One query,
    none when the password was never typed."""
    typed_at = request.session.get(SESSION_KEY)
    if not isinstance(typed_at, int | float):
        return True
    elapsed = time.time() - typed_at
    minutes = signoff_password_minutes(request.user, trainees)
    return not 0 <= elapsed < minutes * 60


def confirm_password(request: HttpRequest, password: str) -> bool:
    """Whether `password` is the signed-in user's; if so the session remembers when.

    A wrong one counts towards the django-axes lockout (for this user and address) and
    is logged; while locked out even the right one is refused."""
    user = request.user
    checked = authenticate(request=request, username=user.get_username(), password=password)
    if checked is None or checked.pk != user.pk:
        refuse(user, "sign_off_password", None, "wrong password")
        return False
    request.session[SESSION_KEY] = time.time()
    return True
