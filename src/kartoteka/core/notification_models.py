"""Notifications: what the bell shows, what each person wants where, and the delivery outbox.

- :class:`Notification` is one line in a person's bell (in-app channel), unique per person and
  key, so producing it twice leaves one.
- :class:`NotificationPreference` holds the channels a person chose for one kind of notification;
  no row means the kind's defaults.
- :class:`Delivery` is the outbox: one row per (source, person, channel, due moment). A sender
  claims a row (one UPDATE), sends, and marks it sent; a claim whose lease ran out (the sender
  died) is taken again. See ``core/notifications.py`` for the guarantees.
- :class:`JobMark` remembers how far a periodic job has got (the reminder sweep's watermark), so
  a job that did not run for a while catches up instead of skipping what fell due meanwhile.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Notification(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    #: the kind's code ("task_reminder"); see notifications.KINDS
    kind = models.CharField(_("kind"), max_length=40)
    title = models.CharField(_("title"), max_length=300)
    body = models.TextField(_("text"), blank=True)
    #: where a click leads: a path inside the app
    url = models.CharField(_("link"), max_length=500, blank=True)
    #: what makes it unique for its person: the same key twice is one notification
    key = models.CharField(max_length=200)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="notification_once_per_key")
        ]
        indexes = [
            models.Index(fields=["user", "-id"], name="notification_user_idx"),
            models.Index(
                fields=["user"], condition=Q(read_at__isnull=True), name="notification_unread_idx"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class NotificationPreference(models.Model):
    """The channels one person wants for one kind of notification."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    kind = models.CharField(_("kind"), max_length=40)
    #: channel codes ("in_app", "email"); empty: none at all
    channels = models.JSONField(_("channels"), default=list, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="notification_preference_once")
        ]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.kind}"  # type: ignore[attr-defined]


class Delivery(models.Model):
    """One notification to send through one channel to one person, due at one moment."""

    class State(models.TextChoices):
        PENDING = "pending", _("waiting")
        SENDING = "sending", _("being sent")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")
        CANCELLED = "cancelled", _("cancelled")

    #: what it is about, as "<kind>:<id>" ("task:42", "event:7")
    source = models.CharField(max_length=100)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(max_length=20)
    #: the moment it is due (a task's remind_at; an event's start less its lead time)
    due_at = models.DateTimeField()
    kind = models.CharField(max_length=40)
    title = models.CharField(max_length=300)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=500, blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    #: not before this moment (a failed attempt waits before the next)
    not_before = models.DateTimeField()
    #: the current claim and how long it holds; a claim past this moment is taken again
    claim_token = models.CharField(max_length=32, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    #: the mail's Message-ID, fixed when the row is written: a resend is the same message
    message_id = models.CharField(max_length=200, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["source", "user", "channel", "due_at"], name="delivery_once"
            )
        ]
        indexes = [
            models.Index(
                fields=["not_before"],
                condition=Q(state__in=["pending", "sending"]),
                name="delivery_open_idx",
            )
        ]

    def __str__(self) -> str:
        return f"{self.source}→{self.user_id}/{self.channel}@{self.due_at:%Y-%m-%d %H:%M}"  # type: ignore[attr-defined]


class JobMark(models.Model):
    """How far a periodic job has got: the moment up to which it has done its work."""

    name = models.CharField(max_length=60, unique=True)
    moment = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name}@{self.moment.isoformat()}"
