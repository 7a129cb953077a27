"""Audit entries written before links were stored with ids name other records as plain text.

Such a name (a contact's employer, the record a merge took in, the person a record was shared
with) would read as written to anyone
who sees the entry, even if they may not see the named record. This turns each into a link
(``{"link": label, "id": ..., "text": ...}``) that the trail shows by name only to those who may
see the record. A name no single record answers to gets id 0, which nobody sees: it reads as
"hidden record". Going back turns links into their text again.
"""

from __future__ import annotations

import re
from typing import Any

from django.db import migrations

MERGE_LABEL = re.compile(r"^#(\d+) «")
LINK = "link"


def _entries(apps: Any, label: str) -> Any:
    content_type = apps.get_model("contenttypes", "ContentType")
    audit_entry = apps.get_model("core", "AuditEntry")
    app_label, model = label.split(".")
    kind = content_type.objects.filter(app_label=app_label, model=model).first()
    if kind is None:
        return audit_entry.objects.none()
    return audit_entry.objects.filter(content_type=kind).exclude(changes={})


def forwards(apps: Any, schema_editor: Any) -> None:
    company = apps.get_model("clients", "Company")
    ids_by_name: dict[str, list[int]] = {}
    for pk, name in company.objects.values_list("pk", "name"):
        ids_by_name.setdefault(name, []).append(pk)

    def employer(text: Any) -> Any:
        if not isinstance(text, str):
            return text
        ids = ids_by_name.get(text.split(" — ")[0], [])
        return {LINK: "clients.company", "id": ids[0] if len(ids) == 1 else 0, "text": text}

    user = apps.get_model("accounts", "User")
    people: dict[str, list[int]] = {}
    for pk, first, last, username in user.objects.values_list(
        "pk", "first_name", "last_name", "username"
    ):
        people.setdefault(f"{first} {last}".strip() or username, []).append(pk)

    def recipient(text: Any) -> Any:
        # A team or a branch stays as written: the trail names those to everyone.
        if not isinstance(text, str) or text not in people:
            return text
        ids = people[text]
        return {LINK: "accounts.user", "id": ids[0] if len(ids) == 1 else 0, "text": text}

    def merged(label: str, text: Any) -> Any:
        if not isinstance(text, str):
            return text
        found = MERGE_LABEL.match(text)
        return {LINK: label, "id": int(found.group(1)) if found else 0, "text": text}

    for label in ("clients.company", "clients.contact"):
        for entry in _entries(apps, label).iterator():
            changes = dict(entry.changes)
            touched = False
            if label == "clients.contact" and isinstance(changes.get("companies"), list):
                changes["companies"] = [
                    [employer(text) for text in side] if isinstance(side, list) else side
                    for side in changes["companies"]
                ]
                touched = True
            if isinstance(changes.get("shared_with"), list):
                changes["shared_with"] = [recipient(text) for text in changes["shared_with"]]
                touched = True
            for key in ("merged_with", "merged_into"):
                if isinstance(changes.get(key), list):
                    changes[key] = [merged(label, text) for text in changes[key]]
                    touched = True
            if touched and changes != entry.changes:
                entry.changes = changes
                entry.save(update_fields=["changes"])


def backwards(apps: Any, schema_editor: Any) -> None:
    def text(value: Any) -> Any:
        if isinstance(value, list):
            return [text(item) for item in value]
        if isinstance(value, dict) and LINK in value:
            return value.get("text", "")
        return value

    for label in ("clients.company", "clients.contact"):
        for entry in _entries(apps, label).iterator():
            changes = {key: text(pair) for key, pair in entry.changes.items()}
            if changes != entry.changes:
                entry.changes = changes
                entry.save(update_fields=["changes"])


class Migration(migrations.Migration):
    dependencies = [
        ("clients", "0008_contact_documents_quote_no_employer"),
        ("core", "0006_batchchange_version_before"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
