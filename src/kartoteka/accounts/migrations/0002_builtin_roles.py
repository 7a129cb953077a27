from django.db import migrations


def install(apps, schema_editor):
    from kartoteka.accounts.builtin_roles import install_builtin_roles

    install_builtin_roles(
        apps.get_model("accounts", "Role"), apps.get_model("accounts", "RoleGrant")
    )


def uninstall(apps, schema_editor):
    apps.get_model("accounts", "Role").objects.filter(is_builtin=True).delete()


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]

    operations = [migrations.RunPython(install, uninstall)]
