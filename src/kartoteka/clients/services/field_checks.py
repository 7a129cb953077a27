"""The card file's fields in the one per-field check (:mod:`kartoteka.core.field_rules`).

Registered once (``ClientsConfig.ready``): INN, KPP and OGRN are typed with spaces and stored
without (custom field values are checked by the records app, for every kind). A form, the API
and a bulk change of the field then accept and refuse the same values.
"""

from __future__ import annotations

from typing import Any

from kartoteka.clients.models import Company
from kartoteka.core import field_rules

#: company numbers people type in groups ("77 07 08 33 93") and that are stored as digits
DIGIT_FIELDS = ("inn", "kpp", "ogrn")


def without_spaces(value: Any) -> Any:
    if value is None:  # "no number" is stored as an empty one
        return ""
    return value.replace(" ", "") if isinstance(value, str) else value


def register() -> None:
    for name in DIGIT_FIELDS:
        field_rules.register_normaliser(Company, name, without_spaces)
