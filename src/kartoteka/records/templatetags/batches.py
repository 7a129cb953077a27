from __future__ import annotations

from django import template

from kartoteka.accounts.models import User
from kartoteka.core import batches

register = template.Library()


@register.filter
def may_hand_over(user: User) -> bool:
    """May this user hand a departing employee's records to colleagues?"""
    return user.is_authenticated and batches.may_hand_over(user)
