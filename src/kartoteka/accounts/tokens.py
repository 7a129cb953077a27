"""Signing in: the one statement every API call (by token) and every page (by session) starts
with."""

from __future__ import annotations

import functools
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import connection
from django.utils import timezone

from kartoteka.accounts import queries
from kartoteka.accounts.models import ApiToken, Branch, RoleGrant, User
from kartoteka.core import access
from kartoteka.core.db import prepared


def token_authenticate(key: str) -> User | None:
    """The active user a live token belongs to, with their grants already read; else None.

    Every API call starts here, so it is one statement written once: the token, its user, the
    user's branch and grants (as JSON) together, read as the user model with its fields' own
    conversions, instead of three ORM queries built anew on every call (a record written by
    the caller goes to their branch, named in its audit entry).
    """
    now = timezone.now()
    with prepared.planned_once():
        found = list(User.objects.raw(_token_sql(), [ApiToken.hash_key(key), _db_moment(now)]))
    if not found or not found[0].is_active:
        return None
    user = found[0]
    _keep_what_was_read(user)
    user.__dict__[queries.OWN_RECORD] = {
        name.removeprefix(_OWN): user.__dict__.pop(name)
        for name in list(user.__dict__)
        if name.startswith(_OWN)
    }
    last_used = user.token_last_used  # type: ignore[attr-defined]
    if isinstance(last_used, str):
        last_used = datetime.fromisoformat(last_used)
    if last_used is not None and timezone.is_naive(last_used):  # SQLite keeps UTC, unmarked
        last_used = timezone.make_aware(last_used, UTC)
    # Touch at most once a minute, so a busy integration does not write on every call.
    if last_used is None or now - last_used > timedelta(minutes=1):
        ApiToken.objects.filter(pk=user.token_id).update(last_used_at=now)  # type: ignore[attr-defined]
    return user


#: the prefix of the own record's values read beside the user's (``queries.myself``)
_OWN = "own_"

#: the branch's columns, read beside the user's under these names
_BRANCH_COLUMNS = {f"of_branch_{field.attname}": field for field in Branch._meta.concrete_fields}


def _keep_what_was_read(user: User) -> None:
    """Give ``user`` the grants and the branch the sign-in statement read beside their row."""
    access.remember_grants(user, json.loads(user.grants_json or "[]"))  # type: ignore[attr-defined]
    _remember_branch(user)


def _remember_branch(user: User) -> None:
    """Make the branch read with ``user`` theirs, as ``select_related`` would."""
    row = {name: user.__dict__.pop(name) for name in _BRANCH_COLUMNS}
    branch = Branch.from_db(
        connection.alias,
        [field.attname for field in _BRANCH_COLUMNS.values()],
        [field.to_python(row[name]) for name, field in _BRANCH_COLUMNS.items()],
    )
    User.branch.field.set_cached_value(user, branch)


def _db_moment(moment: datetime) -> Any:
    return connection.ops.adapt_datetimefield_value(moment)


@functools.cache
def _sign_in_sql_for(vendor: str, by_token: bool) -> str:
    """The user, their branch and their grants (as JSON) in one statement: over a live token
    (with the token's id and last use, and the own record's values ``users/me`` answers with),
    or by the user's id for a browser session."""
    quote = connection.ops.quote_name
    user_table, token_table = quote(User._meta.db_table), quote(ApiToken._meta.db_table)
    through = User.roles.through._meta
    link = quote(through.db_table)
    grant = quote(RoleGrant._meta.db_table)
    triple = "json_array(g.entity, g.action, g.scope)"
    grants = f"json_group_array({triple})"
    if vendor == "postgresql":
        grants = "json_agg(json_build_array(g.entity, g.action, g.scope))::text"
    columns = ", ".join(f"u.{quote(f.column)}" for f in User._meta.concrete_fields)
    branch_table = quote(Branch._meta.db_table)
    branch_columns = ", ".join(
        f"b.{quote(field.column)} AS {name}" for name, field in _BRANCH_COLUMNS.items()
    )
    grants_column = (
        f"(SELECT {grants} FROM {link} r JOIN {grant} g ON g.role_id = r.role_id"  # noqa: S608
        f" WHERE r.user_id = u.id) AS grants_json"
    )
    join_branch = f"JOIN {branch_table} b ON b.id = u.{quote(User.branch.field.column)} "
    if not by_token:
        return (
            f"SELECT {columns}, {branch_columns}, {grants_column} "  # noqa: S608
            f"FROM {user_table} u {join_branch}WHERE u.id = %s"
        )
    # The caller's own record (role and team ids, what other apps add) costs the statement a
    # few index lookups and spares users/me a round trip of its own.
    own = ", ".join(
        f"{sql} AS {quote(name)}" for name, sql in queries.own_record_columns(_OWN).items()
    )
    return (
        f"SELECT {columns}, {branch_columns}, "  # noqa: S608
        "t.id AS token_id, t.last_used_at AS token_last_used, "
        f"{own}, {grants_column} "
        f"FROM {token_table} t JOIN {user_table} u ON u.id = t.user_id "
        f"{join_branch}"
        "WHERE t.key_hash = %s AND t.revoked_at IS NULL AND t.expires_at > %s"
    )


def _token_sql() -> str:
    return _sign_in_sql_for(connection.vendor, True)


def session_user(user_id: Any) -> User | None:
    """The user a browser session names, with their branch and grants, in one statement.

    Every page starts here (:class:`kartoteka.accounts.backends.SignInBackend`); Django's own
    backend read the user, and the sidebar, the header and the first access check then read
    the grants and the branch: three statements instead of one.
    """
    try:
        pk = int(user_id)
    except (TypeError, ValueError):
        return None
    if not 0 < pk < 2**63:  # no such user; SQLite refuses a larger number outright
        return None
    with prepared.planned_once():
        found = list(User.objects.raw(_sign_in_sql_for(connection.vendor, False), [pk]))
    if not found:
        return None
    _keep_what_was_read(found[0])
    return found[0]
