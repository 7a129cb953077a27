"""The columns a user can choose for the company and contact lists."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from kartoteka.records.models import CustomField


@dataclass(frozen=True)
class Column:
    key: str
    label: str | Promise
    sort: str = ""


COLUMNS: dict[str, list[Column]] = {
    "company": [
        Column("inn", _("INN")),
        Column("phone", _("Phone")),
        Column("email", _("Email")),
        Column("city", _("City"), "city"),
        Column("status", _("Status"), "status"),
        Column("industry", _("Industry")),
        Column("source", _("Source")),
        Column("owner", _("Owner")),
        Column("branch", _("Branch")),
        Column("created", _("Created"), "created"),
    ],
    "contact": [
        Column("company", _("Company")),
        Column("phone", _("Phone")),
        Column("email", _("Email")),
        Column("birthday", _("Birthday")),
        Column("owner", _("Owner")),
        Column("branch", _("Branch")),
        Column("created", _("Created"), "created"),
    ],
}
DEFAULT = {
    "company": ["inn", "phone", "city", "status", "owner", "branch"],
    "contact": ["company", "phone", "birthday", "owner", "branch"],
}


def chosen(
    kind: str, custom_fields: Iterable[CustomField], params: Mapping[str, Any]
) -> tuple[list[str], list[CustomField]]:
    """Column keys from ``?cols=`` (repeatable), else the defaults; plus chosen custom fields
    (out of ``custom_fields``, the entity's definitions the page already read)."""
    getlist = getattr(params, "getlist", None)
    requested = [c for c in (getlist("cols") if getlist else []) if c]
    if not requested:
        return DEFAULT[kind], []
    known = {column.key for column in COLUMNS[kind]}
    custom = {f"cf_{field.code}": field for field in custom_fields}
    keys = [key for key in requested if key in known]
    return keys, [custom[key] for key in requested if key in custom]
