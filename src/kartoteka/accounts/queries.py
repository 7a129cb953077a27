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
    and every value other apps add (:mod:`kartoteka.core.me`).

    A token's sign-in read them already (:func:`kartoteka.accounts.tokens.
    token_authenticate`); otherwise one statement reads them. Always theirs to read, whatever
    their role grants.
    """
    read = viewer.__dict__.pop(OWN_RECORD, None)
    if read is None:
        with connection.cursor() as cursor:
            cursor.execute(_own_record_sql(), [viewer.pk])
            names = [column[0] for column in cursor.description]
            read = dict(zip(names, cursor.fetchone() or (), strict=False))
    viewer.role_ids = sorted(json.loads(read.pop("role_ids") or "[]"))  # type: ignore[attr-defined]
    viewer.team_ids = sorted(json.loads(read.pop("team_ids") or "[]"))  # type: ignore[attr-defined]
    return dict(read)


#: where a sign-in that read the own record with the user leaves it (``myself`` takes it)
OWN_RECORD = "_own_record"


def own_record_columns(prefix: str = "") -> dict[str, str]:
    """The own record's values as SQL over the user's row ``u``, by ``prefix`` + name."""
    return dict(_own_record_columns(connection.vendor, tuple(me.columns().items()), prefix))


def _own_record_sql() -> str:
    quote = connection.ops.quote_name
    columns = ", ".join(f"{sql} AS {quote(name)}" for name, sql in own_record_columns().items())
    table = quote(User._meta.db_table)
    return f"SELECT {columns} FROM {table} u WHERE u.id = %s"  # noqa: S608


@functools.cache
def _own_record_columns(
    vendor: str, extra: tuple[tuple[str, str], ...], prefix: str
) -> tuple[tuple[str, str], ...]:
    quote = connection.ops.quote_name
    ids = "json_agg({})::text" if vendor == "postgresql" else "json_group_array({})"

    def linked(through: Any, column: str) -> str:
        return (
            f"(SELECT {ids.format(quote(column))} FROM {quote(through._meta.db_table)}"  # noqa: S608
            f" WHERE {quote('user_id')} = u.id)"
        )

    return (
        (f"{prefix}role_ids", linked(User.roles.through, "role_id")),
        (f"{prefix}team_ids", linked(User.teams.through, "team_id")),
        *((f"{prefix}{name}", sql) for name, sql in extra),
    )


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
