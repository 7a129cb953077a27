"""A user's display preferences: set by the user, for the user; no version check, no audit."""

from __future__ import annotations

from django.utils.translation import gettext as _

from kartoteka.accounts.models import DENSITY_CHOICES, User
from kartoteka.core.errors import DomainError

DENSITIES = tuple(code for code, _label in DENSITY_CHOICES)


def user_set_density(*, user: User, density: str) -> None:
    """The user's list density: "compact" (32 px rows) or "comfortable" (40 px)."""
    if density not in DENSITIES:
        raise DomainError(fields={"density": [_("Choose compact or comfortable.")]})
    User.objects.filter(pk=user.pk).update(list_density=density)
    user.list_density = density
