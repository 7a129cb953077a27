from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kartoteka.records.models.custom_fields import validate_record_kind


class GroupRule(models.Model):
    """When a new or changed client matches a condition, tag it or give it to an owner.

    Example: city = Kazan → tag "Volga region"; industry = retail → owner = the retail manager.
    """

    class Operator(models.TextChoices):
        EQUALS = "equals", _("equals")
        CONTAINS = "contains", _("contains")

    class Effect(models.TextChoices):
        ADD_TAG = "add_tag", _("add the tag")
        SET_OWNER = "set_owner", _("make the owner")

    name = models.CharField(_("name"), max_length=150)
    entity = models.CharField(_("for"), max_length=20, validators=[validate_record_kind])
    field = models.CharField(_("field"), max_length=100)
    operator = models.CharField(
        _("condition"), max_length=10, choices=Operator.choices, default=Operator.EQUALS
    )
    value = models.CharField(_("value"), max_length=200)
    effect = models.CharField(_("then"), max_length=10, choices=Effect.choices)
    tag = models.ForeignKey(
        "records.Tag",
        verbose_name=_("tag"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    is_active = models.BooleanField(pgettext_lazy("group rule", "active"), default=True)
    position = models.PositiveSmallIntegerField(_("order"), default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        # Moved from the clients app with its data: the table keeps its name.
        db_table = "clients_grouprule"
        verbose_name = _("group rule")
        verbose_name_plural = _("group rules")
        ordering = ["entity", "position", "id"]

    def __str__(self) -> str:
        return self.name


class SavedView(models.Model):
    """A named list view: filters, sort and columns; private to its owner or shared with all."""

    name = models.CharField(_("name"), max_length=100)
    entity = models.CharField(_("for"), max_length=20, validators=[validate_record_kind])
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    is_shared = models.BooleanField(_("shared with everyone"), default=False)
    #: the list's query string: filters and sort, exactly as in the address bar
    query = models.CharField(max_length=2000, blank=True)
    columns = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        # Moved from the clients app with its data: the table keeps its name.
        db_table = "clients_savedview"
        verbose_name = _("saved view")
        verbose_name_plural = _("saved views")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
