"""Merging two records of one client into one: the survivor keeps chosen values and every link,
the other goes to the trash (restorable, its own audit trail intact).

Links are moved by "link movers", one per kind of link. Apps that link to companies or contacts
later (deals, tasks...) register their own with :func:`register_link_mover`, so a merge never
leaves their rows pointing at a record in the trash.
"""

from __future__ import annotations

from typing import Any, Protocol

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from kartoteka.accounts.models import User
from kartoteka.clients.models import Company, Contact, Employment, RelatedPerson
from kartoteka.clients.services import channels, companies, contacts, rule_effects
from kartoteka.core import access, audit, events, records, search
from kartoteka.core.errors import ConflictError, DomainError, ForbiddenError, NotFoundError
from kartoteka.core.models import AuditEntry, Record, RecordShare
from kartoteka.records import sharing

Changes = dict[str, list[Any]]
KEEP_SURVIVOR, KEEP_OTHER = "survivor", "other"


class LinkMover(Protocol):
    def __call__(self, *, actor: User, survivor: Any, other: Any) -> Changes: ...


#: entity ("companies" / "contacts") -> [(name, mover)], run in order inside the merge
_MOVERS: dict[str, list[tuple[str, LinkMover]]] = {"companies": [], "contacts": []}

#: scalar fields the user picks a value for; lists and custom fields are united instead
MERGED_FIELDS: dict[str, tuple[str, ...]] = {
    "companies": companies.FIELDS,
    "contacts": tuple(name for name in contacts.FIELDS if name != "messengers"),
}


def register_link_mover(entity: str, name: str, mover: LinkMover) -> None:
    """Have ``mover`` move ``name`` links from the merged-away record to the survivor.

    The mover runs inside the merge's transaction and returns changes for the survivor's audit
    entry (``{"deals": [before, after]}``) or ``{}``. Registering a name again replaces it.
    """
    movers = _MOVERS.setdefault(entity, [])
    movers[:] = [(known, m) for known, m in movers if known != name]
    movers.append((name, mover))


def link_movers(entity: str) -> list[tuple[str, LinkMover]]:
    return list(_MOVERS.get(entity, []))


def default_choices(survivor: Record, other: Record) -> dict[str, str]:
    """The survivor's value, unless it is empty and the other record has one."""
    choices = {}
    for name in MERGED_FIELDS[access.entity_of(type(survivor))]:
        mine, theirs = getattr(survivor, name), getattr(other, name)
        empty = mine in (None, "")
        choices[name] = KEEP_OTHER if empty and theirs not in (None, "") else KEEP_SURVIVOR
    return choices


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
    return _merge(actor, survivor, other, version, other_version, choices or {})


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
    return _merge(actor, survivor, other, version, other_version, choices or {})


def check_may_merge(actor: User, survivor: Record, other: Record) -> None:
    """May ``actor`` merge ``other`` into ``survivor``? Raise if not.

    Merging edits the survivor and sends the other record to the trash, so it takes "edit" on
    both and "delete" on the other. A record the actor may not edit is :class:`NotFoundError`
    (as everywhere a write is out of scope); one they see and edit but may not delete is
    :class:`ForbiddenError` with the reason. The other record's shares move to the survivor, so
    if it has any, the actor must also be allowed to share the survivor (its owner or an
    assigner): a share recipient does not pass shares on to a record they only borrow.
    """
    if not (access.can(actor, "edit", survivor) and access.can(actor, "edit", other)):
        raise NotFoundError()
    if not access.can(actor, "delete", other):
        raise ForbiddenError(
            _("Merging moves “%(name)s” to the trash, and you may not delete it.") % {"name": other}
        )
    if not sharing.may_share(actor, survivor) and _moving_shares(survivor, other):
        raise ForbiddenError(
            _(
                "“%(other)s” is shared with others; only the owner of “%(survivor)s” or someone "
                "who may reassign it can pass those shares on to it."
            )
            % {"other": other, "survivor": survivor}
        )


def _clean_choices(entity: str, choices: dict[str, str]) -> dict[str, str]:
    fields = MERGED_FIELDS[entity]
    problems = [
        _("%(field)s: unknown field.") % {"field": name} for name in choices if name not in fields
    ]
    problems += [
        _("%(field)s: choose “survivor” or “other”.") % {"field": name}
        for name, side in choices.items()
        if name in fields and side not in (KEEP_SURVIVOR, KEEP_OTHER)
    ]
    if problems:
        raise DomainError(fields={"keep": problems})
    return choices


def _merge(
    actor: User,
    survivor: Any,
    other: Any,
    version: int,
    other_version: int,
    choices: dict[str, str],
) -> Any:
    model = type(survivor)
    entity = access.entity_of(model)
    if type(other) is not model or survivor.pk == other.pk:
        raise DomainError(fields={"other": [_("Choose another record to merge with.")]})
    check_may_merge(actor, survivor, other)
    choices = _clean_choices(entity, choices)
    with transaction.atomic():
        # Lock both rows in id order, so two merges of the same pair cannot deadlock.
        locked = {
            row.pk: row
            for row in model.all_objects.select_for_update()
            .filter(pk__in=[survivor.pk, other.pk])
            .order_by("pk")
        }
        current_other = locked.get(other.pk)
        if current_other is None or current_other.deleted_at is not None:
            raise NotFoundError()
        if current_other.version != other_version:
            raise ConflictError(
                current_version=current_other.version,
                changes=audit.changes_since(current_other, other_version, viewer=actor),
                message=_("The record to merge in was changed since you loaded it."),
            )
        picked = {**default_choices(locked.get(survivor.pk, survivor), current_other), **choices}
        values = {
            name: getattr(current_other, name)
            for name, side in picked.items()
            if side == KEEP_OTHER
        }
        values.update(_united_values(entity, locked.get(survivor.pk, survivor), current_other))
        label = f"#{current_other.pk} «{current_other}»"

        def move_links(target: Any) -> Changes:
            changes: Changes = {}
            for _name, mover in link_movers(entity):
                changes.update(mover(actor=actor, survivor=target, other=current_other))
            # Named only to those who may see it (in the trash now: those who see the trash).
            changes["merged_with"] = [None, audit.link(current_other, label)]
            return changes

        # The survivor changed: group rules it newly matches act, in this audit entry. Its tags
        # after the merge are both records' (move_tags).
        fresh = locked.get(survivor.pk, survivor)
        united_tags = {tag.pk: tag for tag in [*fresh.tags.all(), *current_other.tags.all()]}
        merged = records.update_record(
            actor=actor,
            obj=survivor,
            version=version,
            values=values,
            related=move_links,
            follow=rule_effects.change_follow_up(list(united_tags.values())),
        )
        audit.record(
            actor=actor,
            action=AuditEntry.Action.UPDATE,
            obj=current_other,
            changes={"merged_into": [None, audit.link(merged, f"#{merged.pk} «{merged}»")]},
        )
        records.trash_record(actor=actor, obj=current_other)  # also takes it out of search
        events.merged(actor=actor, survivor=merged, other=current_other)
        search.index(merged)  # with what quotes it: people now at the merged company
    return merged


def _united_values(entity: str, survivor: Any, other: Any) -> dict[str, Any]:
    """Custom field values and messengers of both (the survivor's win where both have one)."""
    values: dict[str, Any] = {}
    custom = {**(other.custom_fields or {}), **(survivor.custom_fields or {})}
    if custom != survivor.custom_fields:
        values["custom_fields"] = custom
    if entity == "contacts":
        messengers = list(survivor.messengers or [])
        for item in other.messengers or []:
            if item not in messengers:
                messengers.append(item)
        if messengers != survivor.messengers:
            values["messengers"] = messengers
    return values


# --- link movers --------------------------------------------------------------------------------


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


def move_tags(*, actor: User, survivor: Any, other: Any) -> Changes:
    before = sorted(survivor.tags.values_list("name", flat=True))
    survivor.tags.add(*other.tags.all())
    other.tags.clear()
    after = sorted(survivor.tags.values_list("name", flat=True))
    return {"tags": [before, after]} if before != after else {}


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


def _moving_shares(survivor: Record, other: Record) -> list[RecordShare]:
    """The other record's shares whose target the survivor is not yet shared with (2 queries)."""
    content_type = ContentType.objects.get_for_model(type(survivor))
    shares = RecordShare.objects.filter(content_type=content_type)
    have = set(shares.filter(object_id=survivor.pk).values_list("user_id", "team_id", "branch_id"))
    return [
        share
        for share in shares.filter(object_id=other.pk).select_related("user", "team", "branch")
        if (share.user_id, share.team_id, share.branch_id) not in have
    ]


def move_shares(*, actor: User, survivor: Record, other: Record) -> Changes:
    """Whoever the other record was shared with now sees the survivor (same target once)."""
    moving = _moving_shares(survivor, other)
    if not moving:
        return {}
    RecordShare.objects.filter(pk__in=[share.pk for share in moving]).update(object_id=survivor.pk)
    return {"shared_with": [None, [str(share.target) for share in moving]]}


for _entity, _movers in (
    ("companies", (move_phones, move_emails, move_tags, move_company_people, move_shares)),
    (
        "contacts",
        (
            move_phones,
            move_emails,
            move_tags,
            move_contact_companies,
            move_related_persons,
            move_shares,
        ),
    ),
):
    for _mover in _movers:
        register_link_mover(_entity, _mover.__name__.removeprefix("move_"), _mover)
