from django.db import migrations

# The entities of the access table when the built-in roles were first installed; later ones
# (settings, bulk changes, and record kinds added since) grant their cells in their own
# migrations.
ENTITIES = ("companies", "contacts", "users", "roles", "branches", "audit", "trash")


def install(apps, schema_editor):
    from kartoteka.accounts.builtin_roles import install_builtin_roles

    install_builtin_roles(
        apps.get_model("accounts", "Role"),
        apps.get_model("accounts", "RoleGrant"),
        entities=ENTITIES,
    )


def uninstall(apps, schema_editor):
    apps.get_model("accounts", "Role").objects.filter(is_builtin=True).delete()


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]

    operations = [migrations.RunPython(install, uninstall)]
