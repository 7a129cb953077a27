"""The built-in roles get their cells of activities, tasks and calendar events (taken back when
undone)."""

from django.db import migrations

ENTITIES = ("activities", "tasks", "events")


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
        ("activities", "0001_initial"),
        ("accounts", "0006_builtin_role_names_untranslated"),
    ]

    operations = [migrations.RunPython(grant, take_back)]
