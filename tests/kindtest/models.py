"""A gadget: a name, custom field values and tags; owned, branched, versioned, trashable."""

from __future__ import annotations

from typing import ClassVar

from django.db import models

from kartoteka.core.models import Record


class Gadget(Record):
    name = models.CharField("name", max_length=200)
    custom_fields = models.JSONField("custom fields", default=dict, blank=True)
    tags = models.ManyToManyField("records.Tag", blank=True, related_name="gadgets")

    access_entity: ClassVar[str] = "gadgets"
    audited_fields: ClassVar[tuple[str, ...]] = ("name", "custom_fields", "owner", "branch")

    class Meta:
        verbose_name = "gadget"
        verbose_name_plural = "gadgets"

    def __str__(self) -> str:
        return self.name
