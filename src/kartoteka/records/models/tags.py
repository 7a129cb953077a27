from __future__ import annotations

from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class Tag(models.Model):
    """A group of clients with a colour: "VIP", "Volga region", "has children"."""

    name = models.CharField(_("name"), max_length=60, unique=True)
    color = models.CharField(
        _("colour"),
        max_length=7,
        default="#1d5fc4",
        validators=[RegexValidator(r"^#[0-9a-fA-F]{6}$", _("A colour like #1d5fc4."))],
    )

    class Meta:
        # Moved from the clients app with its data: the table keeps its name.
        db_table = "clients_tag"
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
