"""Every read of companies and contacts, already scoped to the user.

Phones and emails come in their models' order (position, then id): plain prefetches keep it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.db.models import Prefetch, Q, QuerySet

from kartoteka.clients import custom_queries
from kartoteka.clients.models import (
    Company,
    Contact,
    ContactPhone,
    Employment,
    SavedView,
)
from kartoteka.core import access, search
from kartoteka.core.phones import normalize_phone

if TYPE_CHECKING:
    from kartoteka.accounts.models import User

#: list filters a user can set from the page or the API: parameter -> lookup
COMPANY_FILTERS = {
    "owner": "owner_id",
    "branch": "branch_id",
    "status": "status",
    "city": "city__folded",
    "industry": "industry__folded",
    "region": "region__folded",
    "source": "source__folded",
    "tag": "tags__name",
}
CONTACT_FILTERS = {
    "owner": "owner_id",
    "branch": "branch_id",
    "city": "address__folded",
    "tag": "tags__name",
    "company": "employments__company_id",
}


def phone_or_none(text: str) -> str | None:
    try:
        return normalize_phone(text) or None
    except Exception:  # noqa: BLE001 - any unparsable text is simply not a phone
        return None


def _custom_filters(
    queryset: QuerySet[Any], entity: str, params: Mapping[str, Any]
) -> QuerySet[Any]:
    # Each type compares its own way (numbers as numbers, lists by element, ranges): see there.
    return custom_queries.filter_by_custom(queryset, entity, params)


def _filters(
    queryset: QuerySet[Any], table: dict[str, str], params: Mapping[str, Any]
) -> QuerySet[Any]:
    for name, lookup in table.items():
        value = params.get(name)
        if value not in (None, ""):
            if lookup.endswith("_id") and not str(value).isdigit():
                return queryset.none()
            queryset = queryset.filter(**{lookup: value})
    return queryset


def companies(
    user: User, *, text: str = "", params: Mapping[str, Any] | None = None, action: str = "view"
) -> QuerySet[Company]:
    queryset = (
        access.scoped(Company.objects.all(), user, action)
        .select_related("owner", "branch")
        .prefetch_related("phones", "emails", "tags")
    )
    if text.strip():
        # The search index: name in any word form, phone in any format or its last digits,
        # INN, email, tag, custom field value, city.
        queryset = queryset.filter(search.matches(Company, text))
    if params:
        queryset = _custom_filters(_filters(queryset, COMPANY_FILTERS, params), "companies", params)
        if params.get("tag"):
            queryset = queryset.distinct()
    return queryset


def contacts(
    user: User,
    *,
    text: str = "",
    phone: str = "",
    params: Mapping[str, Any] | None = None,
    action: str = "view",
) -> QuerySet[Contact]:
    queryset = (
        access.scoped(Contact.objects.all(), user, action)
        .select_related("owner", "branch")
        .prefetch_related(
            "phones",
            Prefetch("employments", queryset=Employment.objects.select_related("company")),
            "emails",
            "tags",
        )
    )
    if text.strip():
        # The search index: names in any word form, phone in any format or its last digits,
        # email, the company they work at, tag, custom field value, address.
        queryset = queryset.filter(search.matches(Contact, text))
    if phone:
        number = phone_or_none(phone) or "-"
        # An IN over the phone index lets the database start from the few matching phones
        # rather than walk every contact in list order testing each (caller ID must be instant).
        queryset = queryset.filter(
            pk__in=ContactPhone.objects.filter(number=number).values("contact_id")
        )
    if params:
        queryset = _custom_filters(_filters(queryset, CONTACT_FILTERS, params), "contacts", params)
        if params.get("tag") or params.get("company"):
            queryset = queryset.distinct()
    return queryset


def company_hits(user: User) -> QuerySet[Company]:
    """Companies as search hits read them (name, city, INN, main phone): nothing more fetched."""
    return access.scoped(Company.objects.all(), user).prefetch_related("phones")


def contact_hits(user: User) -> QuerySet[Contact]:
    """Contacts as search hits read them (name, main phone, companies' names)."""
    jobs = Employment.objects.select_related("company").only(
        "id", "contact_id", "company_id", "company__name", "company__deleted_at"
    )
    return access.scoped(Contact.objects.all(), user).prefetch_related(
        "phones", Prefetch("employments", queryset=jobs)
    )


def api_rows(queryset: QuerySet[Any]) -> QuerySet[Any]:
    """``queryset`` loading what the API prints of each record: owner and branch as ids (no
    joins) and its lists; pages also show names, which the page queries join in."""
    lists: list[Any] = ["phones", "emails", "tags"]
    if queryset.model is Contact:
        jobs = Employment.objects.only("contact_id", "company_id", "position")
        lists += [Prefetch("employments", queryset=jobs), "related_persons"]
    return queryset.select_related(None).prefetch_related(None).prefetch_related(*lists)


def company(user: User, pk: int, action: str = "view") -> Company:
    queryset = companies(user, action=action)
    return access.one_or_404(queryset, pk=pk)


def contact(user: User, pk: int, action: str = "view") -> Contact:
    queryset = contacts(user, action=action).prefetch_related("related_persons")
    return access.one_or_404(queryset, pk=pk)


def saved_views(user: User, entity: str) -> QuerySet[SavedView]:
    """The user's own views and everyone's shared ones, for the list's tabs."""
    return SavedView.objects.filter(Q(owner=user) | Q(is_shared=True), entity=entity).order_by(
        "name"
    )


def company_people(user: User, company: Company) -> QuerySet[Employment]:
    """The company's people the user may see, with their positions."""
    visible = access.visible(user, Contact, through="contact__")
    if visible is None:
        return Employment.objects.none()
    return (
        Employment.objects.filter(visible, company=company, contact__deleted_at__isnull=True)
        .select_related("contact")
        .prefetch_related("contact__phones")
        .order_by("contact__last_name", "contact__first_name")
    )
