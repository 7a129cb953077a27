"""What the calendar needs besides events: the secret address of a person's iCalendar feed."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def _new_key() -> str:
    return secrets.token_urlsafe(12)


class CalendarFeed(models.Model):
    """A person's iCalendar subscription address (``/calendar/ical/<token>.ics``).

    The address carries ``key`` and a signature of it made with the site's SECRET_KEY, so the
    database alone (a dump, a backup) yields no working address, while the owner can see their
    address again at any time. Revoking sets ``revoked_at``; a new address is a new row.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feeds"
    )
    key = models.CharField(max_length=32, unique=True, default=_new_key)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("calendar subscription")
        verbose_name_plural = _("calendar subscriptions")
        indexes = [models.Index(fields=["user", "revoked_at"], name="calendar_feed_user")]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.key[:4]}…"  # type: ignore[attr-defined]

    @staticmethod
    def signature(key: str) -> str:
        digest = hmac.new(
            settings.SECRET_KEY.encode(), f"calendar-feed:{key}".encode(), hashlib.sha256
        )
        return digest.hexdigest()[:32]

    @property
    def token(self) -> str:
        """What the address carries: the key and its signature."""
        return self.token_for(self.key)

    @classmethod
    def token_for(cls, key: str) -> str:
        return f"{key}.{cls.signature(key)}"
