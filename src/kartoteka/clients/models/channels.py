"""Phones and emails: a record has several, each of a kind; phones are stored as E.164."""

from __future__ import annotations

from django.db import models
from django.db.models.functions import Right
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kartoteka.core.phones import format_phone
from kartoteka.core.prefetch import prefetched

#: how many trailing digits of a phone are indexed for "last digits" searches
SUFFIX = 4


class PhoneKind(models.TextChoices):
    MOBILE = "mobile", _("mobile")
    WORK = "work", _("work")
    HOME = "home", _("home")
    FAX = "fax", _("fax")
    OTHER = "other", _("other")


class EmailKind(models.TextChoices):
    WORK = "work", _("work")
    PERSONAL = "personal", _("personal")
    OTHER = "other", _("other")


class MessengerKind(models.TextChoices):
    TELEGRAM = "telegram", _("Telegram")
    WHATSAPP = "whatsapp", _("WhatsApp")
    VIBER = "viber", _("Viber")
    SKYPE = "skype", _("Skype")
    OTHER = "other", _("other messenger")


class PhoneBase(models.Model):
    number = models.CharField(pgettext_lazy("phone", "number"), max_length=20, db_index=True)
    kind = models.CharField(
        _("kind"), max_length=10, choices=PhoneKind.choices, default=PhoneKind.MOBILE
    )
    position = models.PositiveSmallIntegerField(default=0)
    #: the number's last four digits, kept by the database: "…7969" finds the numbers that END
    #: with 7969 through an index instead of reading every phone (search ranks them first)
    last_digits = models.GeneratedField(
        expression=Right("number", SUFFIX),
        output_field=models.CharField(max_length=SUFFIX),
        db_persist=True,
    )

    class Meta:
        abstract = True
        ordering = ["position", "id"]
        indexes = [models.Index(fields=["last_digits"], name="%(app_label)s_%(class)s_last")]

    def __str__(self) -> str:
        return self.display

    @property
    def display(self) -> str:
        return format_phone(self.number)


class EmailBase(models.Model):
    address = models.EmailField(_("email"), db_index=True)
    kind = models.CharField(
        _("kind"), max_length=10, choices=EmailKind.choices, default=EmailKind.WORK
    )
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        abstract = True
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.address


class HasPhones:
    """For records with a ``phones`` list (companies, contacts)."""

    @property
    def first_phone(self) -> str:
        """The main phone, formatted (uses the prefetched list: no extra query)."""
        phones = prefetched(self, "phones")
        return phones[0].display if phones else ""
