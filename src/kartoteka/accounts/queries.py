"""Reads about people and access, scoped to the asking user."""

from __future__ import annotations

import functools
import json
from typing import Any

from django.db import connection
from django.db.models import Prefetch, QuerySet

from kartoteka.accounts.models import ApiToken, Branch, Role, RoleGrant, Team, User
from kartoteka.core import access, me
from kartoteka.core.errors import NotFoundError


def users(viewer: User, action: str = "view") -> QuerySet[User]:
    return (
        access.scoped(User.objects.all(), viewer, action)
        .select_related("branch")
        .prefetch_related("roles", "teams")
        .order_by("last_name", "first_name", "username")
    )


def user(viewer: User, pk: int, action: str = "view") -> User:
    return access.one_or_404(users(viewer, action), pk=pk)


def myself(viewer: User) -> dict[str, Any]:
    """The signed-in user's own record beyond the user row the request already read: their
    role and team ids (``role_ids``, ``team_ids``, also set on ``viewer`` for the serializer)
    and every value other apps add (:mod:`kartoteka.core.me`), read in one statement.

    Always theirs to read, whatever their role grants.
    """
    with connection.cursor() as cursor:
        cursor.execute(_own_record_sql(), [viewer.pk])
        names = [column[0] for column in cursor.description]
        read = dict(zip(names, cursor.fetchone() or (), strict=False))
    viewer.role_ids = sorted(json.loads(read.pop("role_ids") or "[]"))  # type: ignore[attr-defined]
    viewer.team_ids = sorted(json.loads(read.pop("team_ids") or "[]"))  # type: ignore[attr-defined]
    return read


def _own_record_sql() -> str:
    return _own_record_sql_for(connection.vendor, tuple(me.columns().items()))


@functools.cache
def _own_record_sql_for(vendor: str, extra: tuple[tuple[str, str], ...]) -> str:
    quote = connection.ops.quote_name
    ids = "json_agg({})::text" if vendor == "postgresql" else "json_group_array({})"

    def linked(through: Any, column: str) -> str:
        return (
            f"(SELECT {ids.format(quote(column))} FROM {quote(through._meta.db_table)}"  # noqa: S608
            f" WHERE {quote('user_id')} = u.id)"
        )

    columns = [
        f"{linked(User.roles.through, 'role_id')} AS role_ids",
        f"{linked(User.teams.through, 'team_id')} AS team_ids",
        *(f"{sql} AS {quote(name)}" for name, sql in extra),
    ]
    return f"SELECT {', '.join(columns)} FROM {quote(User._meta.db_table)} u WHERE u.id = %s"  # noqa: S608


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
