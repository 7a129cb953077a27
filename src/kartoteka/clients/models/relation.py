from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Relation(models.TextChoices):
    SPOUSE = "spouse", _("spouse")
    CHILD = "child", _("child")
    PARENT = "parent", _("parent")
    FRIEND = "friend", _("friend")
    COLLEAGUE = "colleague", _("colleague")
    OTHER = "other", _("other")


class RelatedPerson(models.Model):
    """Someone close to a contact, with the dates worth remembering for them."""

    contact = models.ForeignKey(
        "clients.Contact", on_delete=models.CASCADE, related_name="related_persons"
    )
    name = models.CharField(_("name"), max_length=200)
    relation = models.CharField(_("relation"), max_length=10, choices=Relation.choices)
    birthday = models.DateField(_("birthday"), null=True, blank=True)
    anniversary = models.DateField(_("anniversary"), null=True, blank=True)

    class Meta:
        verbose_name = _("related person")
        verbose_name_plural = _("related persons")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_relation_display()})"
