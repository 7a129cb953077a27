"""What each cell of the access table means, and who may hand which rights to whom.

The access table has a cell for every entity × action, but not every cell is enforced anywhere
(nobody "exports" the trash), and not every scope means something for every cell (custom fields
belong to no branch). :func:`meaningful` lists the cells and scopes the code enforces (each app
registers its entities' cells in :mod:`kartoteka.core.kinds`); the role editor offers only those
and :func:`kartoteka.accounts.services.role_save` refuses the rest.

"Nobody hands out more than they have": a role may be granted, taken away, created or changed
only by someone who holds each of its cells with an equal or wider scope (:func:`exceeding`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from kartoteka.accounts.models import Role, RoleGrant, User
from kartoteka.core import access, kinds

#: Narrowest first: a wider scope includes every narrower one.
SCOPE_ORDER = ("own", "team", "branch", "all")


def meaningful() -> dict[str, dict[str, tuple[str, ...]]]:
    """entity -> action -> the scopes that mean something there, for every registered entity.

    Each app says so where it registers its entities (``<app>/kinds.py``): a record kind brings
    its own cells (companies: every action, every scope); users, roles, branches, settings,
    the audit trail, the trash and bulk changes are registered by accounts, core and records.
    """
    return {item.code: dict(item.cells) for item in kinds.entities()}


Cells = Mapping[tuple[str, str], str]


def scopes_of(entity: str, action: str) -> tuple[str, ...]:
    """The scopes that mean something for one cell; empty when the cell means nothing."""
    found = kinds.entity(entity)
    return tuple(found.cells.get(action, ())) if found is not None else ()


def is_meaningful(entity: str, action: str, scope: str) -> bool:
    return scope in scopes_of(entity, action)


def _rank(scope: str) -> int:
    return SCOPE_ORDER.index(scope) if scope in SCOPE_ORDER else len(SCOPE_ORDER)


def holds(actor: User, entity: str, action: str, scope: str) -> bool:
    """Does ``actor`` hold this cell with ``scope`` or a wider one? Superusers hold everything."""
    held = access.scopes_for(actor, entity, action)
    return any(_rank(mine) >= _rank(scope) for mine in held)


def exceeding(actor: User, cells: Cells) -> list[tuple[str, str]]:
    """The cells of ``cells`` wider than what ``actor`` holds: what they may not hand out."""
    return sorted(
        (entity, action)
        for (entity, action), scope in cells.items()
        if not holds(actor, entity, action, scope)
    )


def cells_of_roles(roles: Iterable[Role]) -> dict[tuple[str, str], str]:
    """The widest scope per cell over ``roles`` (one query)."""
    rows = RoleGrant.objects.filter(role__in=[role.pk for role in roles]).values_list(
        "entity", "action", "scope"
    )
    return _widest(rows)


def cells_of_user(user: User) -> dict[tuple[str, str], str]:
    """What ``user``'s roles grant, active or not (a deactivated administrator is still one)."""
    return _widest(
        RoleGrant.objects.filter(role__users=user).values_list("entity", "action", "scope")
    )


def _widest(rows: Iterable[tuple[str, str, str]]) -> dict[tuple[str, str], str]:
    cells: dict[tuple[str, str], str] = {}
    for entity, action, scope in rows:
        key = (entity, action)
        if key not in cells or _rank(scope) > _rank(cells[key]):
            cells[key] = scope
    return cells


def may_hand_out(actor: User, role: Role) -> bool:
    """May ``actor`` grant or take away ``role``: does it lie within the actor's own rights?"""
    return actor.is_superuser or not exceeding(actor, cells_of_roles([role]))


def outranks(target: User, actor: User) -> bool:
    """Does ``target`` hold a right ``actor`` lacks? Only their peers and betters manage them."""
    if actor.is_superuser:
        return False
    if target.is_superuser:
        return True
    return bool(exceeding(actor, cells_of_user(target)))


def grantable_roles(actor: User) -> list[Role]:
    """The roles ``actor`` may hand out (two queries)."""
    roles = list(Role.objects.prefetch_related("grants"))
    if actor.is_superuser:
        return roles
    return [
        role
        for role in roles
        if not exceeding(actor, _widest((g.entity, g.action, g.scope) for g in role.grants.all()))
    ]
