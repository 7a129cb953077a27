"""Every read of companies and contacts, already scoped to the user."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet

from kartoteka.clients.models import (
    Company,
    CompanyEmail,
    CompanyPhone,
    Contact,
    ContactEmail,
    ContactPhone,
    CustomField,
    Employment,
)
from kartoteka.core import access
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


def _phone_condition(phone_model: Any, owner_field: str, text: str) -> Q | None:
    """The full number in any format, or (4+ digits typed) the number's last digits."""
    digits = "".join(ch for ch in text if ch.isdigit())
    full = phone_or_none(text)
    lookups = Q()
    if full:
        lookups |= Q(number=full)
    if len(digits) >= 4 and len(digits) == len(text.replace(" ", "").replace("-", "")):
        lookups |= Q(number__endswith=digits)
    if not lookups:
        return None
    return Q(Exists(phone_model.objects.filter(lookups, **{owner_field: OuterRef("pk")})))


def _custom_filters(
    queryset: QuerySet[Any], entity: str, params: Mapping[str, Any]
) -> QuerySet[Any]:
    wanted = {
        key[3:]: value
        for key, value in params.items()
        if key.startswith("cf_") and value not in ("", None)
    }
    if not wanted:
        return queryset
    for field in CustomField.objects.filter(entity=entity, code__in=list(wanted)):
        value = wanted[field.code]
        if field.type == "multiple":
            queryset = queryset.filter(**{f"custom_fields__{field.code}__icontains": str(value)})
        elif field.type == "boolean":
            queryset = queryset.filter(
                **{f"custom_fields__{field.code}": str(value).lower() in {"1", "true", "yes", "да"}}
            )
        elif field.type in ("number",):
            try:
                queryset = queryset.filter(
                    **{f"custom_fields__{field.code}": float(str(value).replace(",", "."))}
                )
            except ValueError:
                return queryset.none()
        elif field.type == "text":
            queryset = queryset.filter(**{f"custom_fields__{field.code}__icontains": str(value)})
        else:
            queryset = queryset.filter(**{f"custom_fields__{field.code}": str(value)})
    return queryset


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
        .prefetch_related(
            Prefetch("phones", queryset=CompanyPhone.objects.order_by("position", "id")),
            Prefetch("emails", queryset=CompanyEmail.objects.order_by("position", "id")),
            "tags",
        )
    )
    text = text.strip()
    if text:
        condition = (
            Q(name__folded=text)
            | Q(inn=text.replace(" ", ""))
            | Q(Exists(CompanyEmail.objects.filter(company=OuterRef("pk"), address__folded=text)))
        )
        phone = _phone_condition(CompanyPhone, "company", text)
        if phone is not None:
            condition |= phone
        queryset = queryset.filter(condition)
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
            Prefetch("phones", queryset=ContactPhone.objects.order_by("position", "id")),
            Prefetch("employments", queryset=Employment.objects.select_related("company")),
            "tags",
        )
    )
    text = text.strip()
    if text:
        condition = (
            Q(last_name__folded=text)
            | Q(first_name__folded=text)
            | Q(Exists(ContactEmail.objects.filter(contact=OuterRef("pk"), address__folded=text)))
        )
        by_phone = _phone_condition(ContactPhone, "contact", text)
        if by_phone is not None:
            condition |= by_phone
        queryset = queryset.filter(condition)
    if phone:
        number = phone_or_none(phone) or "-"
        queryset = queryset.filter(
            Exists(ContactPhone.objects.filter(contact=OuterRef("pk"), number=number))
        )
    if params:
        queryset = _custom_filters(_filters(queryset, CONTACT_FILTERS, params), "contacts", params)
        if params.get("tag") or params.get("company"):
            queryset = queryset.distinct()
    return queryset


def company(user: User, pk: int, action: str = "view") -> Company:
    queryset = companies(user, action=action)
    return access.get_for_user_or_404(queryset, user, action, pk=pk)


def contact(user: User, pk: int, action: str = "view") -> Contact:
    queryset = contacts(user, action=action).prefetch_related("emails", "related_persons")
    return access.get_for_user_or_404(queryset, user, action, pk=pk)


def company_people(user: User, company: Company) -> QuerySet[Employment]:
    """The company's people the user may see, with their positions."""
    visible = access.scoped(Contact.objects.all(), user)
    return (
        Employment.objects.filter(company=company, contact__in=visible.values("pk"))
        .select_related("contact")
        .prefetch_related(
            Prefetch("contact__phones", queryset=ContactPhone.objects.order_by("position", "id"))
        )
        .order_by("contact__last_name", "contact__first_name")
    )
