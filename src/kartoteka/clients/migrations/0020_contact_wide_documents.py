"""Contacts get a wide search document: their own text followed by their companies' link texts.

A user who may see every company searches the contact lists by it, one document a person,
instead of matching each company's link document and testing its people one by one (kind
``contact_wide``, with indexes of its own; see ``kartoteka.clients.search``).

Forward writes one for every contact that has a document, from the documents already stored
(the contact's own, then the link documents of the companies they work at, in the companies'
id order: what the live code writes), in batches, then creates the kind's indexes after the
rows. Backward drops the indexes and the documents.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.db import migrations
from django.db.models import OuterRef, Subquery

from kartoteka.core.search import indexes

BATCH = 2_000
KIND = "contact_wide"


def forward(apps: Any, schema_editor: Any) -> None:
    document = apps.get_model("core", "SearchDocument")
    employment = apps.get_model("clients", "Employment")
    own = document.objects.filter(kind="contact").order_by("object_id")
    link = document.objects.filter(kind="company_link", object_id=OuterRef("company_id"))
    last = -1
    while True:
        rows = list(own.filter(object_id__gt=last).values_list("object_id", "body")[:BATCH])
        if not rows:
            break
        first, last = rows[0][0], rows[-1][0]
        links: dict[int, list[str]] = defaultdict(list)
        jobs = (
            employment.objects.filter(contact_id__gte=first, contact_id__lte=last)
            .annotate(body=Subquery(link.values("body")[:1]))
            .order_by("contact_id", "company_id")
            .values_list("contact_id", "body")
        )
        for contact, body in jobs:
            if body:
                links[contact].append(body)
        document.objects.bulk_create(
            [
                document(kind=KIND, object_id=pk, body=body + "".join(links[pk]))
                for pk, body in rows
            ],
            batch_size=BATCH,
        )


class Migration(migrations.Migration):
    dependencies = [
        ("clients", "0019_employment_company_contact_index"),
    ]

    operations = indexes.new_kind_operations(KIND, forward)
