"""The rows of the companies and contacts list pages, made in Python.

A list page shows 50 rows of up to a dozen cells; made by the template engine, each cell's
``{% if %}``, lookups, filters and escapes cost about 190 µs a row, most of the page's time.
Here each chosen column is one small function from a record to its ``<td>``, escaped by
``row_html``, and each row one ``<tr>``; the template keeps the table and its header.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from kartoteka.core.prefetch import prefetched
from kartoteka.core.templatetags.kartoteka import custom_value, first_email, tag_badges
from kartoteka.core.web import row_html, url_for_ids

#: a column's cell: (the record, the column's label) -> ``<td>…</td>``
Cell = Callable[[Any, str], SafeString]


@dataclass(frozen=True)
class Page:
    """What every row of one page shares."""

    #: the chosen columns' keys, and each column's heading
    columns: Sequence[str]
    labels: dict[str, str]
    custom_columns: Sequence[Any]
    #: rows can be picked for bulk work (a tick box in each)
    pick: bool


def _clip(css: str, label: str, value: Any) -> SafeString:
    return row_html(
        '<td class="{}" data-label="{}"><span class="clip" title="{}">{}</span></td>',
        css,
        label,
        value,
        value,
    )


def _nowrap(css: str, label: str, value: Any) -> SafeString:
    return row_html('<td class="{} nowrap" data-label="{}">{}</td>', css, label, value)


def _day(moment: Any) -> str:
    """``|date:"d.m.Y"``: a moment in the site's time zone, a date as it is, nothing as "".
    Formatted here: Django's date formatting took ~15 µs a cell, a page has a hundred."""
    if moment is None:
        return ""
    if hasattr(moment, "tzinfo") and timezone.is_aware(moment):
        moment = timezone.localtime(moment)
    return f"{moment.day:02}.{moment.month:02}.{moment.year:04}"


def _owner(record: Any, label: str) -> SafeString:
    owner = record.owner
    return row_html(
        '<td class="cell-owner" data-label="{}"><span class="clip" title="{}">{}</span></td>',
        label,
        owner or "",
        owner or "—",
    )


def _companies(contact: Any, label: str) -> SafeString:
    jobs = prefetched(contact, "employments")
    if not jobs:
        return row_html(
            '<td class="cell-company" data-label="{}"><span class="muted">—</span></td>', label
        )
    title = "; ".join(
        f"{job.company.name}, {job.position}" if job.position else job.company.name for job in jobs
    )
    shown = SafeString(
        "; ".join(
            row_html('{}, <span class="muted">{}</span>', job.company.name, job.position)
            if job.position
            else row_html("{}", job.company.name)
            for job in jobs
        )
    )
    return row_html(
        '<td class="cell-company" data-label="{}"><span class="clip" title="{}">{}</span></td>',
        label,
        title,
        shown,
    )


_SHARED: dict[str, Cell] = {
    "phone": lambda r, label: _nowrap("cell-phone", label, r.first_phone),
    "email": lambda r, label: _clip("cell-email", label, first_email(r)),
    "owner": _owner,
    "branch": lambda r, label: _clip("cell-branch", label, r.branch),
    "created": lambda r, label: _nowrap("cell-created", label, _day(r.created_at)),
}

#: each kind's columns in the order the page shows them
CELLS: dict[str, dict[str, Cell]] = {
    "company": {
        "inn": lambda r, label: _nowrap("cell-inn", label, r.inn),
        "phone": _SHARED["phone"],
        "email": _SHARED["email"],
        "city": lambda r, label: _clip("cell-city", label, r.city),
        "status": lambda r, label: _clip(
            "cell-status", label, capfirst(str(r.get_status_display()))
        ),
        "industry": lambda r, label: _clip("cell-industry", label, r.industry),
        "source": lambda r, label: _clip("cell-source", label, r.source),
        "owner": _SHARED["owner"],
        "branch": _SHARED["branch"],
        "created": _SHARED["created"],
    },
    "contact": {
        "company": _companies,
        "phone": _SHARED["phone"],
        "email": _SHARED["email"],
        "birthday": lambda r, label: _nowrap("cell-birthday", label, _day(r.birthday)),
        "owner": _SHARED["owner"],
        "branch": _SHARED["branch"],
        "created": _SHARED["created"],
    },
}


def rows(kind: str, records: Iterable[Any], page: Page) -> list[SafeString]:
    """The list page's ``<tr>`` of each of ``records`` (companies or contacts), with the
    chosen columns."""
    chosen = [(cell, page.labels[key]) for key, cell in CELLS[kind].items() if key in page.columns]
    custom = [(field, str(field.label)) for field in page.custom_columns]
    detail = url_for_ids(f"clients:{kind}-detail")
    select_label = _("Select")
    name_label = _("Name") if kind == "company" else pgettext("person", "Name")
    made = []
    for record in records:
        cells = [cell(record, label) for cell, label in chosen]
        cells += [
            row_html(
                '<td data-label="{}"><span class="clip" title="{}">{}</span></td>',
                label,
                value,
                value,
            )
            for field, label in custom
            for value in (custom_value(record, field),)
        ]
        name = record.name if kind == "company" else record.full_name
        pick = (
            row_html(
                '<td class="pick"><input type="checkbox" name="ids" value="{}" form="bulk-form" '
                'data-bulk-row aria-label="{} {}"></td>',
                record.pk,
                select_label,
                record,
            )
            if page.pick
            else ""
        )
        made.append(
            row_html(
                '<tr class="list-row" data-id="{}">{}<td class="cell-name" data-label="{}">'
                '<div class="name-line"><a class="clip" title="{}" href="{}">{}</a> {}</div>'
                "</td>{}</tr>",
                record.pk,
                pick,
                name_label,
                name,
                detail(record.pk),
                name,
                tag_badges(record),
                mark_safe("".join(cells)),  # noqa: S308 - each cell is row_html's
            )
        )
    return made
