"""Companies and contacts: the first scoped records of the card file."""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.utils.translation import gettext_lazy as _

from kartoteka.core.inn import validate_inn
from kartoteka.core.models import Record
from kartoteka.core.phones import format_phone


class Company(Record):
    name = models.CharField(_("name"), max_length=300)
    inn = models.CharField(_("INN"), max_length=12, blank=True, validators=[validate_inn])
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    email = models.EmailField(_("email"), blank=True)

    access_entity: ClassVar[str] = "companies"
    audited_fields: ClassVar[tuple[str, ...]] = ("name", "inn", "phone", "email", "owner", "branch")

    class Meta:
        verbose_name = _("company")
        verbose_name_plural = _("companies")
        indexes = [
            models.Index(fields=["branch", "id"], name="company_branch_idx"),
            models.Index(fields=["owner", "id"], name="company_owner_idx"),
            models.Index(fields=["phone"], name="company_phone_idx"),
            models.Index(fields=["name"], name="company_name_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def phone_display(self) -> str:
        return format_phone(self.phone)


class Contact(Record):
    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    middle_name = models.CharField(_("patronymic"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=100)
    company = models.ForeignKey(
        Company,
        verbose_name=_("company"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="contacts",
    )
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    email = models.EmailField(_("email"), blank=True)

    access_entity: ClassVar[str] = "contacts"
    audited_fields: ClassVar[tuple[str, ...]] = (
        "last_name",
        "first_name",
        "middle_name",
        "company",
        "phone",
        "email",
        "owner",
        "branch",
    )

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        indexes = [
            models.Index(fields=["branch", "id"], name="contact_branch_idx"),
            models.Index(fields=["owner", "id"], name="contact_owner_idx"),
            models.Index(fields=["phone"], name="contact_phone_idx"),
            models.Index(fields=["last_name"], name="contact_last_name_idx"),
        ]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return " ".join(
            part for part in (self.last_name, self.first_name, self.middle_name) if part
        )

    @property
    def phone_display(self) -> str:
        return format_phone(self.phone)
