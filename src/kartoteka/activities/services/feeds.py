"""A person's iCalendar subscription address: made, remade (the old one stops working) and
revoked by its owner only."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from kartoteka.accounts.models import User
from kartoteka.activities.models import CalendarFeed


def feed_create(*, actor: User) -> CalendarFeed:
    """A new secret address for ``actor``'s calendar; any address they had stops working."""
    with transaction.atomic():
        feed_revoke(actor=actor)
        return CalendarFeed.objects.create(user=actor)


def feed_revoke(*, actor: User) -> int:
    """Stop ``actor``'s subscription address; returns how many were live (0 or 1)."""
    return CalendarFeed.objects.filter(user=actor, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
