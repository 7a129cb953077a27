"""Search documents keep an apostrophe or hyphen inside a name as part of the word.

"O'Brien" was indexed as "o brien", so "O'B" found it only through the one-letter word "o",
which is in nearly every document. Now the document holds "o'brien" (’ written as ') and
"obrien", and drops a hyphen or apostrophe standing outside a word ("Иванов - Петров"). It
starts with a space, so that every word follows one and "words starting with бо" is the
fragment " бо" the trigram indexes can look up.

Every company's and contact's document is recomputed from the historical models, in batches,
and written where the text changed: forward with the new rule, backward with the old one. Both rules are copied here as they were at this
migration, so later changes to the live tokenizer do not change what this migration does.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

from django.db import migrations

BATCH = 2_000

_OLD_NOISE = str.maketrans(dict.fromkeys("«»\"“”„'`()[]{},;!?|", " "))
_NEW_NOISE = str.maketrans(dict.fromkeys('«»"“”„()[]{},;!?|', " "))
_APOSTROPHES = str.maketrans(dict.fromkeys("’‘ʼ`´", "'"))
_LOOSE_JOINER = re.compile(r"(?<![^\W_])['-]+|['-]+(?![^\W_])")


def _fold(text: str) -> str:
    return " ".join(text.lower().replace("ё", "е").split())


def _joined(parts: Iterable[object]) -> str:
    return " ".join(str(part) for part in parts if part not in (None, ""))


def old_text(parts: Iterable[object]) -> str:
    return _fold(_joined(parts).translate(_OLD_NOISE))


def new_text(parts: Iterable[object]) -> str:
    text = _joined(parts).translate(_NEW_NOISE).translate(_APOSTROPHES)
    words = _fold(_LOOSE_JOINER.sub(" ", text)).split()
    if not words:
        return ""
    return " " + " ".join([*words, *(word.replace("'", "") for word in words if "'" in word)])


Text = Callable[[Iterable[object]], str]


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


def _channels(apps: Any, model: str, owner: str, ids: list[int]) -> tuple[Any, Any, Any]:
    record = apps.get_model("clients", model)
    within = {f"{owner}_id__in": ids}
    phones = _grouped(
        apps.get_model("clients", f"{model}Phone")
        .objects.filter(**within)
        .order_by("position", "id")
        .values_list(f"{owner}_id", "number")
    )
    emails = _grouped(
        apps.get_model("clients", f"{model}Email")
        .objects.filter(**within)
        .order_by("position", "id")
        .values_list(f"{owner}_id", "address")
    )
    tags = _grouped(
        record.tags.through.objects.filter(**within).values_list(f"{owner}_id", "tag__name")
    )
    return phones, emails, tags


def _companies(apps: Any, ids: list[int], text: Text) -> dict[int, str]:
    # The same values as clients.search.company_documents at this migration.
    phones, emails, tags = _channels(apps, "Company", "company", ids)
    rows = (
        apps.get_model("clients", "Company")
        .objects.filter(pk__in=ids, deleted_at__isnull=True)
        .values_list("pk", "name", "legal_form", "inn", "city", "region", "custom_fields")
    )
    return {
        pk: text(
            [
                name,
                legal_form,
                inn,
                city,
                region,
                *(number.lstrip("+") for number in phones[pk]),
                *emails[pk],
                *tags[pk],
                *_custom_values(custom),
            ]
        )
        for pk, name, legal_form, inn, city, region, custom in rows
    }


def _contacts(apps: Any, ids: list[int], text: Text) -> dict[int, str]:
    # The same values as clients.search.contact_documents at this migration.
    phones, emails, tags = _channels(apps, "Contact", "contact", ids)
    rows = (
        apps.get_model("clients", "Contact")
        .objects.filter(pk__in=ids, deleted_at__isnull=True)
        .values_list(
            "pk", "last_name", "first_name", "middle_name", "address", "messengers", "custom_fields"
        )
    )
    texts = {}
    for pk, last, first, middle, address, messengers, custom in rows:
        handles = [m.get("handle") for m in messengers or [] if isinstance(m, dict)]
        texts[pk] = text(
            [
                last,
                first,
                middle,
                address,
                *(number.lstrip("+") for number in phones[pk]),
                *emails[pk],
                *tags[pk],
                *handles,
                *_custom_values(custom),
            ]
        )
    return texts


def _rewrite(apps: Any, text: Text) -> None:
    document = apps.get_model("core", "SearchDocument")
    for kind, documents in (("company", _companies), ("contact", _contacts)):
        last = 0
        while True:
            batch = list(
                document.objects.filter(kind=kind, object_id__gt=last)
                .order_by("object_id")
                .only("id", "object_id", "body")[:BATCH]
            )
            if not batch:
                break
            last = batch[-1].object_id
            texts = documents(apps, [row.object_id for row in batch], text)
            changed = []
            for row in batch:
                body = texts.get(row.object_id)
                if body is not None and body != row.body:
                    row.body = body
                    changed.append(row)
            document.objects.bulk_update(changed, ["body"], batch_size=500)


def forward(apps: Any, schema_editor: Any) -> None:
    _rewrite(apps, new_text)


def backward(apps: Any, schema_editor: Any) -> None:
    _rewrite(apps, old_text)


class Migration(migrations.Migration):
    dependencies = [
        ("clients", "0012_contact_email_consent"),
        ("core", "0008_notifications"),
    ]

    operations = [migrations.RunPython(forward, backward)]
