"""The access-table entities of people: users, roles, branches and teams."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from kartoteka.core import kinds

_RECORDS = kinds.SCOPES
_PEOPLE = ("team", "branch", "all")
_GLOBAL = ("all",)


def register() -> None:
    # users: "own" is oneself, "team" one's teammates, "branch" one's branch's people. Creating
    # places a person in a branch (branch, all); editing (name, login, email, password) and
    # assigning (roles, teams, branch, active flag) are about other people, so "own" means nothing.
    kinds.register_entity(
        kinds.Entity(
            code="users",
            label=_("users"),
            position=100,
            cells={
                "view": _RECORDS,
                "create": ("branch", "all"),
                "edit": _PEOPLE,
                "assign": _PEOPLE,
            },
        )
    )
    # Roles and branches are one set for the whole company: only "all".
    kinds.register_entity(
        kinds.Entity(
            code="roles",
            label=_("roles"),
            position=110,
            cells=dict.fromkeys(("view", "create", "edit"), _GLOBAL),
        )
    )
    kinds.register_entity(
        kinds.Entity(
            code="branches",
            label=_("branches and teams"),
            position=120,
            cells=dict.fromkeys(("view", "create", "edit"), _GLOBAL),
        )
    )
