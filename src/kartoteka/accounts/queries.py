"""Reads about people and access, scoped to the asking user."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from kartoteka.accounts.models import ApiToken, Branch, Role, RoleGrant, Team, User
from kartoteka.core import access
from kartoteka.core.errors import NotFoundError
from kartoteka.core.prefetch import prefetch


def users(viewer: User, action: str = "view") -> QuerySet[User]:
    return (
        access.scoped(User.objects.all(), viewer, action)
        .select_related("branch")
        .prefetch_related("roles", "teams")
        .order_by("last_name", "first_name", "username")
    )


def user(viewer: User, pk: int, action: str = "view") -> User:
    return access.one_or_404(users(viewer, action), pk=pk)


def myself(viewer: User) -> User:
    """The signed-in user's own record: always theirs to read, whatever their role grants.

    The request read the user from the database already (its token or session): their roles
    and teams are added to that object rather than reading the user a second time.
    """
    prefetch([viewer], "roles", "teams")
    return viewer


def roles() -> QuerySet[Role]:
    # Roles and branches are reference data every signed-in user may read (pickers, cards).
    return Role.objects.prefetch_related(
        Prefetch("grants", queryset=RoleGrant.objects.order_by("entity", "action"))
    )


def role(pk: int) -> Role:
    found = roles().filter(pk=pk).first()
    if found is None:
        raise NotFoundError()
    return found


def branches() -> QuerySet[Branch]:
    return Branch.objects.prefetch_related(
        Prefetch("teams", queryset=Team.objects.prefetch_related("members"))
    )


def tokens_of(owner: User) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=owner)
