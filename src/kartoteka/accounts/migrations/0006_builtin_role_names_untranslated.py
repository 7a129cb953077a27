"""Built-in roles edited in another language had their translated name stored ("Менеджер по
продажам"), which then read Russian to everyone. Such a name (or description) is put back to the
shipped text, which each reader sees translated. Names an administrator chose are left alone.
Going back changes nothing: the shipped text is a valid name either way."""

from typing import Any

from django.db import migrations
from django.utils import translation


def restore_shipped_texts(apps: Any, schema_editor: Any) -> None:
    from django.conf import settings

    from kartoteka.accounts.builtin_roles import _ROLES

    role_model = apps.get_model("accounts", "Role")
    for code, (name, description, _cells) in _ROLES.items():
        role = role_model.objects.filter(code=code, is_builtin=True).first()
        if role is None:
            continue
        names, descriptions = set(), set()
        for language, _label in settings.LANGUAGES:
            with translation.override(language):
                names.add(translation.gettext(name))
                descriptions.add(translation.gettext(description))
        changed = []
        if role.name != name and role.name in names:
            role.name = name
            changed.append("name")
        if role.description != description and role.description in descriptions:
            role.description = description
            changed.append("description")
        if changed:
            role.save(update_fields=changed)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0005_user_list_density"),
    ]

    operations = [migrations.RunPython(restore_shipped_texts, migrations.RunPython.noop)]
