"""Every read of companies and contacts, already scoped to the user.

Phones and emails come in their models' order (position, then id): plain prefetches keep it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.db import models
from django.db.models import Prefetch, Q, QuerySet

from kartoteka.accounts.models import Branch
from kartoteka.clients.models import (
    Company,
    CompanyEmail,
    CompanyPhone,
    Contact,
    ContactEmail,
    ContactPhone,
    Employment,
    RelatedPerson,
)
from kartoteka.core import access, kinds, search, small_tables
from kartoteka.core.ids import parse_id
from kartoteka.core.json_lists import JsonList, with_lists
from kartoteka.core.phones import normalize_phone
from kartoteka.records.models import CustomField, SavedView, Tag
from kartoteka.records.queries import filtered

if TYPE_CHECKING:
    from kartoteka.accounts.models import User


def phone_or_none(text: str) -> str | None:
    try:
        return normalize_phone(text) or None
    except Exception:  # noqa: BLE001 - any unparsable text is simply not a phone
        return None


def companies(
    user: User,
    *,
    text: str = "",
    phone: str = "",
    params: Mapping[str, Any] | None = None,
    action: str = "view",
) -> QuerySet[Company]:
    """Companies ``user`` may ``action``, searched for ``text`` and filtered by ``params``; a
    ``phone`` (or ``params["phone"]``) in any format finds the companies with it (caller ID)."""
    phone = phone or str((params or {}).get("phone") or "")
    queryset = (
        access.scoped(Company.objects.all(), user, action)
        .select_related("owner", "branch")
        .prefetch_related("phones", "emails", "tags")
    )
    if text.strip():
        # The search index: name in any word form, phone in any format or its last digits,
        # INN, email, tag, custom field value, city.
        queryset = queryset.filter(search.matches(user, Company, text))
    if phone:
        queryset = queryset.filter(pk__in=_with_phone(CompanyPhone, "company_id", phone))
    if params:
        queryset = filtered(queryset, kinds.kind_of(Company), params)
    return queryset


def jobs(user: User) -> QuerySet[Employment]:
    """Employments as ``user`` may see them: only at live companies in the user's scope.

    Every read of a contact's companies goes through this one queryset (as a prefetch: see
    :func:`jobs_prefetch`), the registry's rule for links (:func:`kartoteka.core.kinds.linked`):
    a company the user gets 404 on, or one in the trash, is named nowhere.
    """
    return kinds.linked(
        user, Employment.objects.select_related("company").order_by("id"), "company"
    )


def jobs_prefetch(user: User, queryset: QuerySet[Employment] | None = None) -> Prefetch:
    """``Prefetch("employments")`` under the access rule (``queryset`` narrows it further)."""
    return Prefetch("employments", queryset=jobs(user) if queryset is None else queryset)


def hidden_jobs(user: User, contact: Contact) -> QuerySet[Employment]:
    """The contact's employments ``user`` may not see (hidden or trashed company): writes by
    ``user`` leave them as they are."""
    return Employment.objects.filter(contact=contact).exclude(
        pk__in=jobs(user).filter(contact=contact).values("pk")
    )


def contacts(
    user: User,
    *,
    text: str = "",
    phone: str = "",
    params: Mapping[str, Any] | None = None,
    action: str = "view",
) -> QuerySet[Contact]:
    """Contacts ``user`` may ``action``, searched for ``text`` and filtered by ``params``; a
    ``phone`` (or ``params["phone"]``) in any format finds its owners (caller ID)."""
    phone = phone or str((params or {}).get("phone") or "")
    queryset = (
        access.scoped(Contact.objects.all(), user, action)
        .select_related("owner", "branch")
        .prefetch_related(
            "phones",
            jobs_prefetch(user),
            "emails",
            "tags",
        )
    )
    if text.strip():
        # The search index: names in any word form, phone in any format or its last digits,
        # email, tag, custom field value, address; or a company they work at that the user
        # may see.
        queryset = queryset.filter(search.matches(user, Contact, text))
    if phone:
        queryset = queryset.filter(pk__in=_with_phone(ContactPhone, "contact_id", phone))
    if params:
        queryset = filtered(queryset, kinds.kind_of(Contact), params)
        company = params.get("company")
        if company not in (None, ""):
            # A company's people: only through a company the user may see (a hidden one's id
            # must not tell which of the user's contacts work there).
            company_id = parse_id(company)
            if company_id is None:
                return queryset.none()
            at = jobs(user).filter(company_id=company_id)
            queryset = queryset.filter(pk__in=at.values("contact_id"))
    return queryset


def _with_phone(table: type[models.Model], owner: str, phone: str) -> QuerySet[Any]:
    # An IN over the phone index lets the database start from the few matching phones rather
    # than walk every record in list order testing each (caller ID must be instant).
    number = phone_or_none(phone) or "-"
    return table._default_manager.filter(number=number).values(owner)


def list_alternatives(
    user: User, model: type[models.Model], params: Mapping[str, Any]
) -> list[Q] | None:
    """The parts of the access rule a list of ``model`` finds its first rows by and counts by,
    one part at a time (:func:`kartoteka.core.pagination.page_of`, ``counted``). None for a
    search or a phone lookup, whose own index finds the few matching rows first, and for a
    list of one owner's or one branch's, which one index range already answers."""
    if str(params.get("q") or "").strip() or any(params.get(key) for key in NARROW):
        return None
    return access.alternatives(user, model)


#: what a list page's filter bar lists beside its rows (see :func:`list_page_tables`)
_CUSTOM_FIELDS = small_tables.Table(CustomField, where="entity = %s", order=("position", "id"))
_TAGS = small_tables.Table(Tag, order=("name",))
_BRANCHES = small_tables.Table(Branch, where="is_active", order=("name",))
_SAVED_VIEWS = small_tables.Table(
    SavedView, where="entity = %s AND (owner_id = %s OR is_shared)", order=("name", "id")
)


def list_page_tables(
    user: User, entity: str
) -> tuple[list[CustomField], list[Tag], list[Branch], list[SavedView]]:
    """A list page's ``entity`` custom fields, every tag, the active branches and the saved
    views ``user`` may open (their own and the shared ones), in one statement."""
    fields, tags, branches, views = small_tables.read(
        (_CUSTOM_FIELDS, [entity]), (_TAGS, []), (_BRANCHES, []), (_SAVED_VIEWS, [entity, user.pk])
    )
    return fields, tags, branches, views


def plan_kept(params: Mapping[str, Any]) -> bool:
    """A caller-ID lookup (a phone, no search text): the phone index finds its few rows
    whatever the number, so its statement is planned once per connection and kept
    (:mod:`kartoteka.core.db.prepared`); planning it took three times as long as running it."""
    return bool(params.get("phone")) and not str(params.get("q") or "").strip()


#: list parameters that leave nothing for the access rule's parts to speed up
NARROW = ("phone", "owner", "branch")


def company_hits(user: User) -> QuerySet[Company]:
    """Companies as search hits read them (name, city, INN, phones, emails): nothing more."""
    return access.scoped(Company.objects.all(), user).prefetch_related("phones", "emails")


def contact_hits(user: User) -> QuerySet[Contact]:
    """Contacts as search hits read them (name, phones, emails, companies' names)."""
    names = jobs(user).only("id", "contact_id", "company_id", "company__name")
    return access.scoped(Contact.objects.all(), user).prefetch_related(
        "phones", "emails", jobs_prefetch(user, names)
    )


def api_rows(user: User, queryset: QuerySet[Any]) -> QuerySet[Any]:
    """``queryset`` loading what the API prints of each record: owner and branch as ids (no
    joins) and its lists, read inside the same statement (:mod:`kartoteka.core.json_lists`);
    pages also show names, which the page queries join in."""
    plain = queryset.select_related(None).prefetch_related(None)
    return with_lists(plain, *_lists(user, queryset.model, related_persons=True))


def page_rows(user: User, queryset: QuerySet[Any]) -> QuerySet[Any]:
    """``queryset`` loading what a list page shows of each record's lists (phones, emails,
    tags, the names of the companies a person works at) inside the same statement. Owners and
    branches are not joined: the page gives each row the person and branch its filters list
    anyway (:func:`kartoteka.core.prefetch.attach_known`)."""
    plain = queryset.select_related(None).prefetch_related(None)
    return with_lists(plain, *_lists(user, queryset.model, company_names=True))


def _lists(
    user: User,
    model: type[Company] | type[Contact],
    *,
    related_persons: bool = False,
    company_names: bool = False,
) -> list[JsonList]:
    parent = "contact_id" if model is Contact else "company_id"
    phone: type[models.Model] = ContactPhone if model is Contact else CompanyPhone
    email: type[models.Model] = ContactEmail if model is Contact else CompanyEmail
    lists = [
        JsonList("phones", phone, parent, phone, _CHANNEL | {"number": "number"}, _BY),
        JsonList("emails", email, parent, email, _CHANNEL | {"address": "address"}, _BY),
        JsonList(
            "tags",
            model.tags.through,
            parent,
            Tag,
            {"id": "tag_id", "name": "tag__name", "color": "tag__color"},
            order=("name",),
        ),
    ]
    if model is Contact:
        job = {"id": "id", "company_id": "company_id", "position": "position"}
        if company_names:
            job["company__name"] = "company__name"
        lists.append(JsonList("employments", jobs(user), parent, Employment, job))
    if model is Contact and related_persons:
        lists.append(
            JsonList(
                "related_persons",
                RelatedPerson,
                parent,
                RelatedPerson,
                {name: name for name in ("id", "name", "relation", "birthday", "anniversary")},
            )
        )
    return lists


#: what phones and emails have besides their value, in the order they are listed
_CHANNEL = {"id": "id", "position": "position", "kind": "kind"}
_BY = ("position", "id")


def company(user: User, pk: int, action: str = "view", *, bare: bool = False) -> Company:
    """One company ``user`` may ``action`` with its lists; ``bare``: without them or its owner
    and branch, for pages that only name it (its timeline)."""
    queryset = companies(user, action=action)
    if bare:
        queryset = queryset.select_related(None).prefetch_related(None)
    return access.one_or_404(queryset, pk=pk)


def contact(user: User, pk: int, action: str = "view", *, bare: bool = False) -> Contact:
    """One contact ``user`` may ``action`` with its lists; ``bare``: without them or its owner
    and branch."""
    queryset = contacts(user, action=action)
    queryset = (
        queryset.select_related(None).prefetch_related(None)
        if bare
        else queryset.prefetch_related("related_persons")
    )
    return access.one_or_404(queryset, pk=pk)


def company_people(user: User, company: Company) -> QuerySet[Employment]:
    """The company's people the user may see, with their positions."""
    people = (
        Employment.objects.filter(company=company)
        .select_related("contact")
        .prefetch_related("contact__phones")
        .order_by("contact__last_name", "contact__first_name")
    )
    return kinds.linked(user, people, "contact")
