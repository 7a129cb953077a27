from __future__ import annotations

from typing import ClassVar
from urllib.parse import quote

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kartoteka.clients.models.channels import EmailBase, HasPhones, MessengerKind, PhoneBase
from kartoteka.core.models import Record, ReleasingManager
from kartoteka.core.phones import format_phone

#: a person's name as the list sorts it
FULL_NAME = ("last_name", "first_name", "middle_name")


class Contact(HasPhones, Record):
    """A person: works at zero or more companies; a private buyer stands alone."""

    last_name = models.CharField(_("last name"), max_length=100)
    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    middle_name = models.CharField(_("patronymic"), max_length=100, blank=True)
    birthday = models.DateField(_("birthday"), null=True, blank=True)
    address = models.TextField(_("address"), blank=True)
    #: [{"kind": "telegram", "handle": "@ivanov"}, ...]
    messengers = models.JSONField(_("messengers"), default=list, blank=True)
    preferences = models.TextField(
        _("preferences and interests"),
        blank=True,
        help_text=_("Anything that helps to serve the person: “has children”, “likes Pelevin”."),
    )
    companies = models.ManyToManyField(
        "clients.Company",
        through="clients.Employment",
        verbose_name=_("companies"),
        blank=True,
        related_name="people",
    )
    tags = models.ManyToManyField(
        "records.Tag", verbose_name=_("tags"), blank=True, related_name="contacts"
    )
    custom_fields = models.JSONField(_("custom fields"), default=dict, blank=True)
    #: the person agreed to receive emails from the company (greetings on important dates...);
    #: every change is in the audit trail: who ticked or cleared it, and when
    email_consent = models.BooleanField(
        _("agrees to emails"),
        default=False,
        help_text=_("The person agreed to receive emails from us, such as greetings on dates."),
    )

    access_entity: ClassVar[str] = "contacts"
    audited_fields: ClassVar[tuple[str, ...]] = (
        "last_name",
        "first_name",
        "middle_name",
        "birthday",
        "address",
        "messengers",
        "preferences",
        "custom_fields",
        "email_consent",
        "owner",
        "branch",
    )

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        indexes = [
            models.Index(fields=["branch", "id"], name="contact_branch_idx"),
            models.Index(fields=["updated_at", "id"], name="contact_updated_idx"),
            models.Index(fields=["owner", "id"], name="contact_owner_idx"),
            # The list's sort by name: surname, first name, patronymic, then id. The id is
            # the sort's last key: without it PostgreSQL reads every namesake of the first
            # row to order them (1,778 rows for the first page of the demo's million).
            models.Index(fields=[*FULL_NAME, "id"], name="contact_name_id_idx"),
            models.Index(fields=["owner", *FULL_NAME, "id"], name="contact_owner_name_id_idx"),
            models.Index(fields=["branch", *FULL_NAME, "id"], name="contact_branch_name_id_idx"),
        ]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return " ".join(
            part for part in (self.last_name, self.first_name, self.middle_name) if part
        )

    @property
    def messenger_links(self) -> list[dict[str, str]]:
        """Messengers as the card shows them: kind label, handle, and a link that opens a chat."""
        labels = dict(MessengerKind.choices)
        shown = []
        for item in self.messengers or []:
            if not isinstance(item, dict) or not item.get("handle"):
                continue
            kind, handle = str(item.get("kind") or ""), str(item["handle"])
            digits = "".join(ch for ch in handle if ch.isdigit())
            url = ""
            if kind == MessengerKind.TELEGRAM:
                url = (
                    f"https://t.me/{quote(handle.lstrip('@'))}"
                    if not handle.startswith("+")
                    else f"https://t.me/+{digits}"
                )
            elif kind == MessengerKind.WHATSAPP and digits:
                url = f"https://wa.me/{digits}"
            elif kind == MessengerKind.VIBER and digits:
                url = f"viber://chat?number=%2B{digits}"
            elif kind == MessengerKind.SKYPE:
                url = f"skype:{quote(handle)}?chat"
            label = str(labels.get(kind, kind.capitalize() or labels[MessengerKind.OTHER]))
            display = format_phone(handle) if handle.startswith("+") else handle
            shown.append({"kind": kind, "label": label, "handle": display, "url": url})
        return shown


class Employment(models.Model):
    """A contact works at a company, in a position."""

    # Both looked up by the indexes in Meta: (contact, company) unique, (company, contact).
    contact = models.ForeignKey(
        Contact, on_delete=models.CASCADE, related_name="employments", db_index=False
    )
    company = models.ForeignKey(
        "clients.Company", on_delete=models.CASCADE, related_name="employments", db_index=False
    )
    position = models.CharField(pgettext_lazy("job", "position"), max_length=150, blank=True)

    objects: ClassVar[models.Manager[Employment]] = ReleasingManager()

    class Meta:
        verbose_name = _("employment")
        verbose_name_plural = _("employments")
        constraints = [
            models.UniqueConstraint(fields=["contact", "company"], name="employment_unique_pair")
        ]
        indexes = [
            # A company's people from the index alone: finding contacts through the companies a
            # search matched reads 2 index entries a company instead of every employment (on
            # PostgreSQL the plain company index lost to a sequential scan: 140 ms at 700,000).
            models.Index(fields=["company", "contact"], name="employment_company_contact")
        ]

    def __str__(self) -> str:
        return f"{self.contact} — {self.position} @ {self.company}"


class ContactPhone(PhoneBase):
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="phones")

    class Meta(PhoneBase.Meta):
        verbose_name = _("contact phone")
        verbose_name_plural = _("contact phones")


class ContactEmail(EmailBase):
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="emails")

    class Meta(EmailBase.Meta):
        verbose_name = _("contact email")
        verbose_name_plural = _("contact emails")
