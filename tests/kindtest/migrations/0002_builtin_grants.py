"""The built-in roles get their gadget cells, as any record kind added to a running installation
grants its own (and takes them back when undone)."""

from django.db import migrations

ENTITIES = ("gadgets",)


def grant(apps, schema_editor):
    from kartoteka.accounts.builtin_roles import install_builtin_roles

    install_builtin_roles(
        apps.get_model("accounts", "Role"),
        apps.get_model("accounts", "RoleGrant"),
        entities=ENTITIES,
    )


def take_back(apps, schema_editor):
    from kartoteka.accounts.builtin_roles import remove_grants

    remove_grants(apps.get_model("accounts", "RoleGrant"), ENTITIES)


class Migration(migrations.Migration):
    dependencies = [
        ("kindtest", "0001_initial"),
        ("accounts", "0004_entity_from_the_registry"),
    ]

    operations = [migrations.RunPython(grant, take_back)]
