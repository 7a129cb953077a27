from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kartoteka.core import kinds


class FieldType(models.TextChoices):
    TEXT = "text", _("text")
    NUMBER = "number", pgettext_lazy("custom field type", "number")
    MONEY = "money", _("money")
    DATE = "date", _("date")
    CHOICE = "choice", _("choice")
    MULTIPLE = "multiple", _("multiple choice")
    BOOLEAN = "boolean", _("yes/no")
    LINK = "link", _("link")


def validate_record_kind(code: str) -> None:
    """A registered record kind's entity ("companies"): what settings of records are for."""
    if kinds.record_kind(code) is None:
        raise ValidationError(_("Unknown kind of record: %(code)s.") % {"code": code})


class CustomField(models.Model):
    """A field administrators add to a record kind; values live in the record's
    ``custom_fields``."""

    #: the record kind (kartoteka.core.kinds) the field is for
    entity = models.CharField(_("for"), max_length=20, validators=[validate_record_kind])
    code = models.SlugField(_("code"), max_length=50)
    label = models.CharField(_("label"), max_length=100)
    type = models.CharField(_("type"), max_length=10, choices=FieldType.choices)
    choices = models.JSONField(_("choices"), default=list, blank=True)
    is_required = models.BooleanField(_("required"), default=False)
    position = models.PositiveSmallIntegerField(
        pgettext_lazy("custom field order", "position"), default=0
    )

    class Meta:
        # Moved from the clients app with its data: the table keeps its name.
        db_table = "clients_customfield"
        verbose_name = _("custom field")
        verbose_name_plural = _("custom fields")
        ordering = ["entity", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["entity", "code"], name="custom_field_unique_code")
        ]

    def __str__(self) -> str:
        return self.label
