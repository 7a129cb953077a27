"""THE access rule. Every read of a scoped record goes through :func:`scoped`.

A role grant (entity, action, scope) becomes a ``Q`` filter (:func:`visible`) for lists and an
object check (:func:`can`) for single records, both from the same table, so a list and a card can
never disagree. A record outside the user's scope does not exist for them: callers answer 404.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ObjectDoesNotExist
from django.db import connection, models
from django.db.models import Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone

from kartoteka.core.errors import NotFoundError

if TYPE_CHECKING:
    from kartoteka.accounts.models import User

M = TypeVar("M", bound=models.Model)

SCOPES = ("own", "team", "branch", "all")
ACTIONS = ("view", "create", "edit", "delete", "export", "assign")
# Shared records may be seen and edited by those they are shared with, not deleted or reassigned;
# and only as far as the recipient's role goes: a share never lets a read-only role write.
SHARE_ACTIONS = frozenset({"view", "edit"})
_CACHE_ATTRIBUTE = "_kartoteka_grants"
_RULES_ATTRIBUTE = "_kartoteka_rules"


def entity_of(model: type[models.Model]) -> str:
    entity = getattr(model, "access_entity", "")
    if not entity:
        raise TypeError(f"{model.__name__} is not governed by the access table")
    return str(entity)


def grants(user: User) -> dict[tuple[str, str], set[str]]:
    """{(entity, action): {scopes}} over all of the user's roles; one query, cached per request.

    The cache lives on the user object, which Django builds anew for each request, so a role
    change applies from the next request on (for sessions and tokens alike).
    """
    cached = getattr(user, _CACHE_ATTRIBUTE, None)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    rows: Iterable[Sequence[str]] = ()
    if user.is_authenticated and user.is_active:
        # Through the user's own relation: core reads the access table without importing accounts.
        rows = user.roles.filter(grants__isnull=False).values_list(
            "grants__entity", "grants__action", "grants__scope"
        )
    remember_grants(user, rows)
    return getattr(user, _CACHE_ATTRIBUTE)  # type: ignore[no-any-return]


def remember_grants(user: User, rows: Iterable[Sequence[str]]) -> None:
    """Keep grants read along with the user ((entity, action, scope) rows): no second query."""
    table: dict[tuple[str, str], set[str]] = {}
    for entity, action, scope in rows:
        table.setdefault((entity, action), set()).add(scope)
    setattr(user, _CACHE_ATTRIBUTE, table)


def forget_grants(user: User) -> None:
    if hasattr(user, _CACHE_ATTRIBUTE):
        delattr(user, _CACHE_ATTRIBUTE)


def scopes_for(user: User, entity: str, action: str) -> set[str]:
    if not (user.is_authenticated and user.is_active):
        return set()
    if user.is_superuser:
        return {"all"}
    return grants(user).get((entity, action), set())


def has_any(user: User, entity: str, action: str) -> bool:
    return bool(scopes_for(user, entity, action))


def _owner_field(model: type[models.Model]) -> str:
    return str(getattr(model, "owner_field", "owner"))


def _branch_field(model: type[models.Model]) -> str:
    return str(getattr(model, "branch_field", "branch"))


def _column(model: Any, name: str) -> str:
    """``model``'s column for the field ``name``, quoted."""
    return str(connection.ops.quote_name(model._meta.get_field(name).column))


def _team_members_table() -> tuple[str, str, str]:
    """The table of team memberships and its team and user columns, quoted."""
    through: Any = get_user_model()._meta.get_field("teams").through  # type: ignore[union-attr]
    table = connection.ops.quote_name(through._meta.db_table)
    return table, _column(through, "team"), _column(through, "user")


def _team_member_ids(user: User) -> RawSQL:
    """The ids of the people in a team with ``user`` (themselves included), as a sub-query.

    This and :func:`_shared_ids` are written out in SQL, not built from querysets: the rule
    holds them once for each record kind it spans (an activity's rule: the activity's, its
    company's and its contact's), and Django compiled each of those sub-queries anew for every
    statement under the rule, most of what compiling the rule cost.
    """
    members, team, member = _team_members_table()
    sql = (
        f"SELECT o.{member} FROM {members} o WHERE o.{team} IN "  # noqa: S608 (names from models)
        f"(SELECT m.{team} FROM {members} m WHERE m.{member} = %s)"
    )
    return RawSQL(sql, (user.pk,))  # noqa: S611


def _shared_ids(user: User, model: type[models.Model]) -> RawSQL:
    """The ids of ``model``'s records shared with ``user``, a team of theirs or their branch,
    and not expired, as a sub-query (see :func:`_team_member_ids` for why in SQL)."""
    from kartoteka.core.models import RecordShare

    quote = connection.ops.quote_name
    members, team, member = _team_members_table()
    column = {
        name: _column(RecordShare, name)
        for name in ("object_id", "content_type", "until", "user", "branch", "team")
    }
    sql = (
        f"SELECT s.{column['object_id']} FROM {quote(RecordShare._meta.db_table)} s "  # noqa: S608
        f"WHERE s.{column['content_type']} = %s "
        f"AND (s.{column['until']} IS NULL OR s.{column['until']} >= %s) "
        f"AND (s.{column['user']} = %s OR s.{column['branch']} = %s OR s.{column['team']} IN "
        f"(SELECT m.{team} FROM {members} m WHERE m.{member} = %s))"
    )
    until: Any = RecordShare._meta.get_field("until")
    today = until.get_db_prep_value(timezone.localdate(), connection)
    params = (
        ContentType.objects.get_for_model(model).pk,
        today,
        user.pk,
        user.branch_id,  # type: ignore[attr-defined]
        user.pk,
    )
    return RawSQL(sql, params)  # noqa: S611


def visible(
    user: User, model: type[models.Model], action: str = "view", *, through: str = ""
) -> Q | None:
    """The filter of records of ``model`` on which ``user`` may perform ``action``.

    ``None`` means nothing at all. The scopes of all the user's roles are OR-ed together.
    ``through`` applies the same rule to rows related to ``model`` (e.g. ``"contact__"`` on
    employments), so a join replaces a subquery over the whole table.

    A model may define ``access_extra(user, action, through) -> (also, requires)``: ``also``
    (or None) is OR-ed to the role's scope, ``requires`` (or None) AND-ed to the result.
    ``requires`` is the same for every action (:func:`permitted` relies on it).

    Remembered for the request, with the grants: a page asks for the same rule several times,
    and building it (its share and team sub-queries) costs more than running it. The rule's
    sub-queries stay queries, so what they find is read afresh each time it is used.
    """
    table = grants(user) if user.is_authenticated else None
    memo: tuple[Any, dict[tuple[Any, ...], Q | None]] | None
    memo = getattr(user, _RULES_ATTRIBUTE, None)
    if memo is None or memo[0] is not table:
        memo = (table, {})
        setattr(user, _RULES_ATTRIBUTE, memo)
    key = (model, action, through, *_rule_inputs(user))
    if key not in memo[1]:
        memo[1][key] = _visible(user, model, action, through)
    return memo[1][key]


def _rule_inputs(user: User) -> tuple[Any, ...]:
    # What the rule's SQL holds of the user besides their grants; today: a share's expiry.
    return (
        user.pk,
        user.is_active,
        user.is_superuser,
        getattr(user, "branch_id", None),
        timezone.localdate(),
    )


def rule_key(user: User) -> tuple[Any, ...]:
    """Everything :func:`visible`'s conditions are built from, for every kind and action: two
    users (or one user on two days) with the same key get the same SQL, so a statement
    compiled for one may be run for the other (:mod:`kartoteka.core.db.compiled`)."""
    table = grants(user) if user.is_authenticated else {}
    frozen = frozenset((pair, frozenset(scopes)) for pair, scopes in table.items())
    return (*_rule_inputs(user), frozen)


def _visible(user: User, model: type[models.Model], action: str, through: str) -> Q | None:
    combined = _scope_condition(user, model, action, through)
    extra = getattr(model, "access_extra", None)
    if extra is None:
        return combined
    # A kind may widen the rule (a task's author sees it, a meeting's participants see it)
    # and narrow it (an activity exists only while its client is visible).
    also, requires = extra(user, action, through)
    # (an empty condition is "everything": OR-ing anything to it would narrow it instead)
    if also is not None and user.is_authenticated and user.is_active and combined != Q():
        combined = also if combined is None else combined | also
    if combined is not None and requires is not None:
        combined &= requires
    return combined


def _scope_condition(user: User, model: type[models.Model], action: str, through: str) -> Q | None:
    parts = _scope_parts(user, model, action, through)
    if parts is None:
        return None
    combined = parts[0]
    for part in parts[1:]:
        combined |= part
    return combined


def _scope_parts(
    user: User, model: type[models.Model], action: str, through: str
) -> list[Q] | None:
    # The role's scope as alternatives, any of which admits a record (None: nothing at all).
    scopes = scopes_for(user, entity_of(model), action)
    shareable = action in SHARE_ACTIONS and hasattr(model, "deleted_at")
    if "all" in scopes:
        return [Q()]
    owner = through + _owner_field(model)
    branch = through + _branch_field(model)
    parts: list[Q] = []
    if "own" in scopes:
        parts.append(Q(**{owner: user.pk}))
    if "team" in scopes:
        parts.append(Q(**{owner: user.pk}) | Q(**{f"{owner}__in": _team_member_ids(user)}))
    if "branch" in scopes:
        parts.append(Q(**{f"{branch}_id": user.branch_id}))  # type: ignore[attr-defined]
    # A share grants an action only to a role that grants it on some records of the entity
    # (the same test as in :func:`can`).
    if shareable and scopes and user.is_authenticated:
        parts.append(Q(**{f"{through}pk__in": _shared_ids(user, model)}))
    return parts or None


def alternatives(user: User, model: type[models.Model], action: str = "view") -> list[Q] | None:
    """:func:`visible` as alternatives: a record is visible when any one of them admits it (None:
    nothing is). A query for the first row in some order that ORs them makes the database walk
    every visible row; asked one by one, each can stop at its own index's first row (a card's
    Prev/Next over a few hundred thousand companies)."""
    parts = _scope_parts(user, model, action, "")
    extra = getattr(model, "access_extra", None)
    also, requires = extra(user, action, "") if extra is not None else (None, None)
    # The same widening and narrowing as in :func:`visible`.
    if also is not None and user.is_authenticated and user.is_active and parts != [Q()]:
        parts = [*(parts or []), also]
    if parts is not None and requires is not None:
        parts = [part & requires for part in parts]
    return parts


def scoped(queryset: QuerySet[M], user: User, action: str = "view") -> QuerySet[M]:
    """``queryset`` narrowed to what ``user`` may ``action``: the one way every read is scoped."""
    condition = visible(user, queryset.model, action)
    if condition is None:
        return queryset.none()
    return queryset.filter(condition)


def get_for_user_or_404(
    queryset: QuerySet[M], user: User, action: str = "view", **lookup: Any
) -> M:
    """One record in the user's scope, or :class:`NotFoundError` (missing and hidden look alike)."""
    return one_or_404(scoped(queryset, user, action), **lookup)


def one_or_404(scoped_queryset: QuerySet[M], **lookup: Any) -> M:
    """One record from a queryset :func:`scoped` already narrowed, or :class:`NotFoundError`."""
    try:
        return scoped_queryset.get(**lookup)
    except (ObjectDoesNotExist, ValueError, TypeError):
        raise NotFoundError() from None


def can(user: User, action: str, obj: models.Model) -> bool:
    """The object form of :func:`visible`: may ``user`` perform ``action`` on ``obj``?"""
    model = obj._meta.model
    if getattr(model, "access_extra", None) is not None and obj.pk is not None:
        # The kind's own widening and narrowing are query conditions: ask the database.
        condition = visible(user, model, action)
        manager = getattr(model, "all_objects", model._default_manager)
        return condition is not None and manager.filter(condition, pk=obj.pk).exists()
    return obj.pk in permitted(user, action, [obj])


def permitted(user: User, action: str, rows: Sequence[models.Model]) -> set[Any]:
    """Of ``rows``, records of one kind that ``user`` sees, the ids of those the role lets them
    ``action`` too (see :func:`permitted_each`)."""
    return permitted_each(user, (action,), rows)[action]


def permitted_each(
    user: User, actions: Sequence[str], rows: Sequence[models.Model]
) -> dict[str, set[Any]]:
    """For each of ``actions``, the ids of those of ``rows`` (records of one kind that ``user``
    sees) the role lets them do it to (a timeline's Edit and Delete buttons): decided by each
    row's owner and branch, with at most one query for one's teammates and one for the rows
    shared with one, whatever the number of rows and actions.

    The rows passed the kind's own narrowing (``access_extra``'s ``requires``, the same for
    every action) when they were read; a kind that widens an action (a task's author may edit
    it) is asked in one query for that action instead."""
    if not rows:
        return {action: set() for action in actions}
    model = rows[0]._meta.model
    extra = getattr(model, "access_extra", None)
    owner_field, branch_field = _owner_field(model), _branch_field(model)
    known: dict[str, set[Any]] = {}

    def team() -> set[Any]:
        if "team" not in known:
            people = get_user_model()._base_manager.filter(pk__in=_team_member_ids(user))
            known["team"] = set(people.values_list("pk", flat=True))
        return known["team"]

    def shared() -> set[Any]:
        if "shared" not in known:
            saved = [row.pk for row in rows if row.pk is not None]
            found = model._base_manager.filter(pk__in=saved).filter(pk__in=_shared_ids(user, model))
            known["shared"] = set(found.values_list("pk", flat=True))
        return known["shared"]

    def owner_of(row: models.Model) -> Any:
        return row.pk if owner_field == "pk" else getattr(row, f"{owner_field}_id")

    def one(action: str) -> set[Any]:
        if extra is not None and extra(user, action, "")[0] is not None:
            condition = visible(user, model, action)
            if condition is None:
                return set()
            manager = getattr(model, "all_objects", model._default_manager)
            ids = [row.pk for row in rows]
            return set(manager.filter(condition, pk__in=ids).values_list("pk", flat=True))
        scopes = scopes_for(user, entity_of(model), action)
        if "all" in scopes:
            return {row.pk for row in rows}
        allowed: set[Any] = set()
        for row in rows:
            branch_id = getattr(row, f"{branch_field}_id", None)
            own = scopes & {"own", "team"} and user.pk is not None and owner_of(row) == user.pk
            in_branch = "branch" in scopes and branch_id is not None
            if own or (in_branch and branch_id == user.branch_id):  # type: ignore[attr-defined]
                allowed.add(row.pk)
        rest = [row for row in rows if row.pk not in allowed]
        if rest and "team" in scopes:
            allowed |= {row.pk for row in rest if owner_of(row) in team()}
            rest = [row for row in rest if row.pk not in allowed]
        if rest and scopes and action in SHARE_ACTIONS and hasattr(model, "deleted_at"):
            allowed |= {row.pk for row in rest if row.pk in shared()}
        return allowed

    return {action: one(action) for action in actions}


def can_place(
    user: User,
    model: type[models.Model],
    action: str,
    *,
    owner_id: int | None,
    branch_id: int | None,
) -> bool:
    """May ``user`` create (or move) a ``model`` record with this owner and branch?

    Own scope: only records owned by oneself; team: owned by a teammate; branch: in one's
    branch; all: anywhere. This keeps users from writing records into places they cannot see.
    """
    scopes = scopes_for(user, entity_of(model), action)
    if "all" in scopes:
        return True
    if "branch" in scopes and branch_id == user.branch_id:  # type: ignore[attr-defined]
        return True
    if scopes & {"own", "team"} and owner_id == user.pk and branch_id == user.branch_id:  # type: ignore[attr-defined]
        return True
    if "team" in scopes and owner_id is not None and branch_id == user.branch_id:  # type: ignore[attr-defined]
        people = get_user_model()._base_manager.filter(pk__in=_team_member_ids(user))
        return people.filter(pk=owner_id).exists()
    return False
