from __future__ import annotations

from django import template
from django.db.models import Model

register = template.Library()


@register.filter
def kind_name(obj: Model) -> str:
    return str(obj._meta.verbose_name).capitalize()


@register.filter
def label_lower(obj: Model) -> str:
    return obj._meta.label_lower
