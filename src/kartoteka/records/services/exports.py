"""CSV export of the company and contact lists, for Excel as Russian offices run it.

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

from kartoteka.accounts.models import Entity, User
from kartoteka.clients import queries
from kartoteka.clients.models import Company, Contact
from kartoteka.core import access, audit
from kartoteka.core.errors import ForbiddenError
from kartoteka.records.models import CustomField
from kartoteka.records.models.custom_fields import FieldType
from kartoteka.records.services import group_rules

CHUNK_SIZE = 2000
BOM = "\ufeff"
#: what a spreadsheet could take for the start of a formula (OWASP "CSV injection")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"^-?\d+(?:[.,]\d+)?$")
#: parameters of the list page that are not filters
NOT_FILTERS = ("after", "view", "format", "cursor", "limit")

Column = tuple[str, Callable[[Any], Any]]


def safe_cell(value: Any) -> str:
    """A cell's text, with a leading apostrophe where a spreadsheet would see a formula.

    "+7 916 123-45-67" becomes "'+7 916 123-45-67": still readable, never evaluated. A plain
    number ("-5", "-1,5") cannot be a formula and stays a number.
    """
    text = "" if value is None else str(value)
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


def _joined(items: Any, show: Callable[[Any], str]) -> str:
    return ", ".join(show(item) for item in items.all())


def _common_columns() -> list[Column]:
    return [
        (_("Phones"), lambda r: _joined(r.phones, lambda p: p.display)),
        (_("Emails"), lambda r: _joined(r.emails, lambda e: e.address)),
        (_("Tags"), lambda r: ", ".join(sorted(t.name for t in r.tags.all()))),
        (_("Owner"), lambda r: str(r.owner) if r.owner else ""),
        (_("Branch"), lambda r: str(r.branch)),
        (_("Added"), lambda r: _date(r.created_at)),
        (_("Changed"), lambda r: _date(r.updated_at)),
    ]


def company_columns() -> list[Column]:
    def plain(name: str) -> Column:
        return (group_rules.verbose_name(Company, name), _getter(name))

    return [
        ("ID", lambda r: r.pk),
        *[plain(n) for n in ("name", "legal_form", "inn", "kpp", "ogrn")],
        (_("Status"), lambda r: r.get_status_display()),
        *[plain(n) for n in ("industry", "region", "city", "legal_address", "postal_address")],
        *[plain(n) for n in ("website", "source", "notes")],
        *_common_columns(),
    ]


def contact_columns() -> list[Column]:
    def plain(name: str) -> Column:
        return (group_rules.verbose_name(Contact, name), _getter(name))

    return [
        ("ID", lambda r: r.pk),
        *[plain(n) for n in ("last_name", "first_name", "middle_name")],
        (_("Birthday"), lambda r: _date(r.birthday)),
        (
            _("Companies"),
            lambda r: "; ".join(
                f"{job.company.name}, {job.position}" if job.position else job.company.name
                for job in r.employments.all()
            ),
        ),
        plain("address"),
        (
            _("Messengers"),
            lambda r: ", ".join(
                f"{m.get('kind', '')}: {m.get('handle', '')}" for m in r.messengers
            ),
        ),
        plain("preferences"),
        *_common_columns(),
    ]


def _getter(name: str) -> Callable[[Any], Any]:
    return lambda record: getattr(record, name)


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
        stored = record.custom_fields or {}
        values += [custom_cell(field, stored.get(field.code)) for field in fields]
        yield writer.writerow([safe_cell(value) for value in values])


def export_queryset(actor: User, kind: str, text: str, params: Mapping[str, Any]) -> QuerySet[Any]:
    """The list as the actor filtered it, narrowed to the records their role may export."""
    if kind == "company":
        return queries.companies(actor, text=text, params=params, action="export")
    # contacts() already prefetches phones, emails, employments and tags.
    return queries.contacts(
        actor, text=text, phone=str(params.get("phone", "")), params=params, action="export"
    )


def records_export(
    *, actor: User, kind: str, text: str, params: Mapping[str, Any], query_string: str
) -> tuple[int, Iterator[str]]:
    """Export the filtered company or contact list as CSV lines; records an "export" audit entry.

    A role without the "export" grant gets :class:`ForbiddenError`; records outside the
    export scope are left out even when the list shows them (e.g. shared ones).
    """
    entity = "companies" if kind == "company" else "contacts"
    if not access.has_any(actor, entity, "export"):
        raise ForbiddenError()
    queryset = export_queryset(actor, kind, text, params).order_by("-pk")
    total = queryset.count()
    audit.record(
        actor=actor,
        action="export",
        object_repr=_("Export: %(entity)s, %(count)d rows")
        % {"entity": Entity(entity).label, "count": total},
        changes={"entity": [None, entity], "filter": [None, query_string], "rows": [None, total]},
    )
    columns = company_columns() if kind == "company" else contact_columns()
    fields = list(CustomField.objects.filter(entity=entity).order_by("position", "id"))
    return total, csv_lines(queryset.iterator(chunk_size=CHUNK_SIZE), columns, fields)


def filter_params(params: Mapping[str, Any]) -> dict[str, Any]:
    """The filters of a list's query string (paging and view choice are not filters)."""
    return {key: params.get(key) for key in params if key not in NOT_FILTERS}
