from __future__ import annotations

from typing import Any

from django import template

from kartoteka.core import access

register = template.Library()


@register.filter
def may_edit_any(user: Any, entity: str) -> bool:
    """Whether the user may edit some records of ``entity``: the Duplicates page is for them."""
    return bool(user.is_authenticated and access.has_any(user, entity, "edit"))
