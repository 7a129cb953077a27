"""Text folding for matching names the way people type them: any case, ё written as е."""

from __future__ import annotations

from typing import Any

from django.db.models import CharField, EmailField, Lookup, TextField


def fold(text: str) -> str:
    return " ".join(text.lower().replace("ё", "е").split())


class FoldedContains(Lookup):  # type: ignore[type-arg]
    """``name__folded="звон"`` matches "Звонарёв": case- and ё-insensitive, on both databases."""

    lookup_name = "folded"
    prepare_rhs = False

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        pattern = "%" + connection.ops.prep_for_like_query(fold(str(self.rhs))) + "%"
        return f"REPLACE(LOWER({lhs}), 'ё', 'е') LIKE %s ESCAPE '\\'", [*lhs_params, pattern]


def register_lookups() -> None:
    for field in (CharField, TextField, EmailField):
        field.register_lookup(FoldedContains)
