"""The sign-in backend: Django's, but a session's user comes with their branch and grants."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend

from kartoteka.accounts.models import User
from kartoteka.accounts.tokens import session_user

#: the backend sessions signed in before this one existed name; they are moved over unchanged
FORMER_BACKEND = "django.contrib.auth.backends.ModelBackend"


class SignInBackend(ModelBackend):
    """Passwords are checked as Django checks them; a session's user is read in one statement
    with their branch and grants (:func:`kartoteka.accounts.tokens.session_user`)."""

    def get_user(self, user_id: Any) -> User | None:  # type: ignore[override]
        user = session_user(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None
