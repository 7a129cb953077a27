"""Companies and contacts: the card file's record kinds, registered in ClientsConfig.ready."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from kartoteka.accounts.builtin_roles import SALES_RECORD
from kartoteka.clients import duplicates, fields, queries
from kartoteka.clients.models import Company, Contact
from kartoteka.clients.search import company_source, contact_source
from kartoteka.clients.services import companies, contacts, merge
from kartoteka.core import kinds


def company_kind() -> kinds.RecordKind:
    return kinds.RecordKind(
        model=Company,
        entity="companies",
        code="company",
        label=Company._meta.verbose_name,
        plural=Company._meta.verbose_name_plural,
        list_url="clients:company-list",
        detail_url="clients:company-detail",
        fields=fields.COMPANY_FIELDS,
        create_url="clients:company-create",
        create_label=_("New company"),
        columns=fields.COMPANY_COLUMNS,
        default_columns=fields.COMPANY_DEFAULT_COLUMNS,
        search=company_source(),
        listing=queries.companies,
        link_movers=merge.COMPANY_MOVERS,
        merged_fields=companies.FIELDS,
        merge_url="clients:company-merge",
        duplicate_reasons=duplicates.duplicate_reasons("companies"),
        builtin_grants=SALES_RECORD,
        position=10,
    )


def contact_kind() -> kinds.RecordKind:
    return kinds.RecordKind(
        model=Contact,
        entity="contacts",
        code="contact",
        label=Contact._meta.verbose_name,
        plural=Contact._meta.verbose_name_plural,
        list_url="clients:contact-list",
        detail_url="clients:contact-detail",
        fields=fields.CONTACT_FIELDS,
        create_url="clients:contact-create",
        create_label=_("New contact"),
        columns=fields.CONTACT_COLUMNS,
        default_columns=fields.CONTACT_DEFAULT_COLUMNS,
        search=contact_source(),
        listing=queries.contacts,
        link_movers=merge.CONTACT_MOVERS,
        # Messengers are a list: both records' are kept, not picked from.
        merged_fields=tuple(name for name in contacts.FIELDS if name != "messengers"),
        united_fields=("messengers",),
        merge_url="clients:contact-merge",
        duplicate_reasons=duplicates.duplicate_reasons("contacts"),
        builtin_grants=SALES_RECORD,
        position=20,
    )


def register() -> None:
    kinds.register_kind(company_kind())
    kinds.register_kind(contact_kind())
