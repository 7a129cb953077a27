"""Contact writes."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from kartoteka.accounts.models import User
from kartoteka.clients import queries
from kartoteka.clients.models import Company, Contact, Employment
from kartoteka.clients.services import channels, common
from kartoteka.core import access, audit
from kartoteka.core.ids import parse_id
from kartoteka.core.prefetch import remember, remembered

FIELDS = (
    "last_name",
    "first_name",
    "middle_name",
    "birthday",
    "address",
    "messengers",
    "preferences",
    "email_consent",
)
LIST_KEYS = (*common.LIST_KEYS, "companies", "employments", "related_persons")
#: a contact's lists of rows (the relations' names)
LISTS = ("phones", "emails", "tags", "employments", "related_persons")


def _employments(actor: User, raw: list[Any], errors: common.Errors) -> list[dict[str, Any]]:
    """[company or id or {"company": ..., "position": ...}] → checked employments.

    A relation picker is scoped too: a company the actor cannot see is refused like a missing one.
    """
    result: list[dict[str, Any]] = []
    for item in raw:
        entry = item if isinstance(item, dict) else {"company": item}
        company = entry.get("company")
        if not isinstance(company, Company):
            pk = parse_id(company)
            company = Company.objects.filter(pk=pk).first() if pk is not None else None
        if (
            company is None
            or company.deleted_at is not None
            or not access.can(actor, "view", company)
        ):
            errors.setdefault("companies", []).append(_("Choose a company from the list."))
            continue
        if company.pk not in [e["company"].pk for e in result]:
            result.append(
                {"company": company, "position": str(entry.get("position") or "").strip()}
            )
    return result


def job_label(company: Company, position: str) -> dict[str, Any]:
    """An employment as the audit trail names it (the company's name only to those who may see
    the company)."""
    return audit.link(company, f"{company.name} — {position}".rstrip(" —"))


def write_employments(
    actor: User, contact: Contact, employments: list[dict[str, Any]], *, fresh: bool = False
) -> dict[str, list[Any]]:
    """Replace the contact's employments that ``actor`` may see with ``employments``.

    Links to companies the actor cannot see (another's, or in the trash) are neither shown to
    them nor theirs to remove: they stay as they are, and come back into view when the
    company does (restored from the trash, shared). A ``fresh`` contact (being created) has
    none to read or remove.
    """
    seen = [] if fresh else list(queries.jobs(actor).filter(contact=contact))
    before = [job_label(job.company, job.position) for job in seen]
    if seen:
        Employment.objects.filter(pk__in=[job.pk for job in seen]).delete()
    written = Employment.objects.bulk_create(
        [
            Employment(contact=contact, company=e["company"], position=e.get("position", ""))
            for e in employments
        ]
    )
    if fresh:
        # Every company was checked visible to the actor: the list as they may read it.
        remember(contact, "employments", written)
    after = [job_label(e["company"], e.get("position", "")) for e in employments]
    return {"companies": [before, after]} if before != after else {}


def _prepare(actor: User, values: dict[str, Any], current: Contact | None) -> common.Plan:
    errors: common.Errors = {}
    scalars, lists = common.split(Contact, values, FIELDS, LIST_KEYS, errors)
    cleaned = common.clean_common_lists(
        "contacts", lists, errors, current.custom_fields if current else None
    )
    if "custom_fields" in cleaned:
        scalars["custom_fields"] = cleaned.pop("custom_fields")
    if "employments" in lists or "companies" in lists:
        cleaned["employments"] = _employments(
            actor, list(lists.get("employments") or lists.get("companies") or []), errors
        )
    if "related_persons" in lists:
        cleaned["related_persons"] = channels.clean_related_persons(
            list(lists["related_persons"] or []), errors
        )
    if "messengers" in scalars:
        raw = scalars["messengers"]
        if raw is not None and not isinstance(raw, list):
            errors["messengers"] = [_("A list of messengers, each with a kind and a handle.")]
            raw = []
        scalars["messengers"] = channels.clean_messengers(list(raw or []), errors)

    fresh = current is None  # a person being created has no lists to replace yet

    def write(contact: Contact) -> dict[str, list[Any]]:
        changes: dict[str, list[Any]] = {}
        if "phones" in cleaned:
            changes.update(
                channels.write_phones(contact, "contact", cleaned["phones"], fresh=fresh)
            )
        if "emails" in cleaned:
            changes.update(
                channels.write_emails(contact, "contact", cleaned["emails"], fresh=fresh)
            )
        if "tags" in cleaned:
            changes.update(channels.write_tags(contact, cleaned["tags"], fresh=fresh))
        if "employments" in cleaned:
            changes.update(write_employments(actor, contact, cleaned["employments"], fresh=fresh))
        if "related_persons" in cleaned:
            changes.update(
                channels.write_related_persons(contact, cleaned["related_persons"], fresh=fresh)
            )
        if fresh:
            # A new person has no rows in the lists not sent: known without asking.
            for name in LISTS:
                if remembered(contact, name) is None:
                    remember(contact, name, [])
        return changes

    return common.Plan(scalars=scalars, lists=cleaned, errors=errors, writer=write)


def contact_create(*, actor: User, values: dict[str, Any]) -> Contact:
    """Create a person, with phones, emails, companies (with positions), relatives, tags."""
    return common.create(actor, Contact, _prepare(actor, values, None))


def contact_update(
    *, actor: User, contact: Contact, version: int, values: dict[str, Any]
) -> Contact:
    """Edit a person if ``version`` is current; lists sent replace the stored ones."""
    return common.update(actor, contact, version, _prepare(actor, values, contact))
