from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.utils.translation import gettext_lazy as _

from kartoteka.clients.models.channels import EmailBase, HasPhones, PhoneBase
from kartoteka.core.inn import validate_inn, validate_kpp, validate_ogrn
from kartoteka.core.models import Record


class CompanyStatus(models.TextChoices):
    PROSPECT = "prospect", _("prospect")
    CLIENT = "client", _("client")
    FORMER = "former", _("former client")


class Company(HasPhones, Record):
    name = models.CharField(_("name"), max_length=300)
    legal_form = models.CharField(_("legal form"), max_length=20, blank=True)
    inn = models.CharField(
        _("INN"), max_length=12, blank=True, validators=[validate_inn], db_index=True
    )
    kpp = models.CharField(_("KPP"), max_length=9, blank=True, validators=[validate_kpp])
    ogrn = models.CharField(_("OGRN"), max_length=15, blank=True, validators=[validate_ogrn])
    industry = models.CharField(_("industry"), max_length=100, blank=True)
    region = models.CharField(_("region"), max_length=100, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    legal_address = models.TextField(_("legal address"), blank=True)
    postal_address = models.TextField(_("postal address"), blank=True)
    website = models.URLField(_("website"), blank=True)
    source = models.CharField(
        _("source"),
        max_length=100,
        blank=True,
        help_text=_("Where the client came from: advertising, referral, exhibition…"),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=CompanyStatus.choices, default=CompanyStatus.PROSPECT
    )
    notes = models.TextField(_("notes"), blank=True)
    tags = models.ManyToManyField(
        "records.Tag", verbose_name=_("tags"), blank=True, related_name="companies"
    )
    custom_fields = models.JSONField(_("custom fields"), default=dict, blank=True)

    access_entity: ClassVar[str] = "companies"
    audited_fields: ClassVar[tuple[str, ...]] = (
        "name",
        "legal_form",
        "inn",
        "kpp",
        "ogrn",
        "industry",
        "region",
        "city",
        "legal_address",
        "postal_address",
        "website",
        "source",
        "status",
        "notes",
        "custom_fields",
        "owner",
        "branch",
    )

    class Meta:
        verbose_name = _("company")
        verbose_name_plural = _("companies")
        indexes = [
            models.Index(fields=["branch", "id"], name="company_branch_idx"),
            models.Index(fields=["updated_at", "id"], name="company_updated_idx"),
            models.Index(fields=["owner", "id"], name="company_owner_idx"),
            # Lists sorted by name (filtered by owner or branch, or not) walk these in order;
            # the id, the sort's last key, spares PostgreSQL sorting namesakes.
            models.Index(fields=["name", "id"], name="company_name_id_idx"),
            models.Index(fields=["owner", "name", "id"], name="company_owner_name_id_idx"),
            models.Index(fields=["branch", "name", "id"], name="company_branch_name_id_idx"),
            # "My clients": an owner's companies of one status, by name, and their count, read
            # from the index alone (the count read 6,000 table pages for an owner of 30,000).
            models.Index(
                fields=["owner", "status", "name", "id"],
                name="company_owner_status_idx",
                condition=models.Q(deleted_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class CompanyPhone(PhoneBase):
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="phones")

    class Meta(PhoneBase.Meta):
        verbose_name = _("company phone")
        verbose_name_plural = _("company phones")


class CompanyEmail(EmailBase):
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="emails")

    class Meta(EmailBase.Meta):
        verbose_name = _("company email")
        verbose_name_plural = _("company emails")
