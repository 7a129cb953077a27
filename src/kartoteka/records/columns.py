"""The columns a user can choose for a record kind's list (its field list says which)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise

from kartoteka.core import kinds
from kartoteka.records.models import CustomField


@dataclass(frozen=True)
class Column:
    key: str
    label: str | Promise
    sort: str = ""


def columns(kind: kinds.RecordKind) -> list[Column]:
    """The kind's columns, in the chooser's order."""
    return [
        Column(item.column, item.column_label or kind.label_of(item), item.sort)
        for item in kind.column_fields()
    ]


def chosen(
    kind: kinds.RecordKind, custom_fields: Iterable[CustomField], params: Mapping[str, Any]
) -> tuple[list[str], list[CustomField]]:
    """Column keys from ``?cols=`` (repeatable), else the defaults; plus chosen custom fields
    (out of ``custom_fields``, the entity's definitions the page already read)."""
    getlist = getattr(params, "getlist", None)
    requested = [c for c in (getlist("cols") if getlist else []) if c]
    if not requested:
        return list(kind.default_columns), []
    known = {column.key for column in columns(kind)}
    custom = {f"cf_{field.code}": field for field in custom_fields}
    keys = [key for key in requested if key in known]
    return keys, [custom[key] for key in requested if key in custom]
