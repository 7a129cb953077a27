"""Company writes."""

from __future__ import annotations

from typing import Any

from kartoteka.accounts.models import User
from kartoteka.clients.models import Company
from kartoteka.clients.services import channels, common
from kartoteka.core.prefetch import remember, remembered

FIELDS = (
    "name",
    "legal_form",
    "inn",
    "kpp",
    "ogrn",
    "industry",
    "region",
    "city",
    "legal_address",
    "postal_address",
    "website",
    "source",
    "status",
    "notes",
)
#: a company's lists of rows (the relations' names)
LISTS = ("phones", "emails", "tags")


def _prepare(actor: User, values: dict[str, Any], current: Company | None) -> common.Plan:
    errors: common.Errors = {}
    scalars, lists = common.split(Company, values, FIELDS, common.LIST_KEYS, errors)
    cleaned = common.clean_common_lists(
        "companies", lists, errors, current.custom_fields if current else None
    )
    if "custom_fields" in cleaned:
        scalars["custom_fields"] = cleaned.pop("custom_fields")

    fresh = current is None  # a company being created has no lists to replace yet

    def write(company: Company) -> dict[str, list[Any]]:
        changes: dict[str, list[Any]] = {}
        if "phones" in cleaned:
            changes.update(
                channels.write_phones(company, "company", cleaned["phones"], fresh=fresh)
            )
        if "emails" in cleaned:
            changes.update(
                channels.write_emails(company, "company", cleaned["emails"], fresh=fresh)
            )
        if "tags" in cleaned:
            changes.update(channels.write_tags(company, cleaned["tags"], fresh=fresh))
        if fresh:
            # A new company has no rows in the lists not sent: known without asking.
            for name in LISTS:
                if remembered(company, name) is None:
                    remember(company, name, [])
        return changes

    return common.Plan(scalars=scalars, lists=cleaned, errors=errors, writer=write)


def company_create(*, actor: User, values: dict[str, Any]) -> Company:
    """Create a company with its phones, emails, tags and custom fields.

    Owner defaults to the actor and branch to the owner's; every bad field is reported at once,
    and a refused company writes nothing (not even a new tag it names).
    """
    return common.create(actor, Company, _prepare(actor, values, None))


def company_update(
    *, actor: User, company: Company, version: int, values: dict[str, Any]
) -> Company:
    """Edit a company if ``version`` is current; lists sent replace the stored ones.

    Changing the owner or branch needs the "assign" grant.
    """
    return common.update(actor, company, version, _prepare(actor, values, company))
