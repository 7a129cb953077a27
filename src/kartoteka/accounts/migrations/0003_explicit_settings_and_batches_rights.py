"""Settings and bulk changes get rights of their own instead of borrowing roles.edit and trash.edit.

Existing roles keep what they could do: roles.edit → settings view and edit; roles.view →
settings view; trash.edit (which showed and undid everyone's bulk changes) → batches view and edit
at "all"; any right to change clients → one's own bulk changes. Cells that no code ever enforced are
removed; a cell of a company-wide kind (roles, branches, trash) held at a narrower scope worked as
"all", and becomes "all". The tables below are frozen copies: later code changes do not alter this
migration.
"""

from django.db import migrations, models

_RECORDS = ("own", "team", "branch", "all")
_ACTIONS = ("view", "create", "edit", "delete", "export", "assign")
MEANINGFUL = {
    "companies": dict.fromkeys(_ACTIONS, _RECORDS),
    "contacts": dict.fromkeys(_ACTIONS, _RECORDS),
    "users": {
        "view": _RECORDS,
        "create": ("branch", "all"),
        "edit": ("team", "branch", "all"),
        "assign": ("team", "branch", "all"),
    },
    "roles": dict.fromkeys(("view", "create", "edit"), ("all",)),
    "branches": dict.fromkeys(("view", "create", "edit"), ("all",)),
    "settings": dict.fromkeys(("view", "edit"), ("all",)),
    "audit": {"view": _RECORDS},
    "trash": dict.fromkeys(("view", "edit"), ("all",)),
    "batches": dict.fromkeys(("view", "edit"), _RECORDS),
}
# What the built-in roles get beyond what the rules below derive.
BUILTIN_EXTRA = {
    "administrator": {
        ("settings", "view"): "all",
        ("settings", "edit"): "all",
        ("batches", "view"): "all",
        ("batches", "edit"): "all",
    },
    "head_of_sales": {("batches", "view"): "all", ("batches", "edit"): "all"},
    "auditor": {("settings", "view"): "all", ("batches", "view"): "all"},
}
_OLD_ENTITIES = ("companies", "contacts", "users", "roles", "branches", "audit", "trash")
_ORDER = {"own": 0, "team": 1, "branch": 2, "all": 3}


def _derived(cells):
    wanted = {}
    if ("roles", "edit") in cells:
        wanted[("settings", "view")] = wanted[("settings", "edit")] = "all"
    if ("roles", "view") in cells:
        wanted[("settings", "view")] = "all"
    if ("trash", "edit") in cells:
        wanted[("batches", "view")] = wanted[("batches", "edit")] = "all"
    elif any(
        (entity, action) in cells
        for entity in ("companies", "contacts")
        for action in ("edit", "delete", "assign")
    ):
        wanted[("batches", "view")] = wanted[("batches", "edit")] = "own"
    return wanted


def forward(apps, schema_editor):
    Role = apps.get_model("accounts", "Role")
    RoleGrant = apps.get_model("accounts", "RoleGrant")
    for role in Role.objects.all():
        grants = list(RoleGrant.objects.filter(role=role))
        cells = {(grant.entity, grant.action): grant.scope for grant in grants}
        wanted = _derived(cells)
        if role.is_builtin:
            for key, scope in BUILTIN_EXTRA.get(role.code, {}).items():
                if _ORDER[scope] > _ORDER.get(wanted.get(key, ""), -1):
                    wanted[key] = scope
        RoleGrant.objects.bulk_create(
            RoleGrant(role=role, entity=entity, action=action, scope=scope)
            for (entity, action), scope in sorted(wanted.items())
            if (entity, action) not in cells
        )
        for grant in grants:
            scopes = MEANINGFUL.get(grant.entity, {}).get(grant.action, ())
            if grant.scope in scopes:
                continue
            if scopes == ("all",):
                grant.scope = "all"
                grant.save(update_fields=["scope"])
            else:
                grant.delete()


def backward(apps, schema_editor):
    Role = apps.get_model("accounts", "Role")
    RoleGrant = apps.get_model("accounts", "RoleGrant")
    RoleGrant.objects.filter(entity__in=("settings", "batches")).delete()
    # The built-in administrator held every cell before; put back those removed as meaningless.
    administrator = Role.objects.filter(code="administrator", is_builtin=True).first()
    if administrator is not None:
        for entity in _OLD_ENTITIES:
            for action in _ACTIONS:
                RoleGrant.objects.update_or_create(
                    role=administrator, entity=entity, action=action, defaults={"scope": "all"}
                )


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_builtin_roles")]

    operations = [
        migrations.AlterField(
            model_name="rolegrant",
            name="entity",
            field=models.CharField(
                choices=[
                    ("companies", "companies"),
                    ("contacts", "contacts"),
                    ("users", "users"),
                    ("roles", "roles"),
                    ("branches", "branches and teams"),
                    ("audit", "audit trail"),
                    ("trash", "trash"),
                    ("settings", "settings: custom fields, group rules, tags, shared views"),
                    ("batches", "bulk changes"),
                ],
                max_length=30,
                verbose_name="entity",
            ),
        ),
        migrations.RunPython(forward, backward),
    ]
