"""Companies get a second, narrower search document: what their people are found through them by.

A contact was found through a company by the company's whole document, city, emails, tags and
custom fields included: "Вик Мо" found every Виктор working at one of the companies in Moscow.
Now a contact is found through a company by its name, legal form, INN and phones only, held in
documents of the kind ``company_link`` with indexes of their own.

Forward writes one for every live company, in batches, then creates the kind's indexes (after
the rows: PostgreSQL builds each GIN index once instead of growing it). Backward drops the
indexes and the documents. The text rule is copied here as it was at this migration, so later
changes to the live tokenizer do not change what this migration does.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.db import migrations

from kartoteka.core.search import indexes

BATCH = 2_000
KIND = "company_link"

_NOISE = str.maketrans(dict.fromkeys('«»"“”„()[]{},;!?|', " "))
_APOSTROPHES = str.maketrans(dict.fromkeys("’‘ʼ`´", "'"))
_LOOSE_JOINER = re.compile(r"(?<![^\W_])['-]+|['-]+(?![^\W_])")


def _text(parts: Iterable[object]) -> str:
    joined = " ".join(str(part) for part in parts if part not in (None, ""))
    text = joined.translate(_NOISE).translate(_APOSTROPHES)
    words = " ".join(_LOOSE_JOINER.sub(" ", text).lower().replace("ё", "е").split()).split()
    if not words:
        return ""
    return " " + " ".join([*words, *(word.replace("'", "") for word in words if "'" in word)])


def forward(apps: Any, schema_editor: Any) -> None:
    company = apps.get_model("clients", "Company")
    phone = apps.get_model("clients", "CompanyPhone")
    document = apps.get_model("core", "SearchDocument")
    live = company.objects.filter(deleted_at__isnull=True).order_by("pk")
    last = 0
    while True:
        rows = list(live.filter(pk__gt=last).values_list("pk", "name", "legal_form", "inn")[:BATCH])
        if not rows:
            break
        last = rows[-1][0]
        numbers: dict[int, list[str]] = defaultdict(list)
        within = phone.objects.filter(company_id__gte=rows[0][0], company_id__lte=last)
        ordered = within.order_by("position", "id")
        for owner, number in ordered.values_list("company_id", "number"):
            numbers[owner].append(number.lstrip("+"))
        document.objects.bulk_create(
            [
                document(
                    kind=KIND,
                    object_id=pk,
                    body=_text([name, legal_form, inn, *numbers[pk]]),
                )
                for pk, name, legal_form, inn in rows
            ],
            batch_size=BATCH,
        )


class Migration(migrations.Migration):
    dependencies = [
        ("clients", "0017_company_owner_status_index"),
        ("core", "0008_notifications"),
    ]

    operations = indexes.new_kind_operations(KIND, forward)
