"""CSV export of any record kind's list, for Excel as Russian offices run it.

UTF-8 with a BOM (or Excel reads Cyrillic as mojibake), ``;`` between cells (Excel's separator
where the decimal mark is a comma), dates as 23.11.2026 and decimals with a comma. Rows are
streamed from the database in chunks, so a million clients never sit in memory at once.
"""

from __future__ import annotations

import csv
import datetime
import re
from collections.abc import Callable, Iterator, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from kartoteka.accounts.models import User
from kartoteka.core import access, audit, kinds
from kartoteka.core.errors import ForbiddenError, NotFoundError
from kartoteka.core.pagination import ordering
from kartoteka.records import queries
from kartoteka.records.models import CustomField
from kartoteka.records.models.custom_fields import FieldType

CHUNK_SIZE = 2000
BOM = "\ufeff"
#: what a spreadsheet could take for the start of a formula (OWASP "CSV injection")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"^-?\d+(?:[.,]\d+)?$")
#: phone numbers as people write them: "+", then only digits, spaces, brackets and dashes (a
#: record's phones are one cell, joined by ", ")
PHONE = re.compile(r"^\+[\d ()\-]+(?:, \+[\d ()\-]+)*$")
#: parameters of the list page that are not filters
NOT_FILTERS = ("after", "before", "from", "view", "format", "cursor", "limit", "cols", "density")

Column = tuple[str, Callable[[Any], Any]]


def safe_cell(value: Any) -> str:
    """A cell's text, with a leading apostrophe where a spreadsheet would see a formula.

    "=HYPERLINK(...)" becomes "'=HYPERLINK(...)": still readable, never evaluated. A plain
    number ("-5", "-1,5") and a phone number ("+7 (495) 123-45-67": nothing but digits, spaces,
    brackets and dashes after the "+", so nothing to call or refer to) stay as they are, with no
    apostrophe showing in the spreadsheet.
    """
    text = "" if value is None else str(value)
    if PHONE.match(text) and sum(ch.isdigit() for ch in text) >= 5:
        return text
    if text.startswith(FORMULA_STARTS) and not PLAIN_NUMBER.match(text):
        return "'" + text
    return text


def _date(value: datetime.date | datetime.datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        value = timezone.localtime(value)
    return value.strftime("%d.%m.%Y")


def _decimal(value: Any) -> str:
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    text = format(number, "f")
    return text.replace(".", ",")


def custom_cell(field: CustomField, value: Any) -> str:
    if value in (None, "", []):
        return ""
    if field.type == FieldType.BOOLEAN:
        return _("yes") if value else _("no")
    if field.type == FieldType.MULTIPLE and isinstance(value, list):
        return ", ".join(str(item) for item in value)
    if field.type == FieldType.DATE:
        try:
            return _date(datetime.date.fromisoformat(str(value)))
        except ValueError:
            return str(value)
    if field.type in (FieldType.NUMBER, FieldType.MONEY):
        return _decimal(value)
    return str(value)


def _cell(kind: kinds.RecordKind, item: kinds.Field) -> Callable[[Any], Any]:
    """How the export reads one field of a record, by the field's type (or its own reader)."""
    if callable(item.export):
        return item.export
    name = item.name
    if item.type == kinds.CHOICE:
        return lambda record: getattr(record, f"get_{name}_display")()
    if item.type in (kinds.DATE, kinds.DATETIME):
        return lambda record: _date(getattr(record, name))
    if item.type in (kinds.PERSON, kinds.BRANCH):
        return lambda record: str(getattr(record, name) or "")
    return lambda record: getattr(record, name)


def columns_of(kind: kinds.RecordKind) -> list[Column]:
    """The kind's export columns, in its field list's order."""
    return [(kind.label_of(item), _cell(kind, item)) for item in kind.fields if item.export]


class _Line:
    """A file-like sink for csv.writer that hands back each written line."""

    def write(self, value: str) -> str:
        return value


def csv_lines(
    rows: Iterator[Any], columns: list[Column], fields: list[CustomField]
) -> Iterator[str]:
    writer = csv.writer(_Line(), delimiter=";")
    header = [label for label, _get in columns] + [field.label for field in fields]
    yield BOM + writer.writerow([safe_cell(title) for title in header])
    for record in rows:
        values = [get(record) for _label, get in columns]
        if fields:
            stored = record.custom_fields or {}
            values += [custom_cell(field, stored.get(field.code)) for field in fields]
        yield writer.writerow([safe_cell(value) for value in values])


def export_queryset(
    actor: User, kind: kinds.RecordKind, text: str, params: Mapping[str, Any]
) -> QuerySet[Any]:
    """The list as the actor filtered it, narrowed to the records their role may export."""
    return queries.listing(kind, actor, text=text, params=params, action="export")


def records_export(
    *, actor: User, kind: str, text: str, params: Mapping[str, Any], query_string: str
) -> tuple[int, Iterator[str]]:
    """Export the filtered list of a record kind (``kind``: its code, "company") as CSV lines;
    records an "export" audit entry.

    A role without the "export" grant gets :class:`ForbiddenError`; records outside the
    export scope are left out even when the list shows them (e.g. shared ones).
    """
    record_kind = kinds.by_code(kind)
    if record_kind is None:
        raise NotFoundError()
    entity = record_kind.entity
    if not access.has_any(actor, entity, "export"):
        raise ForbiddenError()
    # In the list's order: its ?sort= (newest first by default), then id.
    queryset, *_order = ordering(
        export_queryset(actor, record_kind, text, params), params, record_kind.sortable()
    )
    total = queryset.count()
    audit.record(
        actor=actor,
        action="export",
        object_repr=_("Export: %(entity)s, %(count)d rows")
        % {"entity": kinds.entity_label(entity), "count": total},
        changes={"entity": [None, entity], "filter": [None, query_string], "rows": [None, total]},
    )
    fields = (
        list(CustomField.objects.filter(entity=entity).order_by("position", "id"))
        if record_kind.custom_fields
        else []
    )
    rows = queryset.iterator(chunk_size=CHUNK_SIZE)
    return total, csv_lines(rows, columns_of(record_kind), fields)


def filter_params(params: Mapping[str, Any]) -> dict[str, Any]:
    """The filters of a list's query string (paging and view choice are not filters)."""
    return {key: params.get(key) for key in params if key not in NOT_FILTERS}
