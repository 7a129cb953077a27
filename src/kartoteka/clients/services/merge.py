"""Merging two companies or two contacts: the card file's link movers (phones, emails, people,
companies, related persons), on top of the platform's :mod:`kartoteka.records.services.merge`.

Apps that link to companies or contacts later (deals, tasks...) register their own movers with
:func:`kartoteka.core.kinds.register_link_mover`.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Max

from kartoteka.accounts.models import User
from kartoteka.clients.models import Company, Contact, Employment, RelatedPerson
from kartoteka.clients.services import channels, contacts
from kartoteka.core import audit
from kartoteka.core.kinds import LinkMover
from kartoteka.core.models import Record
from kartoteka.records.services.merge import (
    KEEP_OTHER,
    KEEP_SURVIVOR,
    Changes,
    check_may_merge,
    default_choices,
    move_shares,
    move_tags,
    record_merge,
)

__all__ = [
    "KEEP_OTHER",
    "KEEP_SURVIVOR",
    "check_may_merge",
    "company_merge",
    "contact_merge",
    "default_choices",
]


def company_merge(
    *,
    actor: User,
    survivor: Company,
    other: Company,
    version: int,
    other_version: int,
    choices: dict[str, str] | None = None,
) -> Company:
    """Merge ``other`` into ``survivor``: chosen values, all phones, emails, tags, people, shares.

    ``choices`` maps a field to "survivor" or "other"; unnamed fields follow
    :func:`default_choices`. Who may merge is :func:`check_may_merge`'s rule (404 or 403); each
    version must be current (else 409). ``other`` goes to the trash, from where it can be
    restored. Group rules the survivor newly matches (a city taken from ``other``, a tag it
    brought) act too.
    """
    return record_merge(
        actor=actor,
        survivor=survivor,
        other=other,
        version=version,
        other_version=other_version,
        choices=choices,
    )


def contact_merge(
    *,
    actor: User,
    survivor: Contact,
    other: Contact,
    version: int,
    other_version: int,
    choices: dict[str, str] | None = None,
) -> Contact:
    """Merge ``other`` into ``survivor``: chosen values, all phones, emails, tags, companies,
    related persons, messengers and shares. Same rules as :func:`company_merge`."""
    return record_merge(
        actor=actor,
        survivor=survivor,
        other=other,
        version=version,
        other_version=other_version,
        choices=choices,
    )


def _owner_field(record: Record) -> str:
    return "company" if isinstance(record, Company) else "contact"


def _next_position(manager: Any) -> int:
    return int(manager.aggregate(top=Max("position"))["top"] or 0) + 1


def move_phones(*, actor: User, survivor: Any, other: Any) -> Changes:
    """The other's numbers the survivor lacks, appended after the survivor's own."""
    before = channels.phones_display(survivor)
    have = set(survivor.phones.values_list("number", flat=True))
    moving = [phone for phone in other.phones.all() if phone.number not in have]
    if not moving:
        return {}
    start, field = _next_position(survivor.phones), _owner_field(survivor)
    for offset, phone in enumerate(moving):
        setattr(phone, field, survivor)
        phone.position = start + offset
    type(moving[0]).objects.bulk_update(moving, [field, "position"])
    return {"phones": [before, channels.phones_display(survivor)]}


def move_emails(*, actor: User, survivor: Any, other: Any) -> Changes:
    """The other's addresses the survivor lacks (compared ignoring case)."""
    before = [f"{e.address} ({e.kind})" for e in survivor.emails.all()]
    have = {address.lower() for address in survivor.emails.values_list("address", flat=True)}
    moving = [email for email in other.emails.all() if email.address.lower() not in have]
    if not moving:
        return {}
    start, field = _next_position(survivor.emails), _owner_field(survivor)
    for offset, email in enumerate(moving):
        setattr(email, field, survivor)
        email.position = start + offset
    type(moving[0]).objects.bulk_update(moving, [field, "position"])
    return {"emails": [before, [f"{e.address} ({e.kind})" for e in survivor.emails.all()]]}


def _move_employments(survivor_side: dict[str, Any], other_side: dict[str, Any], key: str) -> int:
    """Re-point employments; where the survivor already has the pair, keep one (with a position).

    ``key`` is the far end of the link ("contact" for a company's people, "company" for a
    contact's companies). Returns how many links were moved or folded.
    """
    existing = {
        getattr(job, f"{key}_id"): job for job in Employment.objects.filter(**survivor_side)
    }
    moved = 0
    for job in Employment.objects.filter(**other_side):
        twin = existing.get(getattr(job, f"{key}_id"))
        if twin is None:
            Employment.objects.filter(pk=job.pk).update(**survivor_side)
        else:
            if not twin.position and job.position:
                Employment.objects.filter(pk=twin.pk).update(position=job.position)
            job.delete()
        moved += 1
    return moved


def move_company_people(*, actor: User, survivor: Company, other: Company) -> Changes:
    names = list(
        Employment.objects.filter(company=other)
        .select_related("contact")
        .order_by("contact__last_name")
        .values_list("contact_id", "contact__last_name", "contact__first_name")[:50]
    )
    if not _move_employments({"company": survivor}, {"company": other}, "contact"):
        return {}
    # Named in the trail only to those who may see each person (audit.link).
    people = [audit.link(Contact(pk=pk), f"{last} {first}".strip()) for pk, last, first in names]
    return {"people": [None, people]}


def move_contact_companies(*, actor: User, survivor: Contact, other: Contact) -> Changes:
    def shown(contact: Contact) -> list[dict[str, Any]]:
        return [
            contacts.job_label(job.company, job.position)
            for job in Employment.objects.filter(contact=contact).select_related("company")
        ]

    before = shown(survivor)
    if not _move_employments({"contact": survivor}, {"contact": other}, "company"):
        return {}
    after = shown(survivor)
    return {"companies": [before, after]} if before != after else {}


def move_related_persons(*, actor: User, survivor: Contact, other: Contact) -> Changes:
    def key(person: RelatedPerson) -> tuple[str, str]:
        return (person.name.strip().lower().replace("ё", "е"), person.relation)

    have = {key(person) for person in survivor.related_persons.all()}
    moving = [p.pk for p in other.related_persons.all() if key(p) not in have]
    if not moving:
        return {}
    before = [str(person) for person in survivor.related_persons.all()]
    RelatedPerson.objects.filter(pk__in=moving).update(contact=survivor)
    return {"related_persons": [before, [str(p) for p in survivor.related_persons.all()]]}


#: What a merge moves, in order, for each kind (``RecordKind.link_movers``).
COMPANY_MOVERS: tuple[tuple[str, LinkMover], ...] = (
    ("phones", move_phones),
    ("emails", move_emails),
    ("tags", move_tags),
    ("company_people", move_company_people),
    ("shares", move_shares),
)
CONTACT_MOVERS: tuple[tuple[str, LinkMover], ...] = (
    ("phones", move_phones),
    ("emails", move_emails),
    ("tags", move_tags),
    ("contact_companies", move_contact_companies),
    ("related_persons", move_related_persons),
    ("shares", move_shares),
)
