"""Search documents written before apostrophes stayed inside words are rewritten by their
migration, and written back the old way when it is unapplied, on this database."""

from __future__ import annotations

from typing import Any

import pytest

from tests.migrating import migrations_moved

BEFORE = ("clients", "0012_contact_email_consent")
AFTER = ("clients", "0013_search_words_keep_apostrophes")


def _bodies(apps: Any) -> dict[tuple[str, int], str]:
    document = apps.get_model("core", "SearchDocument")
    return {(d.kind, d.object_id): d.body for d in document.objects.all()}


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_documents_keep_apostrophes_forward_and_back(db: Any) -> None:
    with migrations_moved() as _migrate:
        old = _migrate(BEFORE)
        branch = old.get_model("accounts", "Branch").objects.create(name="Тверь")
        brien = old.get_model("clients", "Contact").objects.create(
            last_name="O’Brien", first_name="John", branch=branch
        )
        plain = old.get_model("clients", "Contact").objects.create(
            last_name="Иванов", first_name="Пётр", branch=branch
        )
        company = old.get_model("clients", "Company").objects.create(
            name="ООО «Д'Артаньян - и партнёры»", branch=branch
        )
        old.get_model("clients", "CompanyPhone").objects.create(
            company=company, number="+74951112233", kind="work"
        )
        document = old.get_model("core", "SearchDocument")
        # As the code before the migration indexed them.
        before = {
            ("contact", brien.pk): "o’brien john",
            ("contact", plain.pk): "иванов петр",
            ("company", company.pk): "ооо д артаньян - и партнеры 74951112233",
        }
        for (kind, object_id), body in before.items():
            document.objects.create(kind=kind, object_id=object_id, body=body)

        new = _migrate(AFTER)
        assert _bodies(new) == {
            ("contact", brien.pk): " o'brien john obrien",
            ("contact", plain.pk): " иванов петр",
            ("company", company.pk): " ооо д'артаньян и партнеры 74951112233 дартаньян",
        }

        back = _migrate(BEFORE)
        assert _bodies(back) == before
