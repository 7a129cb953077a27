"""Every read of companies and contacts, already scoped to the user."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet

from kartoteka.clients.models import Company, Contact
from kartoteka.core import access
from kartoteka.core.phones import normalize_phone

if TYPE_CHECKING:
    from kartoteka.accounts.models import User


def _phone_or_none(text: str) -> str | None:
    try:
        return normalize_phone(text) or None
    except Exception:  # noqa: BLE001 - any unparsable text is simply not a phone
        return None


def companies(user: User, *, text: str = "", action: str = "view") -> QuerySet[Company]:
    queryset = access.scoped(Company.objects.all(), user, action).select_related("owner", "branch")
    text = text.strip()
    if text:
        condition = Q(name__folded=text) | Q(email__folded=text) | Q(inn=text)
        phone = _phone_or_none(text)
        if phone:
            condition |= Q(phone=phone)
        queryset = queryset.filter(condition)
    return queryset


def contacts(
    user: User, *, text: str = "", phone: str = "", action: str = "view"
) -> QuerySet[Contact]:
    queryset = access.scoped(Contact.objects.all(), user, action).select_related(
        "owner", "branch", "company"
    )
    text = text.strip()
    if text:
        condition = Q(last_name__folded=text) | Q(first_name__folded=text) | Q(email__folded=text)
        as_phone = _phone_or_none(text)
        if as_phone:
            condition |= Q(phone=as_phone)
        queryset = queryset.filter(condition)
    if phone:
        queryset = queryset.filter(phone=_phone_or_none(phone) or "-")
    return queryset


def company(user: User, pk: int, action: str = "view") -> Company:
    return access.get_for_user_or_404(companies(user, action=action), user, action, pk=pk)


def contact(user: User, pk: int, action: str = "view") -> Contact:
    return access.get_for_user_or_404(contacts(user, action=action), user, action, pk=pk)


def company_contacts(user: User, company: Company) -> QuerySet[Contact]:
    return contacts(user).filter(company=company).order_by("last_name", "first_name")
