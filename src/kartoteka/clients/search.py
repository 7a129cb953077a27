"""Companies and contacts in the search index: what each is found by and how a hit reads.

Found by: names (a company's also without its legal form and quotes), phones (any format, last
digits), emails, INN, tags, custom field values, city/address — and a contact by the name, INN
or phone of a company they work at, so a company's name finds its people.

A document holds only its own record's text. A contact is found through a company by matching
the company's link document (its name, legal form, INN and phones only:
:func:`company_documents_and_links`) and joining the contact's employments there (:func:`people_at`,
given only the companies the user may see): quoting employers' names in the contact's document
would let anyone find their own contact by the name of a company they may not see, and a match
cannot tell which part of a document it came from. The link document leaves a company's city,
emails, tags and custom fields out: "Виктор Москва" means a Виктор who lives in Moscow, not any
Виктор employed by one of the 90,000 companies there.

Each contact also has a *wide* document (kind ``contact_wide``): its own text followed by the
link documents of the companies it works at (:func:`jobs_of`). Only a user who may see every
company searches lists by it — for them nothing in it is hidden — in one match of one document
a row, instead of a match per company.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from django.db.models import F, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.urls import reverse
from django.utils.translation import gettext as _

from kartoteka.clients import queries
from kartoteka.clients.models import (
    Company,
    CompanyEmail,
    CompanyPhone,
    Contact,
    ContactEmail,
    ContactPhone,
    Employment,
)
from kartoteka.clients.models.channels import SUFFIX
from kartoteka.core import search
from kartoteka.core.prefetch import prefetched, remembered
from kartoteka.core.records import reads_back_as_is
from kartoteka.core.search.text import document_text, phone_digits

Values = dict[int, list[Any]]
_DIGITS_ONLY = re.compile(r"[\d\s().\-]+")


def _custom_values(custom: Any) -> list[Any]:
    if not isinstance(custom, dict):
        return []
    values: list[Any] = []
    for value in custom.values():
        if isinstance(value, list):
            values.extend(value)
        elif not isinstance(value, bool):  # "true" finds nothing a person would look for
            values.append(value)
    return values


def _among(field: str, ids: Sequence[int]) -> Q:
    """``field`` is one of ``ids``: as a range when they are dense (a rebuild walks the table in
    order), which spares the database thousands of parameters; callers drop rows in the gaps."""
    low, high = min(ids), max(ids)
    if high - low < 2 * len(ids):
        return Q(**{f"{field}__gte": low, f"{field}__lte": high})
    return Q(**{f"{field}__in": list(ids)})


def _grouped(rows: Any) -> Values:
    grouped: Values = defaultdict(list)
    for owner_id, value in rows:
        grouped[owner_id].append(value)
    return grouped


def company_documents_and_links(ids: Sequence[int]) -> tuple[dict[int, str], dict[int, str]]:
    """Companies' documents and their link documents (what their people are found through them
    by: name, legal form, INN and phones), from one read of their rows and lists."""
    phones = _grouped(
        CompanyPhone.objects.filter(_among("company_id", ids)).values_list("company_id", "number")
    )
    emails = _grouped(
        CompanyEmail.objects.filter(_among("company_id", ids)).values_list("company_id", "address")
    )
    tags = _grouped(
        Company.tags.through.objects.filter(_among("company_id", ids)).values_list(
            "company_id", "tag__name"
        )
    )
    texts, links = {}, {}
    rows = Company.objects.filter(_among("pk", ids)).values_list(
        "pk", "name", "legal_form", "inn", "city", "region", "custom_fields"
    )
    wanted = set(ids)
    for pk, name, legal_form, inn, city, region, custom in rows:
        if pk not in wanted:
            continue
        texts[pk] = document_text(
            [
                name,
                legal_form,
                inn,
                city,
                region,
                *(phone_digits(number) for number in phones[pk]),
                *emails[pk],
                *tags[pk],
                *_custom_values(custom),
            ]
        )
        links[pk] = _link_text(name, legal_form, inn, phones[pk])
    return texts, links


def company_documents(ids: Sequence[int]) -> dict[int, str]:
    return company_documents_and_links(ids)[0]


def company_document(company: Company) -> str | None:
    """:func:`company_documents`' text of a company as its creation wrote it, from the record
    and the lists left on it; None when they are not all there (or would read back otherwise)."""
    lists = _as_written(company)
    if lists is None:
        return None
    return document_text(
        [
            company.name,
            company.legal_form,
            company.inn,
            company.city,
            company.region,
            *(phone_digits(phone.number) for phone in lists["phones"]),
            *(email.address for email in lists["emails"]),
            *(tag.name for tag in lists["tags"]),
            *_custom_values(company.custom_fields),
        ]
    )


def _link_text(name: str, legal_form: str, inn: str, phones: Sequence[str]) -> str:
    return document_text([name, legal_form, inn, *(phone_digits(number) for number in phones)])


def company_link_document(company: Company) -> str | None:
    """:func:`company_documents_and_links`' link text of a company as its creation wrote it (see
    :func:`company_document`)."""
    lists = _as_written(company)
    if lists is None:
        return None
    numbers = [phone.number for phone in lists["phones"]]
    return _link_text(company.name, company.legal_form, company.inn, numbers)


def contact_documents(ids: Sequence[int]) -> dict[int, str]:
    phones = _grouped(
        ContactPhone.objects.filter(_among("contact_id", ids)).values_list("contact_id", "number")
    )
    emails = _grouped(
        ContactEmail.objects.filter(_among("contact_id", ids)).values_list("contact_id", "address")
    )
    tags = _grouped(
        Contact.tags.through.objects.filter(_among("contact_id", ids)).values_list(
            "contact_id", "tag__name"
        )
    )
    texts = {}
    rows = Contact.objects.filter(_among("pk", ids)).values_list(
        "pk", "last_name", "first_name", "middle_name", "address", "messengers", "custom_fields"
    )
    wanted = set(ids)
    for pk, last, first, middle, address, messengers, custom in rows:
        if pk not in wanted:
            continue
        handles = [m.get("handle") for m in messengers or [] if isinstance(m, dict)]
        texts[pk] = document_text(
            [
                last,
                first,
                middle,
                address,
                *(phone_digits(number) for number in phones[pk]),
                *emails[pk],
                *tags[pk],
                *handles,
                *_custom_values(custom),
            ]
        )
    return texts


def contact_document(contact: Contact) -> str | None:
    """:func:`contact_documents`' text of a person as their creation wrote them (see
    :func:`company_document`)."""
    lists = _as_written(contact)
    if lists is None:
        return None
    messengers = contact.messengers
    handles = [m.get("handle") for m in messengers or [] if isinstance(m, dict)]
    return document_text(
        [
            contact.last_name,
            contact.first_name,
            contact.middle_name,
            contact.address,
            *(phone_digits(phone.number) for phone in lists["phones"]),
            *(email.address for email in lists["emails"]),
            *(tag.name for tag in lists["tags"]),
            *handles,
            *_custom_values(contact.custom_fields),
        ]
    )


def _as_written(record: Any) -> dict[str, list[Any]] | None:
    """The phones, emails and tags left on ``record`` by the write that created it, when the
    document made from them and the record is the one ``*_documents`` would read back: every
    list there, at most one tag (the database returns several in an order of its own), and
    JSON values the database gives back as they are (``records.reads_back_as_is``)."""
    lists = remembered(record, "phones", "emails", "tags")
    if lists is None or len(lists["tags"]) > 1 or record.deleted_at is not None:
        return None
    if not all(
        reads_back_as_is(getattr(record, name, None)) for name in ("custom_fields", "messengers")
    ):
        return None
    return lists


def people_at(companies: QuerySet[Any]) -> QuerySet[Any]:
    """Ids of contacts working at ``companies`` (a subquery of ids of companies the searching
    user may see, whose link documents matched): a contact is found through a company by its
    name, INN or phone."""
    return Employment.objects.filter(company_id__in=companies).order_by().values("contact_id")


def phone_ending(text: str) -> str:
    """The digits of ``text`` when it is only digits (spaces, dashes... allowed) and at least
    :data:`SUFFIX` of them: the last digits of a phone someone remembers; else ""."""
    if not text or not _DIGITS_ONLY.fullmatch(text):
        return ""
    digits = "".join(ch for ch in text if ch.isdigit())
    return digits if len(digits) >= SUFFIX else ""


def _ending_with(phone_model: Any, digits: str) -> QuerySet[Any]:
    """Phones whose number ends with ``digits``: through the index of their last four digits,
    then the rest of the ending checked on those few rows only."""
    phones = phone_model.objects.filter(last_digits=digits[-SUFFIX:])
    if len(digits) > SUFFIX:
        phones = phones.filter(number__endswith=digits)
    return phones


def _exact(phone_model: Any, email_model: Any, owner: str, text: str) -> Q | None:
    text = text.strip()
    condition = Q()
    phone = queries.phone_or_none(text) if any(ch.isdigit() for ch in text) else None
    if phone:
        # IN over the number index, not EXISTS per row: the database starts from the phone.
        condition |= Q(pk__in=phone_model.objects.filter(number=phone).values(f"{owner}_id"))
    ending = phone_ending(text)
    if ending:
        # "7969": numbers ending with it rank first, before those merely containing it.
        condition |= Q(pk__in=_ending_with(phone_model, ending).values(f"{owner}_id"))
    if "@" in text and " " not in text:
        addresses = {text, text.lower()}
        condition |= Q(
            pk__in=email_model.objects.filter(address__in=addresses).values(f"{owner}_id")
        )
    return condition or None


def company_exact(text: str) -> Q | None:
    condition = _exact(CompanyPhone, CompanyEmail, "company", text)
    inn = text.replace(" ", "")
    if inn.isdigit() and len(inn) in (10, 12):
        condition = (condition or Q()) | Q(inn=inn)
    return condition


def contact_exact(text: str) -> Q | None:
    return _exact(ContactPhone, ContactEmail, "contact", text)


def _channels(record: Any) -> tuple[tuple[str, str], ...]:
    """Phones and emails of a hit as (label, value), from the prefetched lists."""
    phones = [(_("Phone"), phone.display) for phone in prefetched(record, "phones")]
    emails = [(_("Email"), email.address) for email in prefetched(record, "emails")]
    return (*phones, *emails)


def company_hit(company: Company) -> search.Hit:
    inn = f"{_('INN')} {company.inn}" if company.inn else ""
    details = [company.city, company.first_phone, inn]
    return search.Hit(
        id=company.pk,
        type="company",
        title=company.name,
        subtitle=" · ".join(part for part in details if part),
        url=reverse("clients:company-detail", args=[company.pk]),
        fields=(*_channels(company), *([(_("INN"), company.inn)] if company.inn else [])),
    )


def contact_hit(contact: Contact) -> search.Hit:
    # Prefetched under the access rule (queries.contact_hits): hidden and trashed ones left out.
    jobs = [job.company.name for job in prefetched(contact, "employments")]
    details = [", ".join(jobs), contact.first_phone]
    return search.Hit(
        id=contact.pk,
        type="contact",
        title=contact.full_name,
        subtitle=" · ".join(part for part in details if part),
        url=reverse("clients:contact-detail", args=[contact.pk]),
        fields=_channels(contact),
    )


def company_source() -> search.Source:
    """How companies are found (``RecordKind.search``)."""
    return search.Source(
        kind="company",
        group="companies",
        model=Company,
        documents=company_documents,
        document=company_document,
        listing=queries.company_hits,
        hit=company_hit,
        ordering=("name", "pk"),
        names=("name",),
        exact=company_exact,
        documents_and_links=company_documents_and_links,
        link_document=company_link_document,
    )


def jobs_of(contacts: Sequence[int] | RawSQL) -> QuerySet[Any]:
    """(contact, company) id pairs of these contacts' employments, as ``record`` and ``linked``."""
    return Employment.objects.filter(contact_id__in=contacts).values(
        record=F("contact_id"), linked=F("company_id")
    )


def works_nowhere(contact: Contact) -> bool:
    """Did the write that created ``contact`` leave it with no employment?"""
    jobs = remembered(contact, "employments")
    return jobs is not None and not jobs["employments"]


def contact_source() -> search.Source:
    """How contacts are found: also through the companies they work at."""
    return search.Source(
        kind="contact",
        group="contacts",
        model=Contact,
        documents=contact_documents,
        document=contact_document,
        listing=queries.contact_hits,
        hit=contact_hit,
        ordering=("last_name", "first_name", "pk"),
        names=("last_name", "first_name"),
        exact=contact_exact,
        found_through=((Company, people_at),),
        link_pairs=((Company, jobs_of),),
        links_none=works_nowhere,
    )
