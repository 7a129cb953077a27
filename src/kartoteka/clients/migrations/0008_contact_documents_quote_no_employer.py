"""Contacts' search documents no longer quote their employers' names.

A contact is now found through the documents of the companies the searching user may see
(clients/search.py); a name quoted in the contact's own document would let anyone find their
contact by the name of a company they may not see. Only documents of contacts with employments
held employer names: those are rewritten, in batches, from the historical models. Going back
leaves the documents as they are (the older code finds people by their own text then; a
``search.rebuild()`` restores the quotes).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.db import migrations

from kartoteka.core.search.text import document_text, phone_digits

BATCH = 2_000


def _grouped(rows: Any) -> dict[int, list[Any]]:
    grouped: dict[int, list[Any]] = defaultdict(list)
    for owner_id, value in rows:
        grouped[owner_id].append(value)
    return grouped


def _custom_values(custom: Any) -> list[Any]:
    if not isinstance(custom, dict):
        return []
    values: list[Any] = []
    for value in custom.values():
        if isinstance(value, list):
            values.extend(value)
        elif not isinstance(value, bool):
            values.append(value)
    return values


def _documents(apps: Any, ids: list[int]) -> dict[int, str]:
    # The same text as clients.search.contact_documents, without the employers.
    contact = apps.get_model("clients", "Contact")
    phones = _grouped(
        apps.get_model("clients", "ContactPhone")
        .objects.filter(contact_id__in=ids)
        .order_by("position", "id")
        .values_list("contact_id", "number")
    )
    emails = _grouped(
        apps.get_model("clients", "ContactEmail")
        .objects.filter(contact_id__in=ids)
        .order_by("position", "id")
        .values_list("contact_id", "address")
    )
    tags = _grouped(
        contact.tags.through.objects.filter(contact_id__in=ids).values_list(
            "contact_id", "tag__name"
        )
    )
    rows = contact.objects.filter(pk__in=ids, deleted_at__isnull=True).values_list(
        "pk", "last_name", "first_name", "middle_name", "address", "messengers", "custom_fields"
    )
    texts = {}
    for pk, last, first, middle, address, messengers, custom in rows:
        handles = [m.get("handle") for m in messengers or [] if isinstance(m, dict)]
        texts[pk] = document_text(
            [
                last,
                first,
                middle,
                address,
                *(phone_digits(number) for number in phones[pk]),
                *emails[pk],
                *tags[pk],
                *handles,
                *_custom_values(custom),
            ]
        )
    return texts


def forward(apps: Any, schema_editor: Any) -> None:
    employment = apps.get_model("clients", "Employment")
    document = apps.get_model("core", "SearchDocument")
    people = employment.objects.order_by("contact_id").values_list("contact_id", flat=True)
    last = 0
    while True:
        chunk = list(dict.fromkeys(people.filter(contact_id__gt=last)[:BATCH]))
        if not chunk:
            return
        last = chunk[-1]
        texts = _documents(apps, chunk)
        stale = list(document.objects.filter(kind="contact", object_id__in=list(texts)))
        for row in stale:
            row.body = texts[row.object_id]
        document.objects.bulk_update(stale, ["body"], batch_size=500)


class Migration(migrations.Migration):
    dependencies = [
        ("clients", "0007_search_indexes"),
        ("core", "0005_search_index_per_kind"),
    ]

    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
